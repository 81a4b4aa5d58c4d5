// H2O dynamics-gap classifiers for one simulator level: D_sa(s,a) and D_sas(s,a,s'), each a
// 2-logit MLP telling real transitions (logit 0) from simulated ones (logit 1).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

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

  // One Adam step on the cross-entropy of both classifiers; returns the summed loss.
  double train_step(const Transitions& real_mb, const Transitions& sim_mb);

  // Per row: P_real/P_sim(s'|s,a) = [D_sas(real)/D_sas(sim)] / [D_sa(real)/D_sa(sim)], computed
  // from logits without noise and clamped to [h2o.ratio_min, h2o.ratio_max].
  std::vector<float> dynamics_ratio(const Transitions& sim) const;

  // Both networks, Adam moments and step, and the noise stream state.
  TensorBlobs state() const;
  // Restores state(); throws InputError when a blob is missing or has the wrong shape or dtype.
  void load_state(const TensorBlobs& blobs);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mfhrl::learn
