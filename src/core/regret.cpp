#include "mfhrl/core/regret.h"

namespace mfhrl {

double d4rl_normalized_score(double episode_return) {
  return 100.0 * (episode_return - kHalfCheetahRandomReturn) /
         (kHalfCheetahExpertReturn - kHalfCheetahRandomReturn);
}

void RegretAccumulator::add(double regret, double round_cost) {
  ++rounds;
  cumulative += regret;
  cost_weighted += round_cost * regret;
}

}  // namespace mfhrl
