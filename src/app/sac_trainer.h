// Plain online SAC on one level: the behaviour policy of `collect --policy sac` and J* of
// `reference`.
#pragma once

#include <memory>
#include <string>

#include "mfhrl/core/config.h"
#include "mfhrl/learn/agent.h"
#include "mfhrl/sim/level_model.h"

namespace mfhrl::app {

// Trains an agent (seed, index) for `steps` environment steps with one SAC update per step after
// a warm-up of random actions; logs progress every tenth of the run under `label`.
std::unique_ptr<learn::Agent> train_sac(const Config& c, std::shared_ptr<const LevelModel> level,
                                        int steps, std::uint64_t index, const std::string& label);

}  // namespace mfhrl::app
