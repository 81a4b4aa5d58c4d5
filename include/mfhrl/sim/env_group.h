// Environment instances [first, first+count) of one level, stepped one after another, plus the
// helpers that split work over instances and evaluate a policy.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "mfhrl/core/rng.h"
#include "mfhrl/core/transitions.h"
#include "mfhrl/sim/env.h"

namespace mfhrl::sim {

// Fills rows x 6 actions for rows x 17 observations, one row per live env instance of a step;
// rngs[i] is row i's instance exploration stream. Row i's action must depend on row i alone (its
// observation and stream), never on the other rows, so that a policy's result never depends on
// how instances are batched across ranks (learn::Agent::act_rows guarantees it).
using Policy = std::function<void(int rows, const float* obs, float* action, Rng* const* rngs)>;
// A deterministic policy (evaluation), with the same row rule.
using DeterministicPolicy = std::function<void(int rows, const float* obs, float* action)>;

// Instance i of `envs` gets n/envs transitions, the first n%envs one more.
std::vector<int> split_counts(int n, int envs);

// What an EnvGroup checkpoints: every env's state and exploration stream, in instance order.
struct EnvGroupState {
  std::vector<EnvState> envs;
  std::vector<Rng::State> rollout_rngs;
};

class EnvGroup {
 public:
  // `count` instances with global indices [first, first+count), sharing `level`.
  EnvGroup(std::shared_ptr<const LevelModel> level, std::uint64_t seed, std::uint64_t first,
           int count, int episode_steps = 1000);

  // Instance i (local) produces counts[i] transitions, continuing its episode across calls and
  // resetting after a timeout. The instances step in lockstep, one policy call per step for all
  // of them that still owe rows. Rows come back grouped by instance in index order; `act` holds
  // the policy's action clipped to [-1, 1] (level noise is part of the dynamics, not of the
  // action).
  Transitions collect(const std::vector<int>& counts, const Policy& policy);

  // Global index of local instance 0.
  std::uint64_t first() const { return first_; }
  // Number of instances.
  int size() const { return static_cast<int>(envs_.size()); }
  // Local instance i (global index first() + i).
  Env& env(int i) { return envs_.at(static_cast<std::size_t>(i)); }
  // Every env's state and exploration stream, for checkpoints.
  EnvGroupState state() const;
  // Restores a state from state(); throws InvariantError on a size mismatch.
  void set_state(const EnvGroupState& s);

 private:
  std::uint64_t first_;
  std::vector<Env> envs_;
  std::vector<Rng> rollout_;  // Rng(seed, kRollout, instance)
};

// Returns of episodes [first_episode, first_episode+episodes) on `level`, each reset from and
// noised by the stream Rng(seed, kEval, episode), run to the time limit with `policy`. The
// episodes step in lockstep, one policy call per step for all that are still running.
std::vector<double> evaluate(std::shared_ptr<const LevelModel> level, std::uint64_t seed,
                             int episodes, const DeterministicPolicy& policy,
                             int episode_steps = 1000, int first_episode = 0);

}  // namespace mfhrl::sim
