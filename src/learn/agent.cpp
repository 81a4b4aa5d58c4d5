// SAC / CQL(H) / H2O agent (see agent.h). The only update path is Impl::update, which the three
// public updates parameterise: which rows are real, their weights, and where the penalty applies.
#include "mfhrl/learn/agent.h"

#include <cmath>

#include "mfhrl/core/error.h"
#include "nets.h"

namespace mfhrl::learn {

namespace {
constexpr double kLogStdMin = -20.0, kLogStdMax = 2.0;

// What one update minimises, beyond plain SAC.
struct UpdatePlan {
  std::int64_t n_real = 0;      // rows [0, n_real) are real, the rest simulated
  torch::Tensor sim_weight;     // (n_sim) importance weights of the simulated rows, or undefined
  bool penalty = false;         // add the conservative logsumexp penalty
  double penalty_weight = 0.0;  // its weight in the critic loss
  bool penalty_on_sim = false;  // penalty states: simulated rows (H2O) or all rows (CQL)
};
}  // namespace

struct Agent::Impl {
  AgentSpec spec;
  std::uint64_t seed, index;
  Mlp actor, q1, q2, q1_target, q2_target;
  torch::Tensor log_alpha;
  std::unique_ptr<Adam> actor_opt, critic_opt, alpha_opt;
  Rng noise;

  Impl(const AgentSpec& s, std::uint64_t seed_, std::uint64_t index_)
      : spec(s), seed(seed_), index(index_), noise(seed_, Stream::kPolicyNoise, index_) {
    validate(spec);
    const int in_q = spec.obs_dim + spec.act_dim;
    // Seeding right before construction makes the weights a function of (seed, index) alone.
    torch::manual_seed(stream_key(seed, Stream::kNetworkInit, index));
    actor = make_mlp(spec.obs_dim, spec.net.hidden, 2 * spec.act_dim);
    q1 = make_mlp(in_q, spec.net.hidden, 1);
    q2 = make_mlp(in_q, spec.net.hidden, 1);
    q1_target = make_mlp(in_q, spec.net.hidden, 1);
    q2_target = make_mlp(in_q, spec.net.hidden, 1);
    copy_params(q1_target, q1);
    copy_params(q2_target, q2);
    set_requires_grad(q1_target, false);
    set_requires_grad(q2_target, false);
    log_alpha = torch::full({}, std::log(spec.net.init_alpha), torch::kFloat32).requires_grad_();
    actor_opt = std::make_unique<Adam>(actor->parameters(), spec.net.actor_lr);
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
    const auto log_std = out.slice(1, spec.act_dim, 2 * spec.act_dim).clamp(kLogStdMin, kLogStdMax);
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

  // Soft Bellman target r + gamma (1 - done) (min_j Qbar_j(s', a') - alpha log pi(a'|s')).
  torch::Tensor target(const Batch& b, Rng& rng, double alpha) const {
    torch::NoGradGuard no_grad;
    const auto eps = normal_tensor(rng, b.next_obs.size(0), spec.act_dim);
    const auto [a2, logp2] = sample(b.next_obs, eps);
    const auto qmin = torch::min(q(q1_target, b.next_obs, a2), q(q2_target, b.next_obs, a2));
    return b.rew + spec.net.gamma * (1.0 - b.done) * (qmin - alpha * logp2);
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

  UpdateStats update(const Batch& b, const UpdatePlan& plan) {
    UpdateStats st;
    const std::int64_t n = b.obs.size(0), nr = plan.n_real;
    st.alpha = std::exp(log_alpha.item<double>());
    const auto y = target(b, noise, st.alpha);

    // Critics: Bellman MSE (real rows plain, simulated rows weighted) plus the penalty.
    const auto q1v = q(q1, b.obs, b.act), q2v = q(q2, b.obs, b.act);
    auto bellman = [&](const torch::Tensor& qv) {
      const auto se = (qv - y).square();
      auto loss = se.slice(0, 0, nr).mean();
      if (nr < n) loss = loss + (plan.sim_weight * se.slice(0, nr, n)).mean();
      return loss;
    };
    const auto l1 = bellman(q1v), l2 = bellman(q2v);
    auto critic_total = l1 + l2;
    if (plan.penalty) {
      const auto ps = plan.penalty_on_sim ? b.obs.slice(0, nr, n) : b.obs;
      const auto ps2 = plan.penalty_on_sim ? b.next_obs.slice(0, nr, n) : b.next_obs;
      const auto [lse1, lse2] = logsumexp_q(ps, ps2);
      const auto p1 = lse1.mean() - q1v.slice(0, 0, nr).mean();
      const auto p2 = lse2.mean() - q2v.slice(0, 0, nr).mean();
      critic_total = critic_total + plan.penalty_weight * (p1 + p2);
      st.cql_penalty = 0.5 * (p1.item<double>() + p2.item<double>());
    }
    st.critic_loss = 0.5 * (l1.item<double>() + l2.item<double>());
    st.q_mean = q1v.slice(0, 0, nr).mean().item<double>();
    check_finite(critic_total.item<double>(), "critic loss");
    critic_opt->zero_grad();
    critic_total.backward();
    critic_opt->step();

    // Actor on every state, critics frozen so only the actor collects gradients.
    const auto eps = normal_tensor(noise, n, spec.act_dim);
    set_requires_grad(q1, false);
    set_requires_grad(q2, false);
    const auto [a_pi, logp] = sample(b.obs, eps);
    const auto qmin = torch::min(q(q1, b.obs, a_pi), q(q2, b.obs, a_pi));
    const auto actor_loss = (st.alpha * logp - qmin).mean();
    st.actor_loss = actor_loss.item<double>();
    set_requires_grad(q1, true);
    set_requires_grad(q2, true);
    check_finite(st.actor_loss, "actor loss");
    actor_opt->zero_grad();
    actor_loss.backward();
    actor_opt->step();

    // Temperature towards the target entropy -|A|.
    const double target_entropy = -static_cast<double>(spec.act_dim);
    const auto alpha_loss = -(log_alpha * (logp.detach() + target_entropy)).mean();
    check_finite(alpha_loss.item<double>(), "temperature loss");
    alpha_opt->zero_grad();
    alpha_loss.backward();
    alpha_opt->step();

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
  torch::NoGradGuard no_grad;
  const int a = impl_->spec.act_dim;
  const auto o = torch::from_blob(const_cast<float*>(obs), {1, impl_->spec.obs_dim});
  torch::Tensor out;
  if (deterministic) {
    out = torch::tanh(impl_->actor.ptr()->forward(o).slice(1, 0, a));
  } else {
    MFHRL_CHECK(rng != nullptr, "sampled actions need an Rng");
    out = impl_->sample(o, normal_tensor(*rng, 1, a)).first;
  }
  const float* p = out.contiguous().data_ptr<float>();
  std::copy(p, p + a, action);
}

UpdateStats Agent::sac_update(const Transitions& mb) {
  UpdatePlan plan;
  plan.n_real = static_cast<std::int64_t>(mb.size());
  return impl_->update(to_batch(mb, impl_->spec.obs_dim, impl_->spec.act_dim), plan);
}

UpdateStats Agent::cql_update(const Transitions& mb) {
  UpdatePlan plan;
  plan.n_real = static_cast<std::int64_t>(mb.size());
  plan.penalty = true;
  plan.penalty_weight = impl_->spec.cql.weight;
  return impl_->update(to_batch(mb, impl_->spec.obs_dim, impl_->spec.act_dim), plan);
}

UpdateStats Agent::h2o_update(const Transitions& real, const Transitions& sim,
                              const std::vector<float>& sim_ratio) {
  MFHRL_CHECK(sim_ratio.size() == sim.size(),
              "h2o_update: " << sim_ratio.size() << " ratios for " << sim.size() << " rows");
  const auto& s = impl_->spec;
  const Batch r = to_batch(real, s.obs_dim, s.act_dim), m = to_batch(sim, s.obs_dim, s.act_dim);
  const Batch b{torch::cat({r.obs, m.obs}), torch::cat({r.act, m.act}), torch::cat({r.rew, m.rew}),
                torch::cat({r.next_obs, m.next_obs}), torch::cat({r.done, m.done})};
  UpdatePlan plan;
  plan.n_real = static_cast<std::int64_t>(real.size());
  plan.sim_weight = torch::tensor(sim_ratio, torch::kFloat32);
  plan.penalty = true;
  plan.penalty_weight = s.h2o.penalty;
  plan.penalty_on_sim = true;
  return impl_->update(b, plan);
}

double Agent::critic_loss(const Transitions& b, const std::vector<float>* weights) const {
  torch::NoGradGuard no_grad;
  const auto& im = *impl_;
  const Batch t = to_batch(b, im.spec.obs_dim, im.spec.act_dim);
  Rng rng(im.seed, Stream::kPolicyNoise, im.index, 1);
  const auto y = im.target(t, rng, std::exp(im.log_alpha.item<double>()));
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

double Agent::q_value(const float* obs, const float* act) const {
  torch::NoGradGuard no_grad;
  const auto o = torch::from_blob(const_cast<float*>(obs), {1, impl_->spec.obs_dim});
  const auto a = torch::from_blob(const_cast<float*>(act), {1, impl_->spec.act_dim});
  return torch::min(Impl::q(impl_->q1, o, a), Impl::q(impl_->q2, o, a)).item<double>();
}

TensorBlobs Agent::state() const {
  const auto& im = *impl_;
  TensorBlobs out;
  put_module(out, "actor", im.actor);
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
  put_module(out, "actor", impl_->actor);
  return out;
}

void Agent::load_actor_state(const TensorBlobs& blobs) {
  check_blobs(blobs, actor_state());
  take_module(blobs, "actor", impl_->actor);
}

void Agent::load_state(const TensorBlobs& blobs) {
  check_blobs(blobs, state());
  auto& im = *impl_;
  take_module(blobs, "actor", im.actor);
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
