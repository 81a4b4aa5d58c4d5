#include "online.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>

#include "checkpoint.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/information_gain.h"
#include "mfhrl/core/log.h"
#include "mfhrl/core/partition.h"
#include "mfhrl/core/posterior.h"
#include "mfhrl/core/ranking.h"
#include "mfhrl/core/regret.h"
#include "mfhrl/core/serialize.h"
#include "mfhrl/learn/spec.h"

namespace mfhrl::app {

RunState initial_run_state(const Config& c, const dist::Comm& comm, const Levels& levels,
                           const Transitions& offline, PolicySet policies) {
  RunState s(std::move(policies));
  const int K = c.num_levels();
  s.level_cost = levels.cost;
  s.offline_digest = offline_digest(offline);
  s.rows_collected.assign(static_cast<std::size_t>(K), 0);
  s.budget.total = c.budget_total;
  s.eta = c.posterior.eta;
  s.posterior = uniform_prior(c.offline.policies);
  s.spent_per_level.assign(static_cast<std::size_t>(K), 0.0);
  s.buffers.resize(static_cast<std::size_t>(K));
  s.history.resize(static_cast<std::size_t>(K));
  const Block inst = instance_block(c.online.envs, comm.size(), comm.rank());
  const learn::AgentSpec spec = learn::agent_spec(c);
  for (int k = 0; k < K; ++k) {
    s.groups.emplace_back(levels.sims[static_cast<std::size_t>(k)], c.seed,
                          online_instance(k, c.online.envs, inst.begin), inst.size(),
                          c.episode_steps);
    s.discs.emplace_back(spec, c.seed, static_cast<std::uint64_t>(k));
    s.disc_rngs.emplace_back(c.seed, Stream::kDiscriminator, static_cast<std::uint64_t>(k), 1);
  }
  for (int l = s.policies.block().begin; l < s.policies.block().end; ++l) {
    // sub-stream 1: the online phase, apart from the offline phase's stream of the same policy.
    s.policy_rngs.emplace_back(c.seed, Stream::kMinibatch, static_cast<std::uint64_t>(l), 1);
  }
  return s;
}

OnlineLoop::OnlineLoop(const Config& c, const dist::Comm& comm, const Levels& levels,
                       const Transitions& offline, PolicySet policies)
    : c_(c),
      comm_(comm),
      levels_(levels),
      offline_(offline),
      strategy_(make_strategy(c.strategy, c.num_levels())),
      threshold_budget_(parse_threshold_budget(c.igm.threshold_budget)),
      threshold_form_(parse_threshold_form(c.igm.threshold)),
      return_loss_(c.posterior.loss == PosteriorLoss::kReturn),
      first_batch_eta_(c.posterior.eta_auto && c.offline.policies >= 2 &&
                       (return_loss_ || c.posterior.calibrate == EtaCalibration::kFirstBatch)),
      scratch_(learn::agent_spec(c), c.seed, 0),
      state_(initial_run_state(c, comm, levels, offline, std::move(policies))) {
  std::vector<float> unused_mean;
  observation_stats(offline, 1e-3, &unused_mean, &next_state_std_);
}

TraceRow OnlineLoop::round() {
  ++state_.round;
  TraceRow row;
  row.round = state_.round;
  Laps laps;
  row.information_gain = information_gains();
  Selection sel;
  const int k = select(row.information_gain, &sel);
  laps.lap(phases_.information_gain);
  Transitions batch;
  if (return_loss_) {
    row.rollout_policy = -1;  // every policy collects its share (posterior.loss: return)
    batch = collect_every_policy(k);
  } else {
    row.rollout_policy = rollout_policy();
    batch = collect(k, row.rollout_policy,
                    sim::split_counts(c_.online.batch_transitions, c_.online.envs));
  }
  row.cost =
      state_.budget.charge(levels_.cost[static_cast<std::size_t>(k)], c_.online.batch_transitions);
  state_.spent_per_level[static_cast<std::size_t>(k)] += row.cost;
  laps.lap(phases_.collect);
  row.policy_losses = update_posterior(k, batch);
  remember(k, std::move(batch));
  laps.lap(phases_.posterior);
  const int K = c_.num_levels();
  hybrid_update(c_.online.updates_per == UpdatesPer::kCost
                    ? updates_for_cost(c_.online.updates_per_round, row.cost,
                                       levels_.cost[static_cast<std::size_t>(K - 1)] *
                                           c_.online.batch_transitions)
                    : c_.online.updates_per_round);
  laps.lap(phases_.update);
  row.deployed_policy = map_policy(state_.posterior);
  const bool all_due =
      state_.budget.exhausted() || (c_.eval_all_every > 0 && state_.round % c_.eval_all_every == 0);
  std::vector<double> returns;
  if (all_due) {
    // Every policy's episodes; the deployed policy's are its row, not evaluated a second time.
    const int L = c_.offline.policies, E = c_.eval_episodes;
    const std::vector<double> all = evaluate_all();
    row.policy_returns.assign(static_cast<std::size_t>(L), 0.0);
    for (int l = 0; l < L; ++l) {
      const auto first = all.begin() + static_cast<std::ptrdiff_t>(l) * E;
      const std::vector<double> r(first, first + E);
      double sd = 0.0;
      mean_std(r, &row.policy_returns[static_cast<std::size_t>(l)], &sd);
      if (l == row.deployed_policy) returns = r;
    }
  } else {
    returns = evaluate_deployed(row.deployed_policy);
    row.policy_returns.assign(static_cast<std::size_t>(c_.offline.policies),
                              std::numeric_limits<double>::quiet_NaN());
  }

  laps.lap(phases_.evaluate);
  row.level = k + 1;
  row.budget_spent = state_.budget.spent;
  row.ig_per_cost = sel.ig_per_cost;
  row.threshold = sel.beta;
  row.posterior = state_.posterior;
  mean_std(returns, &row.eval_return_mean, &row.eval_return_std);
  row.normalized_score = d4rl_normalized_score(row.eval_return_mean);
  row.regret = instant_regret(c_.reference_return, row.eval_return_mean);
  state_.regret.add(row.regret, row.cost);
  row.cumulative_regret = state_.regret.cumulative;
  row.cost_weighted_regret = state_.regret.cost_weighted;
  return row;
}

// Step 1: IG_k from the losses of every policy on every remembered batch (allreduced matrix).
std::vector<double> OnlineLoop::information_gains() {
  const int K = c_.num_levels(), L = c_.offline.policies, M = c_.igm.history;
  const Block& own = state_.policies.block();
  LevelLossHistory local(static_cast<std::size_t>(K));
  for (int k = 0; k < K; ++k) {
    for (const Transitions& b : state_.history[static_cast<std::size_t>(k)]) {
      local[static_cast<std::size_t>(k)].push_back(local_losses(b, ratios(k, b)));
    }
  }
  IgLossMatrix m = pack_ig_losses(local, L, M, own.begin, own.end);
  comm_.allreduce_sum(dist::Span<double>(m.data(), m.size()));
  const LevelLossHistory all = unpack_ig_losses(m);
  for (const auto& level : all) {
    for (const auto& losses : level) check_finite_losses(losses, state_.round);
  }
  // igm.trust scales each level's eta by its trust (the top level's is 1).
  switch (c_.igm.trust) {
    case LevelTrust::kAgreement:
      trust_ = level_trust(all, K - 1);
      break;
    case LevelTrust::kPooled:
      trust_ = level_trust_pooled(all, K - 1);
      break;
    case LevelTrust::kNone:
      trust_.assign(static_cast<std::size_t>(K), 1.0);
      break;
  }
  // igm.trust_explore: the level is chosen with a trust optimistic about estimates made from few
  // batches; the posterior update keeps trust_ (update_posterior).
  std::vector<int> batches;
  for (const auto& level : all) batches.push_back(static_cast<int>(level.size()));
  const std::vector<double> choose_with =
      optimistic_trust(trust_, batches, K - 1, c_.igm.trust_explore);
  // posterior.forget: a batch of this round would update the tempered posterior.
  return information_gain(temper_posterior(state_.posterior, c_.posterior.forget), all, state_.eta,
                          choose_with);
}

// Step 2: the strategy's level; rank 0's choice is broadcast and every rank checks its own.
int OnlineLoop::select(const std::vector<double>& ig, Selection* sel) {
  StrategyInput in;
  in.ig = ig;
  in.cost_per_transition = levels_.cost;
  in.n = c_.online.batch_transitions;
  in.beta =
      threshold_form_ == ThresholdForm::kEntropyRate
          ? threshold_beta_entropy_rate(c_.igm.threshold_scale, entropy_nats(state_.posterior),
                                        state_.budget.total, state_.budget.spent, threshold_budget_)
          : threshold_beta(c_.igm.threshold_scale, state_.budget.total, state_.budget.spent,
                           threshold_budget_);
  in.spent_per_level = state_.spent_per_level;
  const int mine = strategy_->choose(in, sel);
  const int chosen = comm_.broadcast_value(mine, 0);
  MFHRL_CHECK(chosen == mine, "rank " << comm_.rank() << " selected level " << mine
                                      << " but rank 0 selected " << chosen << " in round "
                                      << state_.round);
  return chosen;
}

// Step 3a: the policy that collects: a Thompson draw from p_{r-1} or its MAP.
int OnlineLoop::rollout_policy() {
  if (c_.online.rollout == RolloutPolicy::kMap) return map_policy(state_.posterior);
  Rng rng(c_.seed, Stream::kThompson, static_cast<std::uint64_t>(state_.round));
  return sample_policy(state_.posterior, rng);
}

// Step 3b: n transitions on level k from every rank's instances, gathered in instance order.
Transitions OnlineLoop::collect(int level, int policy, const std::vector<int>& counts) {
  const learn::Agent& actor = shared_policy(policy);
  const Block inst = instance_block(c_.online.envs, comm_.size(), comm_.rank());
  const std::vector<int> mine(counts.begin() + inst.begin, counts.begin() + inst.end);
  sim::EnvGroup& group = state_.groups[static_cast<std::size_t>(level)];
  sim::Policy act = sampling_policy(actor);
  if (return_loss_ && c_.posterior.return_actions == ReturnActions::kMean) {
    act = [g = greedy_policy(actor)](int rows, const float* obs, float* action, Rng* const*) {
      g(rows, obs, action);
    };
  }
  const Transitions local = group.collect(mine, act);
  std::vector<std::uint8_t> bytes;
  serialize(local, bytes);
  return deserialize_transitions(comm_.allgatherv(bytes));
}

// posterior.loss: return. Policy l collects segment l of split_counts(n, L), in policy order, on
// its own instances l, l + L, l + 2L, ... of the level, so each policy continues its own episodes
// and a segment's mean reward is that policy's return per step on the level.
Transitions OnlineLoop::collect_every_policy(int level) {
  const int L = c_.offline.policies, per_policy = c_.online.envs / L;
  const std::vector<int> shares = sim::split_counts(c_.online.batch_transitions, L);
  Transitions batch;
  batch.reserve(static_cast<std::size_t>(c_.online.batch_transitions));
  for (int l = 0; l < L; ++l) {
    if (shares[static_cast<std::size_t>(l)] == 0) continue;
    const std::vector<int> own = sim::split_counts(shares[static_cast<std::size_t>(l)], per_policy);
    std::vector<int> counts(static_cast<std::size_t>(c_.online.envs), 0);
    for (int i = 0; i < per_policy; ++i)
      counts[static_cast<std::size_t>(l + L * i)] = own[static_cast<std::size_t>(i)];
    batch.append(collect(level, l, counts));
  }
  return batch;
}

std::vector<double> OnlineLoop::local_losses(const Transitions& batch,
                                             const std::vector<float>& w) const {
  std::vector<double> losses(static_cast<std::size_t>(c_.offline.policies), 0.0);
  if (return_loss_) {
    const int L = c_.offline.policies;
    const std::vector<double> all =
        segment_return_losses(batch.rew, sim::split_counts(static_cast<int>(batch.size()), L));
    for (int l = state_.policies.block().begin; l < state_.policies.block().end; ++l)
      losses[static_cast<std::size_t>(l)] = all[static_cast<std::size_t>(l)];
    return losses;
  }
  const bool value = c_.posterior.loss == PosteriorLoss::kValue;
  for (int l = state_.policies.block().begin; l < state_.policies.block().end; ++l) {
    const learn::Agent& a = state_.policies.agent(l);
    losses[static_cast<std::size_t>(l)] =
        value ? -a.value_estimate(batch) : a.critic_loss(batch, w.empty() ? nullptr : &w);
  }
  return losses;
}

std::vector<double> OnlineLoop::policy_losses(int level, const Transitions& batch) const {
  std::vector<double> losses = local_losses(batch, ratios(level, batch));
  comm_.allreduce_sum(losses);
  check_finite_losses(losses, state_.round);
  return losses;
}

// Step 4: p_r ∝ p_{r-1} exp(-eta L(B)), L from each owner, summed over ranks.
std::vector<double> OnlineLoop::update_posterior(int level, const Transitions& batch) {
  std::vector<double> losses = policy_losses(level, batch);
  if (first_batch_eta_ && !(state_.eta > 0.0)) {
    // eta auto on the first collected batch (posterior.calibrate: first_batch, or the return
    // statistic, which the offline data cannot give).
    adopt_eta({losses}, "round " + std::to_string(state_.round) + "'s batch");
  }
  const double w = trust_[static_cast<std::size_t>(level)];  // set by information_gains()
  // posterior.forget: older batches fade every round, trusted or not (rho 1 keeps p as it is).
  state_.posterior = temper_posterior(state_.posterior, c_.posterior.forget);
  if (w > 0.0) state_.posterior = posterior_update(state_.posterior, losses, state_.eta * w);
  return losses;
}

void OnlineLoop::offline_phase(const std::string& pretrained) {
  MFHRL_CHECK(state_.round == 0, "the offline phase comes before round 1");
  if (!pretrained.empty()) {
    state_.policies.load(pretrained, c_);
    log::info("offline: loaded " + std::to_string(c_.offline.policies) + " policies from " +
              pretrained);
  } else {
    state_.policies.pretrain(c_, levels_.real);
  }
  calibrate_eta();
}

void OnlineLoop::restore(const TensorBlobs& checkpoint, const std::string& what) {
  MFHRL_CHECK(state_.round == 0, "a checkpoint is restored before round 1");
  restore_checkpoint(c_, checkpoint, state_, what);
}

void OnlineLoop::calibrate_eta() {
  if (!c_.posterior.eta_auto) {
    state_.eta = c_.posterior.eta;
    return;
  }
  const int L = c_.offline.policies, batches = 8;
  if (first_batch_eta_) {  // implies L >= 2
    state_.eta = 0.0;      // set from the first collected batch (update_posterior)
    log::info("posterior: eta auto will be set on the first collected batch");
    return;
  }
  if (L < 2) {
    state_.eta = c_.posterior.eta;
    log::info("posterior: eta auto needs L >= 2 policies; using posterior.eta " +
              std::to_string(state_.eta));
    return;
  }
  const auto n = std::min(static_cast<std::size_t>(c_.online.batch_transitions), offline_.size());
  std::vector<std::vector<double>> losses;
  for (int b = 0; b < batches; ++b) {
    Rng rng(c_.seed, Stream::kCalibration, static_cast<std::uint64_t>(b));
    std::vector<std::size_t> idx(n);
    for (auto& j : idx) {
      j = std::min(static_cast<std::size_t>(rng.uniform() * static_cast<double>(offline_.size())),
                   offline_.size() - 1);
    }
    std::vector<double> l = local_losses(offline_.gather(idx), {});
    comm_.allreduce_sum(l);
    check_finite_losses(l, 0);
    losses.push_back(std::move(l));
  }
  adopt_eta(losses, std::to_string(batches) + " batches of " + std::to_string(n) + " offline rows");
}

void OnlineLoop::adopt_eta(const std::vector<std::vector<double>>& losses,
                           const std::string& measured_on) {
  const double eta = eta_from_loss_spread(losses, c_.posterior.step);
  state_.eta = eta > 0.0 ? eta : c_.posterior.eta;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "posterior: eta auto = %.6g (%s statistic on %s: one batch moves the log-weights "
                "apart by %.3g nats)%s",
                state_.eta, enum_name(c_.posterior.loss), measured_on.c_str(), c_.posterior.step,
                eta > 0.0 ? "" : "; the policies were indistinguishable, posterior.eta used");
  log::info(buf);
}

void OnlineLoop::remember(int level, Transitions batch) {
  Transitions& buf = state_.buffers[static_cast<std::size_t>(level)];
  state_.rows_collected[static_cast<std::size_t>(level)] += static_cast<std::int64_t>(batch.size());
  buf.append(batch);
  keep_newest(buf, static_cast<std::size_t>(c_.online.buffer_capacity));
  auto& h = state_.history[static_cast<std::size_t>(level)];
  h.push_back(std::move(batch));
  while (static_cast<int>(h.size()) > c_.igm.history) h.pop_front();
}

// Step 6: the deployed policy's deterministic returns on the real system; episodes split over
// ranks by block and summed back.
std::vector<double> OnlineLoop::evaluate_deployed(int policy) {
  const learn::Agent& actor = shared_policy(policy);
  const int E = c_.eval_episodes;
  const Block mine = block_of(E, comm_.size(), comm_.rank());
  std::vector<double> returns(static_cast<std::size_t>(E), 0.0);
  if (mine.size() > 0) {
    const std::vector<double> local = sim::evaluate(
        levels_.real, c_.seed, mine.size(), greedy_policy(actor), c_.episode_steps, mine.begin);
    std::copy(local.begin(), local.end(), returns.begin() + mine.begin);
  }
  comm_.allreduce_sum(returns);
  return returns;
}

std::vector<double> OnlineLoop::evaluate_all() {
  const int E = c_.eval_episodes;
  std::vector<double> all(static_cast<std::size_t>(c_.offline.policies) * E, 0.0);
  for (int l = state_.policies.block().begin; l < state_.policies.block().end; ++l) {
    const std::vector<double> r = sim::evaluate(
        levels_.real, c_.seed, E, greedy_policy(state_.policies.agent(l)), c_.episode_steps, 0);
    std::copy(r.begin(), r.end(), all.begin() + static_cast<std::ptrdiff_t>(l) * E);
  }
  comm_.allreduce_sum(all);
  return all;
}

bool OnlineLoop::has_gap(int k) const {
  return c_.real_is_separate || k + 1 < c_.num_levels();
}

std::vector<float> OnlineLoop::ratios(int k, const Transitions& rows) const {
  if (!has_gap(k) || rows.empty()) return {};
  return state_.discs[static_cast<std::size_t>(k)].dynamics_ratio(rows);
}

const learn::Agent& OnlineLoop::shared_policy(int l) {
  if (comm_.size() == 1) return state_.policies.agent(l);
  const int owner = owner_of(l, c_.offline.policies, comm_.size());
  std::vector<std::uint8_t> bytes;
  if (state_.policies.owns(l)) bytes = serialize(state_.policies.agent(l).actor_state());
  comm_.broadcast(bytes, owner);
  if (state_.policies.owns(l)) return state_.policies.agent(l);
  scratch_.load_actor_state(deserialize_blobs(bytes));
  return scratch_;
}

}  // namespace mfhrl::app
