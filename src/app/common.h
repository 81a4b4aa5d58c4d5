// What every command shares: config options, level lookup, policies as simulator callbacks.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "mfhrl/config/load.h"
#include "mfhrl/core/config.h"
#include "mfhrl/dist/comm.h"
#include "mfhrl/learn/agent.h"
#include "mfhrl/sim/env_group.h"
#include "mfhrl/sim/level_model.h"

namespace mfhrl::app {

// Global instance indices: each level's online instances, and separate ranges for the other uses,
// so no two envs in a run ever share a stream.
inline constexpr std::uint64_t kCollectInstanceBase = 1000000;
inline constexpr std::uint64_t kTrainInstanceBase = 2000000;
inline std::uint64_t online_instance(int level, int envs, int i) {
  return static_cast<std::uint64_t>(level) * static_cast<std::uint64_t>(envs) + i;
}

// --config FILE (repeatable) and trailing key=value overrides of a subcommand.
struct ConfigOptions {
  std::vector<std::string> files;
  std::vector<std::string> overrides;
  void add_to(CLI::App* cmd);
  // Built-in defaults + demo when no --config is given, else defaults + the files.
  Config load() const;
};

// The level called name: one of fidelity.levels or the real system ("real" names it when it is
// separate). InputError naming `flag` and the known names otherwise.
const LevelConfig& find_level(const Config& c, const std::string& name, const std::string& flag);

// Per-level models, with declared or measured (CPU time, normalized to level K) costs.
// Collective over comm (measured costs come from rank 0). `resumed_cost` (a checkpoint's) replaces
// the declared or measured costs, so a resumed run selects with the costs it started with.
struct Levels {
  std::vector<std::shared_ptr<const sim::LevelModel>> sims;  // (K)
  std::shared_ptr<const sim::LevelModel> real;
  std::vector<double> cost;  // (K) lambda_k in use
};
Levels build_levels(const Config& c, const dist::Comm& comm,
                    const std::vector<double>* resumed_cost = nullptr);

// The agent's stochastic actor as a simulator exploration policy.
sim::Policy sampling_policy(const learn::Agent& agent);
// Sets this process's intra-op threads from the config's `threads` (auto: resolve_threads over
// the cores it may run on and the ranks on its node) and logs the choice once (rank 0).
void use_threads(const Config& c, const dist::Comm& comm);

// Actions uniform in [-1, 1]^6, drawn from each row's instance stream.
sim::Policy uniform_random_policy();
// The agent's deterministic actor (tanh of its mean) as an evaluation policy.
sim::DeterministicPolicy greedy_policy(const learn::Agent& agent);

// Prints the resolved config (rank 0) with a header line.
void print_config(const Config& c, const dist::Comm& comm);

// mean and (population) standard deviation.
void mean_std(const std::vector<double>& v, double* mean, double* stdev);

// "[a b c]" with `digits` digits after the point per entry.
std::string bracketed(const std::vector<double>& v, int digits);

// Seconds since an arbitrary fixed point (steady clock).
double now_seconds();

// Splits wall time into consecutive phases: lap(x) adds the seconds since the previous lap (or
// since construction) to x.
class Laps {
 public:
  void lap(double& into) {
    const double now = now_seconds();
    into += now - last_;
    last_ = now;
  }

 private:
  double last_ = now_seconds();
};

}  // namespace mfhrl::app
