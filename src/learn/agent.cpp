// SAC / CQL(H) / H2O agent (see agent.h). The only update path is Impl::update, which the three
// public updates parameterise: which rows are real, their weights, and where the penalty applies.
#include "mfhrl/learn/agent.h"

#include <cmath>

#include "actor_forward.h"
#include "mfhrl/core/error.h"
#include "nets.h"

namespace mfhrl::learn {

namespace {
constexpr double kLogStdMin = -20.0, kLogStdMax = 2.0;

// The conservative term of the critic loss.
enum class Penalty {
  kNone,    // plain SAC
  kCqlAll,  // CQL(H) with sampled actions at every state (CQL)
  kCqlSim,  // CQL(H) with sampled actions at the simulated states (h2o.conservative)
  kGap,     // H2O: logsumexp over simulated rows of Q + log omega, minus mean real Q
};

// What one update minimises, beyond plain SAC.
struct UpdatePlan {
  std::int64_t n_real = 0;      // rows [0, n_real) are real, the rest simulated
  torch::Tensor sim_weight;     // (n_sim) importance weights of the simulated rows, or undefined
  torch::Tensor sim_log_omega;  // (n_sim) log omega for Penalty::kGap
  Penalty penalty = Penalty::kNone;
  double penalty_weight = 0.0;  // its weight in the critic loss
  bool backup_entropy = true;   // -alpha log pi(a'|s') in the target
};

// Re-initialises the last Linear of net: Xavier-uniform with gain 1e-2, zero bias.
void small_last_layer(const Mlp& net) {
  torch::NoGradGuard no_grad;
  auto* last = net->ptr(net->size() - 1)->as<torch::nn::Linear>();
  torch::nn::init::xavier_uniform_(last->weight, 1e-2);
  torch::nn::init::zeros_(last->bias);
}
}  // namespace

struct Agent::Impl {
  AgentSpec spec;
  std::uint64_t seed, index;
  Mlp actor, q1, q2, q1_target, q2_target;
  // log_std = log_std_scale * raw + log_std_offset (learnable, part of the actor).
  torch::Tensor log_std_scale, log_std_offset;
  torch::Tensor obs_mean, obs_std;  // (obs_dim) input standardisation; 0 and 1 when off
  torch::Tensor log_alpha;
  std::unique_ptr<Adam> actor_opt, critic_opt, alpha_opt;
  Rng noise;
  // The actor as plain floats for act_rows(); rebuilt on first use after the actor changes.
  mutable ActorForward inference;
  mutable bool inference_stale = true;

  const ActorForward& actor_forward() const {
    if (inference_stale) {
      const auto floats = [](const torch::Tensor& t) {
        const auto c = t.detach().contiguous();
        return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
      };
      std::vector<ActorForward::Layer> layers;
      for (const auto& m : actor->children()) {
        const auto* lin = m->as<torch::nn::Linear>();
        if (lin == nullptr) continue;
        ActorForward::Layer l;
        l.out = static_cast<int>(lin->weight.size(0));
        l.in = static_cast<int>(lin->weight.size(1));
        l.weight = floats(lin->weight);
        l.bias = floats(lin->bias);
        layers.push_back(std::move(l));
      }
      inference = ActorForward(layers, log_std_scale.item<float>(), log_std_offset.item<float>(),
                               floats(obs_mean), floats(obs_std));
      inference_stale = false;
    }
    return inference;
  }

  Impl(const AgentSpec& s, std::uint64_t seed_, std::uint64_t index_)
      : spec(s), seed(seed_), index(index_), noise(seed_, Stream::kPolicyNoise, index_) {
    validate(spec);
    const int in_q = spec.obs_dim + spec.act_dim;
    // Seeding right before construction makes the weights a function of (seed, index) alone.
    torch::manual_seed(stream_key(seed, Stream::kNetworkInit, index));
    actor = make_mlp(spec.obs_dim, spec.net.hidden, 2 * spec.act_dim);
    q1 = make_mlp(in_q, spec.critic_widths(), 1);
    q2 = make_mlp(in_q, spec.critic_widths(), 1);
    q1_target = make_mlp(in_q, spec.critic_widths(), 1);
    q2_target = make_mlp(in_q, spec.critic_widths(), 1);
    const bool reference = spec.net.init == NetInit::kReference;
    if (reference) {
      small_last_layer(actor);
      small_last_layer(q1);
      small_last_layer(q2);
    }
    log_std_scale = torch::ones({}, torch::kFloat32).requires_grad_();
    log_std_offset = torch::full({}, reference ? -1.0 : 0.0, torch::kFloat32).requires_grad_();
    obs_mean = torch::zeros({spec.obs_dim}, torch::kFloat32);
    obs_std = torch::ones({spec.obs_dim}, torch::kFloat32);
    copy_params(q1_target, q1);
    copy_params(q2_target, q2);
    set_requires_grad(q1_target, false);
    set_requires_grad(q2_target, false);
    log_alpha = torch::full({}, std::log(spec.net.init_alpha), torch::kFloat32).requires_grad_();
    auto actor_params = actor->parameters();
    actor_params.push_back(log_std_scale);
    actor_params.push_back(log_std_offset);
    actor_opt = std::make_unique<Adam>(actor_params, spec.net.actor_lr);
    auto critic_params = q1->parameters();
    for (const auto& p : q2->parameters()) critic_params.push_back(p);
    critic_opt = std::make_unique<Adam>(critic_params, spec.net.critic_lr);
    alpha_opt = std::make_unique<Adam>(std::vector<torch::Tensor>{log_alpha}, spec.net.alpha_lr);
  }

  // Tanh-Gaussian action for obs rows with standard-normal noise eps, and its log-density.
  std::pair<torch::Tensor, torch::Tensor> sample(const torch::Tensor& obs,
                                                 const torch::Tensor& eps) const {
    const auto out = actor.ptr()->forward(obs);
    const auto mu = out.slice(1, 0, spec.act_dim);
    const auto raw = out.slice(1, spec.act_dim, 2 * spec.act_dim);
    const auto log_std = (log_std_scale * raw + log_std_offset).clamp(kLogStdMin, kLogStdMax);
    const auto u = mu + log_std.exp() * eps;
    const double half_log_2pi = 0.5 * std::log(2.0 * M_PI);
    auto logp = (-0.5 * eps.square() - log_std - half_log_2pi).sum(1);
    // log(1 - tanh(u)^2) in a form that stays finite for large |u|.
    logp = logp - (2.0 * (std::log(2.0) - u - torch::softplus(-2.0 * u))).sum(1);
    return {torch::tanh(u), logp};
  }

  // Q of one critic for rows (obs, act), shape (N).
  static torch::Tensor q(const Mlp& net, const torch::Tensor& obs, const torch::Tensor& act) {
    return net.ptr()->forward(torch::cat({obs, act}, 1)).squeeze(1);
  }

  // Standardised inputs (identity unless set_obs_normalization was called).
  Batch prepared(const Transitions& t) const {
    Batch b = to_batch(t, spec.obs_dim, spec.act_dim);
    b.obs = normalize(b.obs);
    b.next_obs = normalize(b.next_obs);
    return b;
  }
  torch::Tensor normalize(const torch::Tensor& obs) const { return (obs - obs_mean) / obs_std; }

  // Bellman target r + gamma (1 - done) (min_j Qbar_j(s', a') [- alpha log pi(a'|s')]).
  torch::Tensor target(const Batch& b, Rng& rng, double alpha, bool backup_entropy) const {
    torch::NoGradGuard no_grad;
    const auto eps = normal_tensor(rng, b.next_obs.size(0), spec.act_dim);
    const auto [a2, logp2] = sample(b.next_obs, eps);
    auto next_v = torch::min(q(q1_target, b.next_obs, a2), q(q2_target, b.next_obs, a2));
    if (backup_entropy) next_v = next_v - alpha * logp2;
    return b.rew + spec.net.gamma * (1.0 - b.done) * next_v;
  }

  // CQL(H) importance-sampled logsumexp over N uniform, N pi(s) and N pi(s') actions at states
  // obs (next states next_obs), for both critics: returns (B) tensors per critic.
  std::pair<torch::Tensor, torch::Tensor> logsumexp_q(const torch::Tensor& obs,
                                                      const torch::Tensor& next_obs) {
    const std::int64_t n = spec.cql.actions, rows = obs.size(0) * n, a = spec.act_dim;
    const auto s = obs.repeat_interleave(n, 0);
    const auto s2 = next_obs.repeat_interleave(n, 0);
    const auto a_rand = uniform_tensor(noise, rows, a, -1.0, 1.0);
    const auto eps_cur = normal_tensor(noise, rows, a);
    const auto eps_next = normal_tensor(noise, rows, a);
    torch::Tensor a_cur, logp_cur, a_next, logp_next;
    {
      torch::NoGradGuard no_grad;
      std::tie(a_cur, logp_cur) = sample(s, eps_cur);
      std::tie(a_next, logp_next) = sample(s2, eps_next);
    }
    const double log_unif = a * std::log(2.0);  // -log density of U(-1, 1)^a
    auto one = [&](const Mlp& net) {
      const auto cat = torch::cat({(q(net, s, a_rand) + log_unif).view({-1, n}),
                                   (q(net, s, a_cur) - logp_cur).view({-1, n}),
                                   (q(net, s, a_next) - logp_next).view({-1, n})},
                                  1);
      return torch::logsumexp(cat, 1);
    };
    return {one(q1), one(q2)};
  }

  // The conservative term of both critics (before its weight), given their Q on the minibatch.
  std::pair<torch::Tensor, torch::Tensor> penalty(const Batch& b, const UpdatePlan& plan,
                                                  const torch::Tensor& q1v,
                                                  const torch::Tensor& q2v) {
    const std::int64_t n = b.obs.size(0), nr = plan.n_real;
    if (plan.penalty == Penalty::kGap) {
      auto one = [&](const torch::Tensor& qv) {
        const auto lse = torch::logsumexp(qv.slice(0, nr, n) + plan.sim_log_omega, 0);
        return (lse - qv.slice(0, 0, nr).mean()).clamp(-1000.0, 1000.0);
      };
      return {one(q1v), one(q2v)};
    }
    const bool on_sim = plan.penalty == Penalty::kCqlSim;
    const auto ps = on_sim ? b.obs.slice(0, nr, n) : b.obs;
    const auto ps2 = on_sim ? b.next_obs.slice(0, nr, n) : b.next_obs;
    const auto [lse1, lse2] = logsumexp_q(ps, ps2);
    return {lse1.mean() - q1v.slice(0, 0, nr).mean(), lse2.mean() - q2v.slice(0, 0, nr).mean()};
  }

  UpdateStats update(const Batch& b, const UpdatePlan& plan) {
    UpdateStats st;
    const std::int64_t n = b.obs.size(0), nr = plan.n_real;
    st.alpha = std::exp(log_alpha.item<double>());

    // Actor and temperature losses with the critics as they are (frozen: no weight gradients).
    const auto eps = normal_tensor(noise, n, spec.act_dim);
    set_requires_grad(q1, false);
    set_requires_grad(q2, false);
    const auto [a_pi, logp] = sample(b.obs, eps);
    const auto q_pi = torch::min(q(q1, b.obs, a_pi), q(q2, b.obs, a_pi));
    set_requires_grad(q1, true);
    set_requires_grad(q2, true);
    const auto actor_loss = (st.alpha * logp - q_pi).mean();
    const double target_entropy = -static_cast<double>(spec.act_dim);
    const auto alpha_loss = -(log_alpha * (logp.detach() + target_entropy)).mean();

    // Critics: Bellman MSE (real rows plain, simulated rows weighted) plus the conservative term.
    const auto y = target(b, noise, st.alpha, plan.backup_entropy);
    const auto q1v = q(q1, b.obs, b.act), q2v = q(q2, b.obs, b.act);
    auto bellman = [&](const torch::Tensor& qv) {
      const auto se = (qv - y).square();
      auto loss = se.slice(0, 0, nr).mean();
      if (nr < n) {
        const auto sim = se.slice(0, nr, n);
        loss = loss + (plan.sim_weight.defined() ? (plan.sim_weight * sim).mean() : sim.mean());
      }
      return loss;
    };
    const auto l1 = bellman(q1v), l2 = bellman(q2v);
    auto critic_total = l1 + l2;
    if (plan.penalty != Penalty::kNone) {
      const auto [p1, p2] = penalty(b, plan, q1v, q2v);
      critic_total = critic_total + plan.penalty_weight * (p1 + p2);
      st.cql_penalty = 0.5 * (p1.item<double>() + p2.item<double>());
    }
    st.critic_loss = 0.5 * (l1.item<double>() + l2.item<double>());
    st.q_mean = q1v.slice(0, 0, nr).mean().item<double>();
    st.actor_loss = actor_loss.item<double>();
    check_finite(critic_total.item<double>(), "critic loss");
    check_finite(st.actor_loss, "actor loss");
    check_finite(alpha_loss.item<double>(), "temperature loss");

    // Steps in the reference order: temperature, actor, critics; then the targets.
    alpha_opt->zero_grad();
    alpha_loss.backward();
    alpha_opt->step();
    actor_opt->zero_grad();
    actor_loss.backward();
    actor_opt->step();
    inference_stale = true;
    critic_opt->zero_grad();
    critic_total.backward();
    critic_opt->step();

    soft_update(q1_target, q1, spec.net.tau);
    soft_update(q2_target, q2, spec.net.tau);
    return st;
  }
};

Agent::Agent(const AgentSpec& spec, std::uint64_t seed, std::uint64_t index)
    : impl_(std::make_unique<Impl>(spec, seed, index)) {}
Agent::~Agent() = default;
Agent::Agent(Agent&&) noexcept = default;
Agent& Agent::operator=(Agent&&) noexcept = default;

const AgentSpec& Agent::spec() const {
  return impl_->spec;
}

void Agent::act(const float* obs, float* action, bool deterministic, Rng* rng) const {
  Rng* rngs[1] = {rng};
  act_rows(1, obs, action, deterministic, rngs);
}

void Agent::act_rows(int rows, const float* obs, float* actions, bool deterministic,
                     Rng* const* rngs) const {
  MFHRL_CHECK(rows >= 0, "act_rows: " << rows << " rows");
  if (!deterministic) {
    MFHRL_CHECK(rngs != nullptr, "sampled actions need an Rng");
    for (int i = 0; i < rows; ++i) MFHRL_CHECK(rngs[i] != nullptr, "sampled actions need an Rng");
  }
  if (impl_->spec.net.inference == Inference::kPlain) {
    impl_->actor_forward().act(rows, obs, actions, deterministic, rngs);
    return;
  }
  // One torch forward per row: a batched GEMM would change a row's bits with the batch size.
  torch::NoGradGuard no_grad;
  const int d = impl_->spec.obs_dim, a = impl_->spec.act_dim;
  for (int i = 0; i < rows; ++i) {
    const auto o = impl_->normalize(torch::from_blob(const_cast<float*>(obs + i * d), {1, d}));
    torch::Tensor out;
    if (deterministic) {
      out = torch::tanh(impl_->actor.ptr()->forward(o).slice(1, 0, a));
    } else {
      out = impl_->sample(o, normal_tensor(*rngs[i], 1, a)).first;
    }
    const float* p = out.contiguous().data_ptr<float>();
    std::copy(p, p + a, actions + i * a);
  }
}

UpdateStats Agent::sac_update(const Transitions& mb) {
  UpdatePlan plan;
  plan.n_real = static_cast<std::int64_t>(mb.size());
  return impl_->update(impl_->prepared(mb), plan);
}

UpdateStats Agent::cql_update(const Transitions& mb) {
  UpdatePlan plan;
  plan.n_real = static_cast<std::int64_t>(mb.size());
  plan.penalty = Penalty::kCqlAll;
  plan.penalty_weight = impl_->spec.cql.weight;
  plan.backup_entropy = impl_->spec.cql.backup_entropy;
  return impl_->update(impl_->prepared(mb), plan);
}

UpdateStats Agent::h2o_update(const Transitions& real, const Transitions& sim,
                              const SimRowWeights& weights) {
  const std::size_t ns = sim.size();
  MFHRL_CHECK(weights.ratio.empty() || weights.ratio.size() == ns,
              "h2o_update: " << weights.ratio.size() << " ratios for " << ns << " rows");
  MFHRL_CHECK(weights.gap.empty() || weights.gap.size() == ns,
              "h2o_update: " << weights.gap.size() << " gaps for " << ns << " rows");
  const auto& s = impl_->spec;
  const Batch r = impl_->prepared(real), m = impl_->prepared(sim);
  const Batch b{torch::cat({r.obs, m.obs}), torch::cat({r.act, m.act}), torch::cat({r.rew, m.rew}),
                torch::cat({r.next_obs, m.next_obs}), torch::cat({r.done, m.done})};
  UpdatePlan plan;
  plan.n_real = static_cast<std::int64_t>(real.size());
  if (!weights.ratio.empty()) plan.sim_weight = torch::tensor(weights.ratio, torch::kFloat32);
  plan.penalty = s.h2o.conservative == Conservative::kGap ? Penalty::kGap : Penalty::kCqlSim;
  plan.penalty_weight = s.h2o.penalty;
  plan.backup_entropy = s.h2o.backup_entropy;
  if (plan.penalty == Penalty::kGap) {
    const auto n = static_cast<std::int64_t>(ns);
    if (weights.gap.empty()) {
      plan.sim_log_omega = torch::full({n}, -std::log(static_cast<double>(n)), torch::kFloat32);
    } else {
      // omega = u / sum(u); u >= 1e-45 as in the H2O code, so log omega stays finite.
      const auto u = torch::tensor(weights.gap, torch::kFloat32).clamp_min(1e-45);
      plan.sim_log_omega = u.log() - u.sum().log();
    }
  }
  return impl_->update(b, plan);
}

void Agent::set_obs_normalization(const std::vector<float>& mean, const std::vector<float>& std) {
  const auto d = static_cast<std::size_t>(impl_->spec.obs_dim);
  MFHRL_CHECK(mean.size() == d && std.size() == d, "set_obs_normalization: sizes "
                                                       << mean.size() << ", " << std.size()
                                                       << " for " << d << " observation dims");
  for (float x : std) MFHRL_CHECK(x > 0.0f && std::isfinite(x), "observation std " << x);
  impl_->obs_mean.copy_(torch::tensor(mean, torch::kFloat32));
  impl_->obs_std.copy_(torch::tensor(std, torch::kFloat32));
  impl_->inference_stale = true;
}

double Agent::critic_loss(const Transitions& b, const std::vector<float>* weights) const {
  torch::NoGradGuard no_grad;
  const auto& im = *impl_;
  const Batch t = im.prepared(b);
  Rng rng(im.seed, Stream::kPolicyNoise, im.index, 1);
  const auto y =
      im.target(t, rng, std::exp(im.log_alpha.item<double>()), im.spec.h2o.backup_entropy);
  const auto se = 0.5 * ((Impl::q(im.q1, t.obs, t.act) - y).square() +
                         (Impl::q(im.q2, t.obs, t.act) - y).square());
  torch::Tensor loss;
  if (weights != nullptr) {
    MFHRL_CHECK(weights->size() == b.size(),
                "critic_loss: " << weights->size() << " weights for " << b.size() << " rows");
    loss = (torch::tensor(*weights, torch::kFloat32) * se).mean();
  } else {
    loss = se.mean();
  }
  const double v = loss.item<double>();
  check_finite(v, "critic loss");
  return v;
}

double Agent::value_estimate(const Transitions& b) const {
  torch::NoGradGuard no_grad;
  const auto& im = *impl_;
  MFHRL_CHECK(!b.empty(), "value_estimate: no rows");
  const Batch t = im.prepared(b);
  const auto a = torch::tanh(im.actor.ptr()->forward(t.obs).slice(1, 0, im.spec.act_dim));
  const double v =
      torch::min(Impl::q(im.q1, t.obs, a), Impl::q(im.q2, t.obs, a)).mean().item<double>();
  check_finite(v, "value estimate");
  return v;
}

double Agent::q_value(const float* obs, const float* act) const {
  torch::NoGradGuard no_grad;
  const auto o =
      impl_->normalize(torch::from_blob(const_cast<float*>(obs), {1, impl_->spec.obs_dim}));
  const auto a = torch::from_blob(const_cast<float*>(act), {1, impl_->spec.act_dim});
  return torch::min(Impl::q(impl_->q1, o, a), Impl::q(impl_->q2, o, a)).item<double>();
}

TensorBlobs Agent::state() const {
  const auto& im = *impl_;
  TensorBlobs out;
  put_actor(out);
  put_module(out, "q1", im.q1);
  put_module(out, "q2", im.q2);
  put_module(out, "q1_target", im.q1_target);
  put_module(out, "q2_target", im.q2_target);
  put_tensor(out, "log_alpha", im.log_alpha);
  im.actor_opt->put(out, "actor_adam");
  im.critic_opt->put(out, "critic_adam");
  im.alpha_opt->put(out, "alpha_adam");
  put_rng(out, "noise_rng", im.noise);
  // (seed, index) key critic_loss's noise, so a loaded agent becomes the saved one entirely.
  put_tensor(
      out, "identity",
      torch::tensor({static_cast<std::int64_t>(im.seed), static_cast<std::int64_t>(im.index)}));
  return out;
}

TensorBlobs Agent::actor_state() const {
  TensorBlobs out;
  put_actor(out);
  return out;
}

namespace {
// The actor's tensors beside its network, by blob name.
std::vector<std::pair<const char*, torch::Tensor>> actor_extras(const torch::Tensor& scale,
                                                                const torch::Tensor& offset,
                                                                const torch::Tensor& mean,
                                                                const torch::Tensor& std) {
  return {{"actor/log_std_scale", scale},
          {"actor/log_std_offset", offset},
          {"actor/obs_mean", mean},
          {"actor/obs_std", std}};
}
}  // namespace

void Agent::put_actor(TensorBlobs& out) const {
  const auto& im = *impl_;
  put_module(out, "actor", im.actor);
  for (const auto& [name, t] :
       actor_extras(im.log_std_scale, im.log_std_offset, im.obs_mean, im.obs_std)) {
    put_tensor(out, name, t);
  }
}

void Agent::take_actor(const TensorBlobs& blobs) {
  auto& im = *impl_;
  take_module(blobs, "actor", im.actor);
  for (const auto& [name, t] :
       actor_extras(im.log_std_scale, im.log_std_offset, im.obs_mean, im.obs_std)) {
    take_tensor(blobs, name, t);  // t shares storage with the agent's tensor
  }
  im.inference_stale = true;
}

void Agent::load_actor_state(const TensorBlobs& blobs) {
  check_blobs(blobs, actor_state());
  take_actor(blobs);
}

void Agent::load_state(const TensorBlobs& blobs) {
  check_blobs(blobs, state());
  auto& im = *impl_;
  take_actor(blobs);
  take_module(blobs, "q1", im.q1);
  take_module(blobs, "q2", im.q2);
  take_module(blobs, "q1_target", im.q1_target);
  take_module(blobs, "q2_target", im.q2_target);
  take_tensor(blobs, "log_alpha", im.log_alpha);
  im.actor_opt->take(blobs, "actor_adam");
  im.critic_opt->take(blobs, "critic_adam");
  im.alpha_opt->take(blobs, "alpha_adam");
  take_rng(blobs, "noise_rng", im.noise);
  auto identity = torch::zeros({2}, torch::kInt64);
  take_tensor(blobs, "identity", identity);
  im.seed = static_cast<std::uint64_t>(identity[0].item<std::int64_t>());
  im.index = static_cast<std::uint64_t>(identity[1].item<std::int64_t>());
}

}  // namespace mfhrl::learn
