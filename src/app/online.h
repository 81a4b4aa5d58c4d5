// The online phase of MF-HRL-IGM (DESIGN §3): one function per step of a round, called in order by
// OnlineLoop::round(). Config and levels are constant; RunState is everything that changes.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "mfhrl/core/budget.h"
#include "mfhrl/core/regret.h"
#include "mfhrl/core/selection.h"
#include "mfhrl/core/strategy.h"
#include "mfhrl/core/trace.h"
#include "mfhrl/learn/discriminator.h"
#include "policies.h"

namespace mfhrl::app {

// The offline data's content digest (FNV-1a over every column), so a resume refuses a dataset
// that changed under the same path.
std::uint64_t offline_digest(const Transitions& data);

// Everything a run holds between rounds, this rank's policies included: a checkpoint is this
// state saved (capture_checkpoint) and a resume is it loaded (restore_checkpoint).
struct RunState {
  explicit RunState(PolicySet p) : policies(std::move(p)) {}

  std::int64_t round = 0;
  Budget budget;
  double eta = 1.0;                     // the posterior's learning rate (posterior.eta or auto)
  std::vector<double> posterior;        // (L) p_r
  std::vector<double> spent_per_level;  // (K)
  RegretAccumulator regret;
  std::vector<Transitions> buffers;  // (K) FIFO replay buffer of each level
  // (K) rows ever collected at each level: its buffer holds the newest min(this, capacity)
  std::vector<std::int64_t> rows_collected;
  std::vector<std::deque<Transitions>> history;  // (K) last M batches of each level
  std::vector<sim::EnvGroup> groups;             // (K) this rank's env instances of each level
  std::vector<learn::Discriminator> discs;       // (K) used where the level has a dynamics gap
  PolicySet policies;                            // this rank's block of the L policies
  std::vector<Rng> policy_rngs;                  // (owned block) online minibatch streams
  std::vector<Rng> disc_rngs;                    // (K) discriminator minibatch streams
  // (K) the level costs selection and the budget use: declared, or measured when the run started
  std::vector<double> level_cost;
  std::uint64_t offline_digest = 0;  // of the offline data the run started with
};

// Round 0 around `policies` (fresh, trained or loaded): uniform posterior, empty buffers, this
// rank's env instances, every stream at its start.
RunState initial_run_state(const Config& c, const dist::Comm& comm, const Levels& levels,
                           const Transitions& offline, PolicySet policies);

// Thrown out of OnlineLoop::round() when its interrupt poll says to stop mid-round; the state is
// then partly updated and only a checkpoint captured before the round may be written.
struct RoundInterrupted {};

class OnlineLoop {
 public:
  // Starts from initial_run_state.
  OnlineLoop(const Config& c, const dist::Comm& comm, const Levels& levels,
             const Transitions& offline, PolicySet policies);

  bool done() const { return state_.budget.exhausted(); }
  // posterior.eta: auto: eta from the policies' statistic on online-sized batches of the offline
  // data (core eta_from_loss_spread); otherwise the configured eta. Call once the policies are
  // trained or loaded, before the first round. Collective.
  void calibrate_eta();
  // One round: select -> collect -> posterior -> update -> evaluate -> record. Collective.
  TraceRow round();
  const RunState& state() const { return state_; }
  // The level trust (igm.trust) of the last round, all 1 with igm.trust: none.
  const std::vector<double>& trust() const { return trust_; }
  // Wall seconds this process spent in each step of its rounds so far (collectives included).
  struct PhaseSeconds {
    double information_gain = 0.0, collect = 0.0, posterior = 0.0, update = 0.0, evaluate = 0.0;
    // Parts of update: discriminator training and broadcasts, minibatches with their dynamics
    // weights, and the policies' stacked update.
    double discriminators = 0.0, minibatches = 0.0, learner = 0.0;
  };
  const PhaseSeconds& phase_seconds() const { return phases_; }
  // The offline phase: the policies from `pretrained` (a `mfhrl pretrain` file) when not empty,
  // else offline.steps CQL updates each; then calibrate_eta(). Collective.
  void offline_phase(const std::string& pretrained);
  // The whole state from a checkpoint's blobs (restore_checkpoint), before the first round().
  // InputError naming `what` and the entry on anything missing or of the wrong shape.
  void restore(const TensorBlobs& checkpoint, const std::string& what);
  // Called by every rank at the same points of a round's update phase (so it may be collective);
  // returning true makes round() throw RoundInterrupted.
  void set_interrupt_poll(std::function<bool()> poll) { poll_ = std::move(poll); }

 private:
  std::vector<double> information_gains();
  int select(const std::vector<double>& ig, Selection* sel);
  int rollout_policy();
  // counts[i] transitions of `policy` from instance i of level k (every rank's instances),
  // gathered in instance order. Collective.
  Transitions collect(int level, int policy, const std::vector<int>& counts);
  // posterior.loss: return: each policy's share of n on its own instances, in policy order.
  // Collective.
  Transitions collect_every_policy(int level);
  // L_l(B) of every policy (posterior.loss), each computed by its owner and summed. Collective.
  std::vector<double> policy_losses(int level, const Transitions& batch) const;
  // This rank's policies' statistic on batch (the rest zero), w the batch's dynamics ratios.
  std::vector<double> local_losses(const Transitions& batch, const std::vector<float>& w) const;
  std::vector<double> update_posterior(int level, const Transitions& batch);
  // eta auto from losses[b][l] (core eta_from_loss_spread), posterior.eta if they cannot tell the
  // policies apart; logged with what they were measured on.
  void adopt_eta(const std::vector<std::vector<double>>& losses, const std::string& measured_on);
  void remember(int level, Transitions batch);
  void hybrid_update(int updates);
  std::vector<double> evaluate_deployed(int policy);
  // Real-system returns of every policy, (L, eval.episodes) row-major, each row by its owner.
  // The episodes are those evaluate_deployed runs, so a row is what it would return. Collective.
  std::vector<double> evaluate_all();

  // True when level k has a dynamics gap to the real system (so a discriminator and ratios).
  bool has_gap(int k) const;
  // Dynamics ratios of level k's rows (empty: all 1).
  std::vector<float> ratios(int k, const Transitions& rows) const;
  // Policy l's agent on every rank: the owner's, or a broadcast copy. Collective when P > 1.
  // Only the actor crosses ranks (the copy is used to act, never trained).
  const learn::Agent& shared_policy(int l);
  // `batch` uniform rows over all level buffers; level_of gets each row's level (0-based).
  Transitions sample_simulated(std::size_t batch, Rng& rng, std::vector<int>* level_of) const;
  // Per simulated row, w and the dynamics gap u from its level's discriminators.
  learn::SimRowWeights sim_weights(const Transitions& sim, const std::vector<int>& level_of,
                                   Rng& rng) const;

  const Config& c_;
  const dist::Comm& comm_;
  const Levels& levels_;
  const Transitions& offline_;
  std::unique_ptr<Strategy> strategy_;
  ThresholdBudget threshold_budget_;
  ThresholdForm threshold_form_;
  bool return_loss_;      // posterior.loss: return
  bool first_batch_eta_;  // eta auto, measured on round 1's batch
  learn::Agent scratch_;  // receives broadcast actors
  RunState state_;
  std::function<bool()> poll_;
  PhaseSeconds phases_;
  std::vector<double> trust_;  // (K) this round's level trust (igm.trust), from information_gains
  std::vector<float> next_state_std_;  // (obs_dim) offline std + 1e-3: the gap's resampling noise
};

}  // namespace mfhrl::app
