// One row of the regret trace (DESIGN §3 step 7, §6 /trace): plain data the loop fills and io
// writes.
#pragma once

#include <cstdint>
#include <vector>

namespace mfhrl {

struct TraceRow {
  std::int64_t round = 0;                // 1-based round number
  int level = 0;                         // 1-based level k_r chosen this round
  double cost = 0.0;                     // budget charged this round (truncated on the last)
  double budget_spent = 0.0;             // after this round
  std::vector<double> information_gain;  // (K) IG_k in nats before selection
  std::vector<double> ig_per_cost;       // (K) IG_k / (lambda_k n)
  double threshold = 0.0;                // beta_r (+inf when the budget figure is 0)
  std::vector<double> posterior;         // (L) p_r after this round's update
  std::vector<double> policy_losses;     // (L) L_l(B_r): the posterior statistic of this batch
  std::vector<double> policy_returns;    // (L) every policy's real return; NaN unless evaluated
  int deployed_policy = 0;               // argmax_l p_r(l), 0-based
  int rollout_policy = 0;                // the policy that collected this round's batch, 0-based
  double eval_return_mean = 0.0;
  double eval_return_std = 0.0;
  double normalized_score = 0.0;      // D4RL normalized score of eval_return_mean
  double regret = 0.0;                // J* - J(pi_r)
  double cumulative_regret = 0.0;     // sum of regret over rounds 1..r
  double cost_weighted_regret = 0.0;  // sum of cost_r * regret_r
  double wall_seconds = 0.0;          // seconds since the run (or its first segment) started
};

}  // namespace mfhrl
