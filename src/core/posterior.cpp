#include "mfhrl/core/posterior.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "mfhrl/core/error.h"
#include "mfhrl/core/ranking.h"

namespace mfhrl {
namespace {

// A probability vector must be non-empty, finite, non-negative and not all zero.
void check_distribution(const std::vector<double>& p, const char* what) {
  MFHRL_CHECK(!p.empty(), what << ": empty distribution");
  double sum = 0.0;
  for (std::size_t l = 0; l < p.size(); ++l) {
    MFHRL_CHECK(std::isfinite(p[l]) && p[l] >= 0.0,
                what << ": entry " << l << " is " << p[l] << ", expected a finite value >= 0");
    sum += p[l];
  }
  MFHRL_CHECK(sum > 0.0, what << ": all entries are zero");
}

// exp(log_w) normalized to sum 1; -inf entries (zero weight) stay 0. Shifting by the maximum
// puts the largest weight at exp(0) = 1, so the sum is in [1, L] and nothing overflows.
std::vector<double> normalized_exp(const std::vector<double>& log_w) {
  const double neg_inf = -std::numeric_limits<double>::infinity();
  double max_log = neg_inf;
  for (double x : log_w) max_log = std::max(max_log, x);
  std::vector<double> out(log_w.size(), 0.0);
  double sum = 0.0;
  for (std::size_t l = 0; l < log_w.size(); ++l) {
    if (log_w[l] != neg_inf) out[l] = std::exp(log_w[l] - max_log);
    sum += out[l];
  }
  for (double& x : out) x /= sum;
  return out;
}

}  // namespace

std::vector<double> uniform_prior(int num_policies) {
  MFHRL_CHECK(num_policies >= 1, "uniform_prior: " << num_policies << " policies");
  return std::vector<double>(static_cast<std::size_t>(num_policies), 1.0 / num_policies);
}

std::vector<double> posterior_update(const std::vector<double>& prior,
                                     const std::vector<double>& losses, double eta) {
  if (!(eta > 0.0) || !std::isfinite(eta)) {
    std::ostringstream os;
    os << "posterior.eta: got " << eta << ", expected a finite number > 0";
    throw InputError(os.str());
  }
  check_distribution(prior, "posterior_update prior");
  MFHRL_CHECK(losses.size() == prior.size(), "posterior_update: " << losses.size() << " losses for "
                                                                  << prior.size() << " policies");
  std::vector<double> log_w(prior.size(), -std::numeric_limits<double>::infinity());
  for (std::size_t l = 0; l < prior.size(); ++l) {
    if (!std::isfinite(losses[l])) {
      std::ostringstream os;
      os << "posterior_update: loss of policy " << l << " is " << losses[l];
      throw NumericalError(os.str());
    }
    if (prior[l] > 0.0) log_w[l] = std::log(prior[l]) - eta * losses[l];
  }
  return normalized_exp(log_w);
}

std::vector<double> temper_posterior(const std::vector<double>& p, double rho) {
  if (!(rho > 0.0 && rho <= 1.0)) {
    std::ostringstream os;
    os << "posterior.forget: got " << rho << ", expected a number in (0, 1]";
    throw InputError(os.str());
  }
  check_distribution(p, "temper_posterior");
  if (rho == 1.0) return p;
  // p(l)^rho = exp(rho log p(l)).
  std::vector<double> log_w(p.size(), -std::numeric_limits<double>::infinity());
  for (std::size_t l = 0; l < p.size(); ++l) {
    if (p[l] > 0.0) log_w[l] = rho * std::log(p[l]);
  }
  return normalized_exp(log_w);
}

double entropy_nats(const std::vector<double>& p) {
  double h = 0.0;
  for (double x : p) {
    MFHRL_CHECK(x >= 0.0, "entropy_nats: negative probability " << x);
    if (x > 0.0) h -= x * std::log(x);
  }
  return h;
}

int map_policy(const std::vector<double>& p) {
  check_distribution(p, "map_policy");
  return argmax_index(p);
}

int sample_policy(const std::vector<double>& p, Rng& rng) {
  check_distribution(p, "sample_policy");
  double total = 0.0;
  for (double x : p) total += x;
  const double u = rng.uniform() * total;
  double cum = 0.0;
  int last_positive = 0;
  for (std::size_t l = 0; l < p.size(); ++l) {
    if (p[l] <= 0.0) continue;
    cum += p[l];
    last_positive = static_cast<int>(l);
    if (u < cum) return last_positive;
  }
  // Rounding can leave u just above the summed mass; the last positive entry owns that sliver.
  return last_positive;
}

void check_finite_losses(const std::vector<double>& losses, std::int64_t round) {
  for (std::size_t l = 0; l < losses.size(); ++l) {
    if (!std::isfinite(losses[l])) {
      std::ostringstream os;
      os << "round " << round << ": loss of policy " << l << " is " << losses[l]
         << " (non-finite critic loss)";
      throw NumericalError(os.str());
    }
  }
}

std::vector<double> segment_return_losses(const std::vector<float>& rewards,
                                          const std::vector<int>& counts) {
  std::vector<double> losses(counts.size(), 0.0);
  std::size_t row = 0;
  for (std::size_t l = 0; l < counts.size(); ++l) {
    MFHRL_CHECK(counts[l] >= 0,
                "segment_return_losses: segment " << l << " has count " << counts[l]);
    const auto end = row + static_cast<std::size_t>(counts[l]);
    MFHRL_CHECK(end <= rewards.size(),
                "segment_return_losses: counts exceed the " << rewards.size() << " rewards");
    double sum = 0.0;
    for (; row < end; ++row) sum += static_cast<double>(rewards[row]);
    if (counts[l] > 0) losses[l] = -sum / static_cast<double>(counts[l]);
  }
  MFHRL_CHECK(row == rewards.size(), "segment_return_losses: counts sum to "
                                         << row << " but the batch has " << rewards.size()
                                         << " rewards");
  return losses;
}

}  // namespace mfhrl
