// What one transition of a level costs in CPU time (for `fidelity.cost: measured`).
#pragma once

#include "mfhrl/core/config.h"

namespace mfhrl::sim {

// CPU seconds of the calling thread per control step of `level` (random actions, episodes of 1000
// steps, resets included), measured over `steps` control steps after a short warm-up.
double measure_cost_per_transition(const LevelConfig& level, int steps);

}  // namespace mfhrl::sim
