#include "mfhrl/core/strategy.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

// IG per cost, ignoring beta: what every strategy reports as k* in the trace.
Selection unthresholded(const StrategyInput& in) {
  return select_level(in.ig, in.cost_per_transition, in.n, in.beta, false);
}

// IG per cost with the budget threshold (the paper's method).
class IgmStrategy : public Strategy {
 public:
  std::string name() const override { return "igm"; }

 protected:
  Selection decide(const StrategyInput& in) const override {
    return select_level(in.ig, in.cost_per_transition, in.n, in.beta, true);
  }
};

// IG per cost alone: the threshold ablation.
class IgmNoThresholdStrategy : public Strategy {
 public:
  std::string name() const override { return "igm-nothreshold"; }

 protected:
  Selection decide(const StrategyInput& in) const override { return unthresholded(in); }
};

// Always the same level.
class FixedStrategy : public Strategy {
 public:
  explicit FixedStrategy(int level) : level_(level) {}
  std::string name() const override { return "fixed:" + std::to_string(level_ + 1); }

 protected:
  Selection decide(const StrategyInput& in) const override {
    Selection s = unthresholded(in);
    s.level = level_;
    return s;
  }

 private:
  int level_;  // 0-based
};

// Equal budget share: the level that has spent least so far, ties to the lowest level. Spent sums
// of different costs rarely tie exactly, so near-equal (relative 1e-9) counts as a tie.
class UniformStrategy : public Strategy {
 public:
  std::string name() const override { return "uniform"; }

 protected:
  Selection decide(const StrategyInput& in) const override {
    MFHRL_CHECK(in.spent_per_level.size() == in.ig.size(),
                "uniform strategy: " << in.spent_per_level.size() << " spent figures for "
                                     << in.ig.size() << " levels");
    std::size_t least = 0;
    for (std::size_t k = 1; k < in.spent_per_level.size(); ++k) {
      const double a = in.spent_per_level[k], b = in.spent_per_level[least];
      if (a < b - 1e-9 * std::max(1.0, std::fabs(b))) least = k;
    }
    Selection s = unthresholded(in);
    s.level = static_cast<int>(least);
    return s;
  }
};

[[noreturn]] void bad_strategy(const std::string& name, int num_levels, const std::string& why) {
  std::ostringstream os;
  os << "strategy: got '" << name << "' (" << why
     << "), expected one of igm, igm-nothreshold, uniform, fixed:k with k in [1, " << num_levels
     << "]";
  throw InputError(os.str());
}

}  // namespace

int Strategy::choose(const StrategyInput& in, Selection* selection) const {
  Selection s = decide(in);
  MFHRL_CHECK(s.level >= 0 && s.level < static_cast<int>(in.ig.size()),
              name() << " chose level " << s.level << " of " << in.ig.size());
  const int level = s.level;
  if (selection) *selection = std::move(s);
  return level;
}

std::unique_ptr<Strategy> make_strategy(const std::string& name, int num_levels) {
  MFHRL_CHECK(num_levels >= 1, "make_strategy: " << num_levels << " levels");
  if (name == "igm") return std::make_unique<IgmStrategy>();
  if (name == "igm-nothreshold") return std::make_unique<IgmNoThresholdStrategy>();
  if (name == "uniform") return std::make_unique<UniformStrategy>();
  const std::string prefix = "fixed:";
  if (name.compare(0, prefix.size(), prefix) != 0) bad_strategy(name, num_levels, "unknown name");
  const std::string digits = name.substr(prefix.size());
  bool all_digits = !digits.empty() && digits.size() <= 9;
  for (char c : digits) all_digits = all_digits && c >= '0' && c <= '9';
  if (!all_digits) bad_strategy(name, num_levels, "k is not a whole number");
  const int k = std::stoi(digits);
  if (k < 1 || k > num_levels) bad_strategy(name, num_levels, "level out of range");
  return std::make_unique<FixedStrategy>(k - 1);
}

}  // namespace mfhrl
