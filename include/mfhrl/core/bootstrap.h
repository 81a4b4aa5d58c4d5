// Bootstrap weights of the offline data per policy (DESIGN §2.2) and a sampler that draws rows
// in proportion to them, so each policy sees its own resample of D_off.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mfhrl/core/rng.h"

namespace mfhrl {

// offline.bootstrap: Poisson(1) counts, or Bernoulli(p) inclusion with 0 < p <= 1.
struct BootstrapSpec {
  enum class Kind { kPoisson, kBernoulli };
  Kind kind = Kind::kPoisson;
  double p = 1.0;  // Bernoulli probability; unused for Poisson
};

// "poisson" | "bernoulli:p"; anything else -> InputError naming offline.bootstrap.
BootstrapSpec parse_bootstrap(const std::string& text);

// One weight per transition from Rng(seed, kBootstrap, policy): the same (seed, policy) gives the
// same weights on any rank. If every draw is 0, one row picked by the same stream gets weight 1.
std::vector<float> bootstrap_weights(const BootstrapSpec& spec, std::size_t num_transitions,
                                     std::uint64_t seed, int policy);

// Draws row indices with probability weight_i / sum(weights); zero-weight rows are never drawn.
// Built once (cumulative sums), then each draw is one uniform and one binary search.
class WeightedSampler {
 public:
  // Weights must be finite, >= 0, with a positive sum (InvariantError otherwise).
  explicit WeightedSampler(const std::vector<float>& weights);

  std::size_t size() const { return cumsum_.size(); }
  double total_weight() const { return cumsum_.empty() ? 0.0 : cumsum_.back(); }

  // One index.
  std::size_t draw(Rng& rng) const;
  // `batch` indices.
  std::vector<std::size_t> sample(std::size_t batch, Rng& rng) const;
  // Fills every element of out, so a training loop can reuse one buffer and never allocate.
  void sample_into(std::vector<std::size_t>& out, Rng& rng) const;

 private:
  std::vector<double> cumsum_;  // (N) inclusive prefix sums of the weights
  std::size_t last_positive_ = 0;
};

}  // namespace mfhrl
