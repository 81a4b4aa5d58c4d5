#include "mfhrl/core/bootstrap.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "mfhrl/core/error.h"

namespace mfhrl {

BootstrapSpec parse_bootstrap(const std::string& text) {
  const std::string expected = "expected 'poisson' or 'bernoulli:p' with 0 < p <= 1";
  if (text == "poisson") return {};
  const std::string prefix = "bernoulli:";
  if (text.compare(0, prefix.size(), prefix) == 0 && text.size() > prefix.size()) {
    const std::string number = text.substr(prefix.size());
    const char* begin = number.c_str();
    char* end = nullptr;
    errno = 0;
    const double p = std::strtod(begin, &end);
    const bool whole =
        end == begin + number.size() && !std::isspace(static_cast<unsigned char>(number.front()));
    if (errno == 0 && whole && std::isfinite(p) && p > 0.0 && p <= 1.0) {
      return {BootstrapSpec::Kind::kBernoulli, p};
    }
  }
  throw InputError("offline.bootstrap: got '" + text + "', " + expected);
}

std::vector<float> bootstrap_weights(const BootstrapSpec& spec, std::size_t num_transitions,
                                     std::uint64_t seed, int policy) {
  MFHRL_CHECK(num_transitions > 0, "bootstrap_weights: empty dataset");
  MFHRL_CHECK(policy >= 0, "bootstrap_weights: policy " << policy);
  Rng rng(seed, Stream::kBootstrap, static_cast<std::uint64_t>(policy));
  std::vector<float> w(num_transitions);
  bool any = false;
  for (auto& x : w) {
    x = spec.kind == BootstrapSpec::Kind::kPoisson ? static_cast<float>(rng.poisson(1.0))
                                                   : (rng.bernoulli(spec.p) ? 1.0f : 0.0f);
    any = any || x > 0.0f;
  }
  // A policy with no data cannot train; keep one row, chosen by the same stream (so still
  // reproducible), rather than fail.
  if (!any) w[rng.below(num_transitions)] = 1.0f;
  return w;
}

WeightedSampler::WeightedSampler(const std::vector<float>& weights) : cumsum_(weights.size()) {
  double sum = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    MFHRL_CHECK(std::isfinite(weights[i]) && weights[i] >= 0.0f,
                "WeightedSampler: weight " << i << " is " << weights[i]);
    sum += weights[i];
    cumsum_[i] = sum;
    if (weights[i] > 0.0f) last_positive_ = i;
  }
  MFHRL_CHECK(sum > 0.0, "WeightedSampler: weights sum to " << sum);
}

std::size_t WeightedSampler::draw(Rng& rng) const {
  const double u = rng.uniform() * cumsum_.back();
  // First row whose prefix sum exceeds u: a zero-weight row repeats its predecessor's sum, so it
  // can never be that row.
  const auto it = std::upper_bound(cumsum_.begin(), cumsum_.end(), u);
  if (it == cumsum_.end()) return last_positive_;  // u rounded up to the total
  return static_cast<std::size_t>(it - cumsum_.begin());
}

std::vector<std::size_t> WeightedSampler::sample(std::size_t batch, Rng& rng) const {
  std::vector<std::size_t> out(batch);
  sample_into(out, rng);
  return out;
}

void WeightedSampler::sample_into(std::vector<std::size_t>& out, Rng& rng) const {
  for (auto& i : out) i = draw(rng);
}

}  // namespace mfhrl
