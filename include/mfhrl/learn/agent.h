// One SAC / CQL(H) / H2O learner: tanh-Gaussian actor, twin critics with soft-updated targets and
// an automatically tuned entropy temperature. Plain data in, plain numbers out (torch is hidden).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "mfhrl/core/rng.h"
#include "mfhrl/core/tensor_blob.h"
#include "mfhrl/core/transitions.h"
#include "mfhrl/learn/spec.h"

namespace mfhrl::learn {

class Agent {
 public:
  // Weights from torch::manual_seed(stream_key(seed, kNetworkInit, index)); update noise from
  // Rng(seed, kPolicyNoise, index). Same (spec, seed, index) -> identical agent in any process.
  Agent(const AgentSpec& spec, std::uint64_t seed, std::uint64_t index);
  ~Agent();
  Agent(Agent&&) noexcept;
  Agent& operator=(Agent&&) noexcept;

  // One row: obs (obs_dim) -> action (act_dim) in [-1, 1]; sampled actions draw act_dim normals
  // from *rng (unused and may be null when deterministic).
  void act(const float* obs, float* action, bool deterministic, Rng* rng) const;

  // Plain SAC step on minibatch mb.
  UpdateStats sac_update(const Transitions& mb);
  // SAC step plus the CQL(H) penalty (cql.actions each from uniform, pi(s), pi(s'); cql.weight).
  UpdateStats cql_update(const Transitions& mb);
  // H2O step (DESIGN §4): real rows unweighted, simulated rows weighted by sim_ratio (one per row).
  UpdateStats h2o_update(const Transitions& real, const Transitions& sim,
                         const std::vector<float>& sim_ratio);

  // L(B): mean over rows of w_i * (Bellman error of Q_1 and Q_2, averaged); weights null means 1.
  // Next actions use a fresh noise stream Rng(seed, kPolicyNoise, index, 1): no state changes.
  double critic_loss(const Transitions& b, const std::vector<float>* weights) const;

  // min_j Q_j(obs, act) for one row (diagnostics and tests).
  double q_value(const float* obs, const float* act) const;

  // Networks, targets, Adam moments and steps, log_alpha, the noise stream state and (seed, index).
  TensorBlobs state() const;
  // Restores state(); throws InputError when a blob is missing or has the wrong shape or dtype.
  void load_state(const TensorBlobs& blobs);

  const AgentSpec& spec() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mfhrl::learn
