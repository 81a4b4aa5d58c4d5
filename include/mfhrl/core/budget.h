// The online cost budget Gamma (DESIGN §3.2-3.3): each round charges lambda_k n, the last round is
// truncated so that spent never exceeds total.
#pragma once

namespace mfhrl {

struct Budget {
  double total = 0.0;  // Gamma, cost units
  double spent = 0.0;  // charged so far, in [0, total]

  // Gamma - spent, never negative.
  double remaining() const { return spent < total ? total - spent : 0.0; }
  // True once less than a rounding error is left, so 0.3+0.3+0.3 of 0.9 counts as spent.
  bool exhausted() const;
  // Charges one round of n transitions at level_cost each, truncated to what is left, and returns
  // the amount charged. Charging an exhausted budget is a loop bug (InvariantError).
  double charge(double level_cost, int n);
};

// online.updates_per: cost. The H2O steps of a round that charged round_cost, when
// updates_per_round steps go with a round of the top level (top_round_cost = lambda_K n): the
// steps scale with the cost, rounded to the nearest integer (halves up), so every unit of budget
// buys the same training at every level. round_cost in [0, top_round_cost * 1e6], top > 0.
int updates_for_cost(int updates_per_round, double round_cost, double top_round_cost);

}  // namespace mfhrl
