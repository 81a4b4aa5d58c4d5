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

  // Every update: critics step on the soft Bellman target r + gamma (1 - terminal) (min_j
  // Qbar_j(s', a') - alpha log pi(a'|s')) (timeouts bootstrap), then the actor on E[alpha log pi -
  // min_j Q_j], then log alpha towards entropy -act_dim, then targets move by tau. Noise comes from
  // the agent's own stream in a fixed order: target a', penalty actions, actor a.
  //
  // The conservative penalty of critic j over states S (next states S'), N = cql.actions:
  //   mean_{s in S} logsumexp over 3N actions of [Q_j(s, a) - log mu(a)] - mean_{real} Q_j(s, a)
  // with N actions from U(-1,1)^A (log mu = -A log 2), N from pi(.|s) and N from pi(.|s') (log mu =
  // their log pi), the sampled actions carrying no gradient (CQL(H) with importance sampling).

  // Plain SAC step on minibatch mb.
  UpdateStats sac_update(const Transitions& mb);
  // SAC step plus cql.weight * penalty over the minibatch's own states.
  UpdateStats cql_update(const Transitions& mb);
  // H2O step (DESIGN §4). Critic j minimises mean_real (Q_j - y)^2 + mean_sim w (Q_j - y)^2 +
  // h2o.penalty * penalty with S = the simulated states and the Q-on-data term on the real rows;
  // the actor and temperature use real and simulated states. sim_ratio: one w per simulated row.
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

  // The actor network alone ("actor/..." blobs): all that act() reads, a fraction of state().
  TensorBlobs actor_state() const;
  // Replaces the actor network with actor_state() of another agent of the same spec; nothing else
  // changes, so an agent loaded this way is only good for act(). InputError as load_state.
  void load_actor_state(const TensorBlobs& blobs);

  const AgentSpec& spec() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mfhrl::learn
