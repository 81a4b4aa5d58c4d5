#include "mfhrl/core/budget.h"

#include <algorithm>
#include <cmath>

#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

// Relative slack for summed round costs (a few ulps of the total, with a floor at scale 1).
double slack(double total) {
  return 1e-9 * std::max(1.0, std::fabs(total));
}

}  // namespace

bool Budget::exhausted() const {
  return spent >= total - slack(total);
}

int updates_for_cost(int updates_per_round, double round_cost, double top_round_cost) {
  MFHRL_CHECK(updates_per_round >= 0 && top_round_cost > 0.0 && std::isfinite(top_round_cost) &&
                  round_cost >= 0.0 && round_cost <= top_round_cost * 1e6,
              "updates_for_cost: " << updates_per_round << " steps, round cost " << round_cost
                                   << " of " << top_round_cost);
  return static_cast<int>(std::floor(updates_per_round * (round_cost / top_round_cost) + 0.5));
}

double Budget::charge(double level_cost, int n) {
  MFHRL_CHECK(level_cost > 0.0 && std::isfinite(level_cost) && n >= 1,
              "Budget::charge: cost " << level_cost << " x " << n << " transitions");
  MFHRL_CHECK(!exhausted(),
              "Budget::charge: budget " << total << " already spent (" << spent << ")");
  double cost = level_cost * n;
  if (spent + cost >= total) {
    cost = total - spent;
    spent = total;
  } else {
    spent += cost;
  }
  return cost;
}

}  // namespace mfhrl
