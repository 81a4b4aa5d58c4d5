// Level-choice strategies (DESIGN §3 "Strategies"): everything else in the online loop is shared,
// so a study compares strategies by changing one config key.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mfhrl/core/selection.h"

namespace mfhrl {

// What a strategy may look at in one round; levels 0-based.
struct StrategyInput {
  std::vector<double> ig;                   // (K) IG_k in nats
  std::vector<double> cost_per_transition;  // (K) lambda_k
  int n = 1;                                // transitions per round
  double beta = 0.0;                        // threshold beta_r
  std::vector<double> spent_per_level;      // (K) budget spent at each level so far
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // The name as written in the config (e.g. "fixed:2").
  virtual std::string name() const = 0;
  // The 0-based level of this round. If `selection` is given it is filled for the trace: IG
  // ratios, beta and k* as select_level sees them, `level` the strategy's own choice, and
  // fell_back only when the threshold decided.
  int choose(const StrategyInput& in, Selection* selection = nullptr) const;

 protected:
  // The strategy's own rule, as a whole Selection.
  virtual Selection decide(const StrategyInput& in) const = 0;
};

// "igm" | "igm-nothreshold" | "uniform" | "fixed:k" with 1-based k in [1, K]; anything else ->
// InputError naming the key `strategy` and listing the valid names.
std::unique_ptr<Strategy> make_strategy(const std::string& name, int num_levels);

}  // namespace mfhrl
