#include "mfhrl/core/ranking.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "mfhrl/core/error.h"

namespace mfhrl {

std::vector<double> average_ranks(const std::vector<double>& x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> rank(x.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    // Positions i..j (0-based) hold equal values: each gets the mean of ranks i+1..j+1.
    const double avg = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = avg;
    i = j + 1;
  }
  return rank;
}

double spearman_correlation(const std::vector<double>& x, const std::vector<double>& y) {
  MFHRL_CHECK(x.size() == y.size() && x.size() >= 2,
              "spearman_correlation: sizes " << x.size() << " and " << y.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    MFHRL_CHECK(std::isfinite(x[i]) && std::isfinite(y[i]),
                "spearman_correlation: entry " << i << " is not finite");
  }
  const std::vector<double> rx = average_ranks(x), ry = average_ranks(y);
  const double mean = 0.5 * static_cast<double>(x.size() + 1);
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (sxx == 0.0 || syy == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

int argmax_index(const std::vector<double>& x) {
  MFHRL_CHECK(!x.empty(), "argmax_index: empty vector");
  int best = 0;
  for (std::size_t i = 1; i < x.size(); ++i) {
    if (x[i] > x[static_cast<std::size_t>(best)]) best = static_cast<int>(i);
  }
  return best;
}

bool is_best(const std::vector<double>& returns, int chosen) {
  MFHRL_CHECK(chosen >= 0 && static_cast<std::size_t>(chosen) < returns.size(),
              "is_best: policy " << chosen << " of " << returns.size());
  return returns[static_cast<std::size_t>(chosen)] >=
         returns[static_cast<std::size_t>(argmax_index(returns))];
}

double eta_from_loss_spread(const std::vector<std::vector<double>>& losses, double step) {
  MFHRL_CHECK(!losses.empty(), "eta_from_loss_spread: no calibration batch");
  MFHRL_CHECK(step > 0.0 && std::isfinite(step), "eta_from_loss_spread: step " << step);
  std::vector<double> spread;
  for (const auto& b : losses) {
    MFHRL_CHECK(b.size() >= 2, "eta_from_loss_spread: " << b.size() << " policies in a batch");
    const double n = static_cast<double>(b.size());
    const double mean = std::accumulate(b.begin(), b.end(), 0.0) / n;
    double ss = 0.0;
    for (double v : b) {
      MFHRL_CHECK(std::isfinite(v), "eta_from_loss_spread: non-finite loss " << v);
      ss += (v - mean) * (v - mean);
    }
    spread.push_back(std::sqrt(ss / n));
  }
  std::sort(spread.begin(), spread.end());
  const std::size_t m = spread.size();
  const double median = m % 2 == 1 ? spread[m / 2] : 0.5 * (spread[m / 2 - 1] + spread[m / 2]);
  if (!(median > 0.0)) return 0.0;
  return step / median;
}

std::vector<double> level_trust(const std::vector<std::vector<std::vector<double>>>& history,
                                int top) {
  MFHRL_CHECK(top >= 0 && top < static_cast<int>(history.size()),
              "level_trust: top level " << top << " of " << history.size());
  const auto& ref = history[static_cast<std::size_t>(top)];
  std::vector<double> trust(history.size(), 1.0);
  for (std::size_t k = 0; k < history.size(); ++k) {
    if (static_cast<int>(k) == top || history[k].empty() || ref.empty()) continue;
    double sum = 0.0;
    for (const auto& mine : history[k]) {
      for (const auto& theirs : ref) {
        const double rho = spearman_correlation(mine, theirs);
        sum += std::isnan(rho) ? 0.0 : rho;
      }
    }
    const double mean = sum / static_cast<double>(history[k].size() * ref.size());
    trust[k] = std::min(1.0, std::max(0.0, mean));
  }
  return trust;
}

namespace {

// The entrywise sum of a level's remembered batches (each an L-vector).
std::vector<double> summed_batches(const std::vector<std::vector<double>>& batches) {
  std::vector<double> sum(batches.front().size(), 0.0);
  for (const auto& b : batches) {
    MFHRL_CHECK(b.size() == sum.size(),
                "level_trust_pooled: a batch of " << b.size() << " losses among " << sum.size());
    for (std::size_t l = 0; l < b.size(); ++l) sum[l] += b[l];
  }
  return sum;
}

}  // namespace

std::vector<double> level_trust_pooled(const std::vector<std::vector<std::vector<double>>>& history,
                                       int top) {
  MFHRL_CHECK(top >= 0 && top < static_cast<int>(history.size()),
              "level_trust_pooled: top level " << top << " of " << history.size());
  const auto& ref = history[static_cast<std::size_t>(top)];
  std::vector<double> trust(history.size(), 0.0);
  trust[static_cast<std::size_t>(top)] = 1.0;
  if (ref.empty()) return trust;
  const std::vector<double> theirs = summed_batches(ref);
  for (std::size_t k = 0; k < history.size(); ++k) {
    if (static_cast<int>(k) == top || history[k].empty()) continue;
    const double rho = spearman_correlation(summed_batches(history[k]), theirs);
    trust[k] = std::isnan(rho) ? 0.0 : std::min(1.0, std::max(0.0, rho));
  }
  return trust;
}

std::vector<double> optimistic_trust(const std::vector<double>& trust,
                                     const std::vector<int>& batches, int top, double explore) {
  MFHRL_CHECK(batches.size() == trust.size(), "optimistic_trust: " << batches.size()
                                                                   << " counts for " << trust.size()
                                                                   << " levels");
  MFHRL_CHECK(top >= 0 && top < static_cast<int>(trust.size()),
              "optimistic_trust: top level " << top << " of " << trust.size());
  MFHRL_CHECK(explore >= 0.0 && std::isfinite(explore), "optimistic_trust: explore " << explore);
  std::vector<double> chosen = trust;
  for (std::size_t k = 0; k < trust.size(); ++k) {
    MFHRL_CHECK(trust[k] >= 0.0 && trust[k] <= 1.0,
                "optimistic_trust: trust " << trust[k] << " of level " << k);
    MFHRL_CHECK(batches[k] >= 0, "optimistic_trust: " << batches[k] << " batches of level " << k);
    if (static_cast<int>(k) == top || batches[k] == 0 || explore == 0.0) continue;
    chosen[k] = std::min(1.0, trust[k] + explore / std::sqrt(static_cast<double>(batches[k])));
  }
  return chosen;
}

}  // namespace mfhrl
