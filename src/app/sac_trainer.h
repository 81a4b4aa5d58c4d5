// Plain online SAC on one level: the behaviour policies of `collect` (D4RL's medium, medium-replay
// and expert) and J* of `reference`.
#pragma once

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "mfhrl/core/config.h"
#include "mfhrl/learn/agent.h"
#include "mfhrl/sim/level_model.h"

namespace mfhrl::app {

struct SacOptions {
  int steps = 0;  // environment steps (one SAC update each after the warm-up)
  // Stop as soon as an evaluation's mean return reaches this (D4RL's medium policy).
  double stop_return = std::numeric_limits<double>::infinity();
  int eval_every = 5000;  // steps between evaluations (and progress lines)
  int eval_episodes = 3;  // deterministic episodes per evaluation
};

struct SacRun {
  std::unique_ptr<learn::Agent> agent;
  Transitions buffer;  // every transition the run collected: its replay buffer
  int steps = 0;       // steps taken
  double eval_return = std::numeric_limits<double>::quiet_NaN();  // the last evaluation's mean
  std::vector<std::pair<int, double>> curve;  // (step, eval mean return) of every evaluation
};

// Trains agent (seed, index) with one SAC update per step after a warm-up of random actions,
// evaluating every eval_every steps and at the end; logs a progress line per evaluation.
SacRun train_sac(const Config& c, std::shared_ptr<const sim::LevelModel> level, const SacOptions& o,
                 std::uint64_t index, const std::string& label);

// SAC options of `collect` and `reference` from the collect.* keys, for `steps` steps.
SacOptions sac_options(const Config& c, int steps);

}  // namespace mfhrl::app
