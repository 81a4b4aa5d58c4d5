// Regret of the deployed policy (DESIGN §3 "Regret") and the D4RL normalized score.
#pragma once

#include <cstdint>

namespace mfhrl {

// D4RL reference returns of HalfCheetah (random and expert policies).
constexpr double kHalfCheetahRandomReturn = -280.178953;
constexpr double kHalfCheetahExpertReturn = 12135.0;

// rho_r = J* - J(pi_r): how much return the deployed policy leaves on the table.
inline double instant_regret(double reference_return, double achieved_return) {
  return reference_return - achieved_return;
}

// 100 * (R - R_random) / (R_expert - R_random): 0 is random, 100 is expert.
double d4rl_normalized_score(double episode_return);

// Running sums for the trace; plain data so a checkpoint saves and restores it field by field.
struct RegretAccumulator {
  std::int64_t rounds = 0;
  double cumulative = 0.0;     // sum of rho_r
  double cost_weighted = 0.0;  // sum of cost_r * rho_r, cost_r = lambda_{k_r} n (truncated last)

  // Adds one round's regret, weighted by what the round cost.
  void add(double regret, double round_cost);
};

}  // namespace mfhrl
