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
  // rows x obs_dim observations -> rows x act_dim actions; sampled row i draws its act_dim normals
  // from *rngs[i]. Row i's action is bit-identical to act() on that row alone, whatever the other
  // rows are: inference runs as plain float loops in a fixed order, not as torch GEMMs (whose
  // bits change with the batch size). Not reentrant: one caller per agent at a time.
  void act_rows(int rows, const float* obs, float* actions, bool deterministic,
                Rng* const* rngs) const;

  // Every update, in the order of the CQL/H2O authors' code: with the networks as they are, the
  // temperature loss -log alpha (log pi(a|s) - act_dim), the actor loss E[alpha log pi(a|s) -
  // min_j Q_j(s, a)] and the critic loss (Bellman MSE to r + gamma (1 - terminal) (min_j
  // Qbar_j(s', a') [- alpha log pi(a'|s') when the backup entropy is on]) plus the conservative
  // term); then alpha, actor and critic steps; then targets move by tau. Timeouts bootstrap.
  // Noise comes from the agent's own stream in a fixed order: actor a, target a', penalty actions.
  //
  // CQL(H) penalty of critic j (N = cql.actions), over the minibatch's states S and next states S':
  //   mean_{s in S} logsumexp over 3N actions of [Q_j(s, a) - log mu(a)] - mean_{data} Q_j(s, a)
  // with N actions from U(-1,1)^A (log mu = -A log 2), N from pi(.|s) and N from pi(.|s') (log mu =
  // their log pi), the sampled actions carrying no gradient (CQL(H) with importance sampling).

  // Plain SAC step on minibatch mb (backup entropy on).
  UpdateStats sac_update(const Transitions& mb);
  // SAC step plus cql.weight * penalty over the minibatch's own states (cql.backup_entropy).
  UpdateStats cql_update(const Transitions& mb);
  // H2O step (DESIGN §4). Critic j minimises mean_real (Q_j - y)^2 + mean_sim w (Q_j - y)^2 +
  // h2o.penalty * term, with h2o.conservative:
  //   gap: clamp(logsumexp_{sim rows} [Q_j(s, a) + log omega] - mean_real Q_j, -1000, 1000),
  //        omega = u / sum(u) (the H2O code's dynamics-gap weighting of simulated Q);
  //   sampled_actions: the CQL(H) penalty above over the simulated states;
  // plus h2o.real_penalty * the CQL(H) penalty above over the real states when that is > 0 (not in
  // H2O; its penalty actions are drawn after those of the term before).
  // The actor and temperature use real and simulated states. weights: one entry per simulated row.
  UpdateStats h2o_update(const Transitions& real, const Transitions& sim,
                         const SimRowWeights& weights);

  // Inputs of actor and critics become (obs - mean) / std from now on (offline.obs_normalization).
  // The statistics are part of state() and actor_state(). Sizes must be obs_dim; std entries > 0.
  void set_obs_normalization(const std::vector<float>& mean, const std::vector<float>& std);

  // L(B): mean over rows of w_i * (Bellman error of Q_1 and Q_2, averaged); weights null means 1.
  // The target follows h2o.backup_entropy (the loss is taken in the online phase).
  // Next actions use a fresh noise stream Rng(seed, kPolicyNoise, index, 1): no state changes.
  double critic_loss(const Transitions& b, const std::vector<float>* weights) const;

  // V(B): mean over B's states of min_j Q_j(s, tanh(mean of pi(.|s))), the policy's own estimate
  // of its return from those states (posterior.loss: value). Deterministic; no state changes.
  double value_estimate(const Transitions& b) const;

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
  friend class AgentStack;
  // The actor's blobs: network, log-std scale and offset, input standardisation.
  void put_actor(TensorBlobs& out) const;
  void take_actor(const TensorBlobs& blobs);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Several agents updated as one stacked computation: their weights on a leading policy axis and
// one batched GEMM per layer for all, which saves most of the per-operation overhead of small
// networks (mfhrl_learn_ensemble_bench). Every agent ends bit-identical to calling its own
// cql_update / h2o_update on the same minibatches (tests compare the bits): each agent's slice
// takes the operations of its own update in the same order, draws from its own noise stream, and
// gets the same vector or scalar kernel paths. That last part holds only when every row count
// of a minibatch (real and simulated) is a multiple of 32. Other sizes, a single agent, and
// updates too large for stacking to pay (about 2^17 floats per policy and layer, e.g. CQL at
// batch 128) are run one agent at a time, with the same results (last_update_stacked() tells).
//
// Stacked updates work on copies of the agents' state; store() writes them back. Between the
// first update and store() the agents must not be updated, loaded, saved or used to act. The
// agents must share one network shape and have taken the same number of steps.
class AgentStack {
 public:
  explicit AgentStack(const std::vector<Agent*>& agents);
  ~AgentStack();
  AgentStack(const AgentStack&) = delete;
  AgentStack& operator=(const AgentStack&) = delete;

  std::size_t size() const;
  // One cql_update of agent i on mbs[i], for every i; all minibatches have the same size.
  std::vector<UpdateStats> cql_update(const std::vector<Transitions>& mbs);
  // One h2o_update of agent i on (real[i], sim[i], weights[i]); sizes equal across agents.
  std::vector<UpdateStats> h2o_update(const std::vector<Transitions>& real,
                                      const std::vector<Transitions>& sim,
                                      const std::vector<SimRowWeights>& weights);
  // Whether the last update ran as one stacked computation.
  bool last_update_stacked() const;
  // Writes the networks, targets, temperatures and Adam states back into the agents; the next
  // update copies them again.
  void store();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mfhrl::learn
