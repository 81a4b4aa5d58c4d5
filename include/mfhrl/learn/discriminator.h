// H2O dynamics-gap classifiers for one simulator level: D_sa(s,a) and D_sas(s,a,s'), each a
// 2-logit MLP with bounded output 2 tanh(.) telling real transitions (logit 0) from simulated ones
// (logit 1). D_sas is read through the joint logits D_sas + D_sa, as in the H2O code.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "mfhrl/core/rng.h"
#include "mfhrl/core/tensor_blob.h"
#include "mfhrl/core/transitions.h"
#include "mfhrl/learn/spec.h"

namespace mfhrl::learn {

class Discriminator {
 public:
  // Weights from torch::manual_seed(stream_key(seed, kDiscriminator, level, 1)); input noise
  // (std h2o.input_noise) from Rng(seed, kDiscriminator, level).
  Discriminator(const AgentSpec& spec, std::uint64_t seed, std::uint64_t level);
  ~Discriminator();
  Discriminator(Discriminator&&) noexcept;
  Discriminator& operator=(Discriminator&&) noexcept;

  // One Adam step on the cross-entropy of D_sa plus that of the joint classifier (gradients reach
  // D_sa through both, as in the H2O code); Gaussian input noise on s, a and s'. Returns the sum.
  double train_step(const Transitions& real_mb, const Transitions& sim_mb);

  // Per row: w = P_real/P_sim(s'|s,a) = [p_joint(real) p_sa(sim)] / [p_joint(sim) p_sa(real)],
  // without input noise, clamped to [h2o.ratio_min, h2o.ratio_max].
  std::vector<float> dynamics_ratio(const Transitions& sim) const;

  // Per row: w as above and the dynamics gap u(s,a) = mean over `samples` next states
  // s'' ~ N(s', diag(next_state_std^2)) of log P_sim/P_real(s''|s,a), clamped to [1e-45, 10].
  // The resampling noise comes from rng.
  SimRowWeights row_weights(const Transitions& sim, const std::vector<float>& next_state_std,
                            int samples, Rng& rng) const;

  // Both networks' parameters, flat (D_sa's then D_sas's, each in module order): a snapshot that
  // lets another rank compute row_weights with these classifiers.
  std::vector<float> parameters() const;
  // Sets what parameters() returned, bit for bit; the Adam state and the noise stream stay.
  // InvariantError on a size mismatch.
  void set_parameters(const std::vector<float>& flat);

  // Both networks, Adam moments and step, and the noise stream state.
  TensorBlobs state() const;
  // Restores state(); throws InputError when a blob is missing or has the wrong shape or dtype.
  void load_state(const TensorBlobs& blobs);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mfhrl::learn
