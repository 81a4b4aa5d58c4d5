#include "mfhrl/core/footprint.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "mfhrl/core/error.h"

namespace mfhrl {

double implied_rounds(double total, const std::vector<double>& cost_per_transition, int n) {
  MFHRL_CHECK(!cost_per_transition.empty(), "implied_rounds: no levels");
  MFHRL_CHECK(n >= 1, "implied_rounds: n must be >= 1, got " << n);
  const double cheapest = *std::min_element(cost_per_transition.begin(), cost_per_transition.end());
  MFHRL_CHECK(cheapest > 0.0, "implied_rounds: a level cost is " << cheapest);
  return std::ceil(total / (cheapest * static_cast<double>(n)));
}

std::string rounds_bound_violation(double total, const std::vector<double>& cost_per_transition,
                                   int n) {
  const double rounds = implied_rounds(total, cost_per_transition, n);
  if (rounds <= kMaxRounds) return "";
  std::ostringstream msg;
  msg << total << " buys " << rounds << " rounds of online.batch_transitions = " << n
      << " at the cheapest level's cost "
      << *std::min_element(cost_per_transition.begin(), cost_per_transition.end())
      << "; expected at most " << kMaxRounds << " rounds";
  return msg.str();
}

std::int64_t mlp_parameters(int in, const std::vector<int>& hidden, int out) {
  std::int64_t p = 0;
  std::int64_t prev = in;
  for (int h : hidden) {
    p += (prev + 1) * h;
    prev = h;
  }
  return p + (prev + 1) * out;
}

MemoryEstimate estimate_memory(const Config& c, std::int64_t offline_rows, int num_ranks) {
  MFHRL_CHECK(num_ranks >= 1 && offline_rows >= 0,
              "estimate_memory: " << offline_rows << " rows on " << num_ranks << " ranks");
  const double row = static_cast<double>(kTransitionRowBytes);
  const double n = c.online.batch_transitions;
  MemoryEstimate m;
  m.offline = static_cast<double>(offline_rows) * row;
  for (const LevelConfig& l : c.levels) {
    const double affordable = std::floor(c.budget_total / l.cost);
    m.buffers += std::min(static_cast<double>(c.online.buffer_capacity), affordable) * row;
    m.history += std::min(static_cast<double>(c.igm.history) * n, affordable) * row;
  }
  m.checkpoint = std::min(static_cast<double>(c.checkpoint_every) * n * row, m.buffers);
  const double f = sizeof(float);
  const double actor = static_cast<double>(mlp_parameters(kObsDim, c.network.hidden, 2 * kActDim));
  const double critic = static_cast<double>(mlp_parameters(kObsDim + kActDim, c.network.hidden, 1));
  // Actor: weights, gradient, two Adam moments. Two critics the same, plus two targets.
  const double policy = (4 * actor + 2 * 4 * critic + 2 * critic) * f;
  const double own = std::ceil(static_cast<double>(c.offline.policies) / num_ranks);
  const double disc =
      static_cast<double>(mlp_parameters(kObsDim + kActDim, c.h2o.disc_hidden, 2) +
                          mlp_parameters(2 * kObsDim + kActDim, c.h2o.disc_hidden, 2)) *
      4 * f;
  m.networks = own * policy + actor * f + static_cast<double>(c.levels.size()) * disc;
  // One CQL/H2O step: a batch of real and simulated rows through the critics at 1 + 3 * actions
  // actions each, every hidden layer's activations kept for the backward pass (x3 with grads).
  int width = 1;
  for (int h : c.network.hidden) width = std::max(width, h);
  m.work = 2.0 * c.network.batch_size * (1 + 3 * c.cql.actions) * static_cast<double>(width) *
           static_cast<double>(c.network.hidden.size()) * 2 * 3 * f;
  return m;
}

namespace {
std::string mb(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  return buf;
}
}  // namespace

std::string describe_memory(const MemoryEstimate& m) {
  return mb(m.total()) + " per rank (offline data " + mb(m.offline) + ", replay buffers up to " +
         mb(m.buffers) + ", igm history " + mb(m.history) + ", networks " + mb(m.networks) +
         ", update work " + mb(m.work) + ", rows for the next checkpoint " + mb(m.checkpoint) + ")";
}

}  // namespace mfhrl
