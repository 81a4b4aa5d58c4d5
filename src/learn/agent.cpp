// SAC / CQL(H) / H2O agent (see agent.h). The only update path is Impl::update, which the three
// public updates parameterise: which rows are real, their weights, and where the penalty applies.
#include "mfhrl/learn/agent.h"

#include <algorithm>
#include <cmath>

#include "actor_forward.h"
#include "mfhrl/core/error.h"
#include "nets.h"
#include "optim.h"

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

// What one update minimises, beyond plain SAC. Per-row tensors carry the policy axis when the
// update is stacked.
struct UpdatePlan {
  std::int64_t n_real = 0;   // rows [0, n_real) are real, the rest simulated
  torch::Tensor sim_weight;  // ([S,] n_sim) importance weights of the simulated rows, or undefined
  torch::Tensor sim_log_omega;  // ([S,] n_sim) log omega for Penalty::kGap
  Penalty penalty = Penalty::kNone;
  double penalty_weight = 0.0;  // its weight in the critic loss
  // Weight of a CQL(H) term at the real rows' states, on top of `penalty` (h2o.real_penalty).
  double real_cql_weight = 0.0;
  bool backup_entropy = true;  // -alpha log pi(a'|s') in the target
};

// Re-initialises the last Linear of net: Xavier-uniform with gain 1e-2, zero bias.
void small_last_layer(const Mlp& net) {
  torch::NoGradGuard no_grad;
  auto* last = net->ptr(net->size() - 1)->as<torch::nn::Linear>();
  torch::nn::init::xavier_uniform_(last->weight, 1e-2);
  torch::nn::init::zeros_(last->bias);
}

// The same weights without gradients (the critics inside the actor loss).
Net detached(const Net& n) {
  Net d;
  for (const auto& t : n.w) d.w.push_back(t.detach());
  for (const auto& t : n.b) d.b.push_back(t.detach());
  return d;
}

// One policy's networks, or S policies' stacked, with what an update draws on. Stacked, a
// policy's slice takes the same operations in the same order as it would alone (the same GEMM
// per slice, the same reduction per row), so it gets the same bits; tests compare them.
struct Params {
  bool stacked = false;
  std::int64_t policies = 1;
  Net actor, q1, q2, q1t, q2t;
  // 0-dim alone; stacked (S,1,1), (S,1,1) and (S,1). Rows come standardised by their agent.
  torch::Tensor log_std_scale, log_std_offset, log_alpha;
  Adam *actor_opt = nullptr, *critic_opt = nullptr, *alpha_opt = nullptr;
  std::vector<Rng*> noise;  // each policy's own update stream

  // The axis of rows (minibatch entries) in per-row tensors.
  std::int64_t row_axis() const { return stacked ? 1 : 0; }
  // Mean over rows of a ([S,] n) tensor: a scalar alone, (S) stacked.
  torch::Tensor mean_rows(const torch::Tensor& t) const { return stacked ? t.mean(1) : t.mean(); }
  // What backward() takes: the sum of the policies' losses (their gradients do not mix).
  torch::Tensor total(const torch::Tensor& t) const { return stacked ? t.sum() : t; }
  // A per-policy scalar or (S) tensor as one double per policy.
  std::vector<double> values(const torch::Tensor& t) const {
    if (!stacked) return {t.item<double>()};
    const auto c = t.detach().contiguous();
    return std::vector<double>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  // (rows, cols) of each policy's normals, from its own stream: ([S,] rows, cols).
  torch::Tensor normals(std::int64_t rows, std::int64_t cols) const {
    return stacked ? normal_tensor(noise, rows, cols) : normal_tensor(*noise[0], rows, cols);
  }
  torch::Tensor uniforms(std::int64_t rows, std::int64_t cols, double lo, double hi) const {
    return stacked ? uniform_tensor(noise, rows, cols, lo, hi)
                   : uniform_tensor(*noise[0], rows, cols, lo, hi);
  }
};

torch::Tensor forward(const Net& n, const torch::Tensor& x, bool stacked) {
  MFHRL_CHECK(x.dim() == (stacked ? 3 : 2), "forward: a " << x.dim() << "-D input");
  return mlp_forward(x, n);
}

// Q of one critic for the rows of its input x = [obs, act]: shape ([S,] N). Both critics take
// the same x (one concatenation for the two).
torch::Tensor qx(const Net& net, const torch::Tensor& x, bool stacked) {
  return forward(net, x, stacked).squeeze(-1);
}
torch::Tensor critic_input(const torch::Tensor& obs, const torch::Tensor& act) {
  return torch::cat({obs, act}, -1);
}
torch::Tensor q(const Net& net, const torch::Tensor& obs, const torch::Tensor& act, bool stacked) {
  return qx(net, critic_input(obs, act), stacked);
}

// Tanh-Gaussian action from the actor's output rows out = [mu, raw log-std] with
// standard-normal noise eps, and its log-density.
std::pair<torch::Tensor, torch::Tensor> sample_from(const AgentSpec& spec, const Params& p,
                                                    const torch::Tensor& out,
                                                    const torch::Tensor& eps) {
  const auto mu = out.slice(-1, 0, spec.act_dim);
  const auto raw = out.slice(-1, spec.act_dim, 2 * spec.act_dim);
  const auto log_std = (p.log_std_scale * raw + p.log_std_offset).clamp(kLogStdMin, kLogStdMax);
  const auto u = mu + log_std.exp() * eps;
  const double half_log_2pi = 0.5 * std::log(2.0 * M_PI);
  auto logp = (-0.5 * eps.square() - log_std - half_log_2pi).sum(-1);
  // log(1 - tanh(u)^2) in a form that stays finite for large |u|.
  logp = logp - (2.0 * (std::log(2.0) - u - torch::softplus(-2.0 * u))).sum(-1);
  return {torch::tanh(u), logp};
}

// Tanh-Gaussian action for obs rows with standard-normal noise eps, and its log-density.
std::pair<torch::Tensor, torch::Tensor> sample(const AgentSpec& spec, const Params& p,
                                               const torch::Tensor& obs, const torch::Tensor& eps) {
  return sample_from(spec, p, forward(p.actor, obs, p.stacked), eps);
}

// n actions for each obs row (eps: n rows per state, in state order), the actor run once per
// state. No gradient.
std::pair<torch::Tensor, torch::Tensor> sample_repeated(const AgentSpec& spec, const Params& p,
                                                        const torch::Tensor& obs,
                                                        const torch::Tensor& eps, std::int64_t n) {
  torch::NoGradGuard no_grad;
  const auto out = forward(p.actor, obs, p.stacked);
  return sample_from(spec, p, out.repeat_interleave(n, p.row_axis()), eps);
}

// The entropy temperature a step uses, per policy: a double alone, a (S, 1) float tensor
// stacked (the same float the scalar becomes in the product).
struct Alpha {
  std::vector<double> value;
  torch::Tensor stacked;
};
torch::Tensor operator*(const Alpha& a, const torch::Tensor& t) {
  return a.stacked.defined() ? a.stacked * t : a.value[0] * t;
}

// Bellman target r + gamma (1 - done) (min_j Qbar_j(s', a') [- alpha log pi(a'|s')]).
torch::Tensor target(const AgentSpec& spec, const Params& p, const Batch& b, const Alpha& alpha,
                     bool backup_entropy) {
  torch::NoGradGuard no_grad;
  const auto eps = p.normals(b.next_obs.size(p.row_axis()), spec.act_dim);
  const auto [a2, logp2] = sample(spec, p, b.next_obs, eps);
  const auto x2 = critic_input(b.next_obs, a2);
  auto next_v = torch::min(qx(p.q1t, x2, p.stacked), qx(p.q2t, x2, p.stacked));
  if (backup_entropy) next_v = next_v - alpha * logp2;
  return b.rew + spec.net.gamma * (1.0 - b.done) * next_v;
}

// CQL(H) importance-sampled logsumexp over N uniform, N pi(s) and N pi(s') actions at states
// obs (next states next_obs), for both critics: returns ([S,] B) tensors per critic. Each critic
// takes a state's 3N actions in one pass, or one pass per source for large activations
// (cql_one_pass_floats); each pass multiplies the state columns once per state
// (mlp_forward_shared).
std::pair<torch::Tensor, torch::Tensor> logsumexp_q(const AgentSpec& spec, const Params& p,
                                                    const torch::Tensor& obs,
                                                    const torch::Tensor& next_obs) {
  const std::int64_t n = spec.cql.actions, rows = obs.size(p.row_axis()) * n, a = spec.act_dim;
  const auto a_rand = p.uniforms(rows, a, -1.0, 1.0);
  const auto eps_cur = p.normals(rows, a);
  const auto eps_next = p.normals(rows, a);
  const auto [a_cur, logp_cur] = sample_repeated(spec, p, obs, eps_cur, n);
  const auto [a_next, logp_next] = sample_repeated(spec, p, next_obs, eps_next, n);
  // Per state: its N uniform, N pi(s) and N pi(s') actions, and what each adds to its Q.
  auto by_state = [&](const torch::Tensor& t, bool actions) {
    auto shape = obs.sizes().vec();
    shape.back() = n;
    if (actions) shape.push_back(a);
    return t.view(shape);
  };
  const double log_unif = a * std::log(2.0);  // -log density of U(-1, 1)^a
  const auto offset = torch::cat({torch::full_like(by_state(logp_cur, false), log_unif),
                                  -by_state(logp_cur, false), -by_state(logp_next, false)},
                                 -1);
  std::int64_t width = 1;
  for (int h : spec.critic_widths()) width = std::max<std::int64_t>(width, h);
  torch::Tensor acts;  // for one pass: each state's 3N actions in a row, ([S,] B 3N, a)
  if (3 * rows * width <= cql_one_pass_floats) {
    acts = torch::cat({by_state(a_rand, true), by_state(a_cur, true), by_state(a_next, true)}, -2)
               .flatten(-3, -2);
  }
  auto one = [&](const Net& net) {
    torch::Tensor qv;
    if (acts.defined()) {
      qv = mlp_forward_shared(obs, acts, 3 * n, net).view(offset.sizes());
    } else {
      qv = torch::cat({by_state(mlp_forward_shared(obs, a_rand, n, net), false),
                       by_state(mlp_forward_shared(obs, a_cur, n, net), false),
                       by_state(mlp_forward_shared(obs, a_next, n, net), false)},
                      -1);
    }
    return torch::logsumexp(qv + offset, -1);
  };
  return {one(p.q1), one(p.q2)};
}

// CQL(H) of both critics at the states obs (next states next_obs): mean logsumexp over the
// sampled actions minus the mean Q of the real rows, [0, nr) of q1v and q2v.
std::pair<torch::Tensor, torch::Tensor> cql_h(const AgentSpec& spec, const Params& p,
                                              const torch::Tensor& obs,
                                              const torch::Tensor& next_obs, std::int64_t nr,
                                              const torch::Tensor& q1v, const torch::Tensor& q2v) {
  const std::int64_t ax = p.row_axis();
  const auto [lse1, lse2] = logsumexp_q(spec, p, obs, next_obs);
  return {p.mean_rows(lse1) - p.mean_rows(q1v.slice(ax, 0, nr)),
          p.mean_rows(lse2) - p.mean_rows(q2v.slice(ax, 0, nr))};
}

// The conservative term of both critics (before its weight), given their Q on the minibatch.
std::pair<torch::Tensor, torch::Tensor> penalty(const AgentSpec& spec, const Params& p,
                                                const Batch& b, const UpdatePlan& plan,
                                                const torch::Tensor& q1v,
                                                const torch::Tensor& q2v) {
  const std::int64_t ax = p.row_axis(), n = b.obs.size(ax), nr = plan.n_real;
  if (plan.penalty == Penalty::kGap) {
    auto one = [&](const torch::Tensor& qv) {
      const auto lse = torch::logsumexp(qv.slice(ax, nr, n) + plan.sim_log_omega, ax);
      return (lse - p.mean_rows(qv.slice(ax, 0, nr))).clamp(-1000.0, 1000.0);
    };
    return {one(q1v), one(q2v)};
  }
  const bool on_sim = plan.penalty == Penalty::kCqlSim;
  const auto ps = on_sim ? b.obs.slice(ax, nr, n) : b.obs;
  const auto ps2 = on_sim ? b.next_obs.slice(ax, nr, n) : b.next_obs;
  return cql_h(spec, p, ps, ps2, nr, q1v, q2v);
}

// The one update path: every policy of p, each with its own rows of b.
std::vector<UpdateStats> update(const AgentSpec& spec, const Params& p, const Batch& b,
                                const UpdatePlan& plan) {
  const std::int64_t S = p.policies, ax = p.row_axis(), n = b.obs.size(ax), nr = plan.n_real;
  std::vector<UpdateStats> st(static_cast<std::size_t>(S));
  Alpha alpha;
  alpha.value = p.values(p.log_alpha);
  for (std::size_t i = 0; i < st.size(); ++i) {
    alpha.value[i] = std::exp(alpha.value[i]);
    st[i].alpha = alpha.value[i];
  }
  if (p.stacked) {
    std::vector<float> f(alpha.value.begin(), alpha.value.end());
    alpha.stacked = torch::tensor(f, torch::kFloat32).view({S, 1});
  }

  // Actor and temperature losses with the critics as they are (frozen: no weight gradients).
  const auto eps = p.normals(n, spec.act_dim);
  const Net q1_frozen = detached(p.q1), q2_frozen = detached(p.q2);
  const auto [a_pi, logp] = sample(spec, p, b.obs, eps);
  const auto x_pi = critic_input(b.obs, a_pi);
  const auto q_pi = torch::min(qx(q1_frozen, x_pi, p.stacked), qx(q2_frozen, x_pi, p.stacked));
  const auto actor_loss = p.mean_rows(alpha * logp - q_pi);
  const double target_entropy = -static_cast<double>(spec.act_dim);
  const auto alpha_loss = -p.mean_rows(p.log_alpha * (logp.detach() + target_entropy));

  // Critics: Bellman MSE (real rows plain, simulated rows weighted) plus the conservative term.
  const auto y = target(spec, p, b, alpha, plan.backup_entropy);
  const auto x = critic_input(b.obs, b.act);
  const auto q1v = qx(p.q1, x, p.stacked), q2v = qx(p.q2, x, p.stacked);
  auto bellman = [&](const torch::Tensor& qv) {
    const auto se = (qv - y).square();
    auto loss = p.mean_rows(se.slice(ax, 0, nr));
    if (nr < n) {
      const auto sim = se.slice(ax, nr, n);
      loss = loss + p.mean_rows(plan.sim_weight.defined() ? plan.sim_weight * sim : sim);
    }
    return loss;
  };
  const auto l1 = bellman(q1v), l2 = bellman(q2v);
  auto critic_total = l1 + l2;
  if (plan.penalty != Penalty::kNone) {
    const auto [p1, p2] = penalty(spec, p, b, plan, q1v, q2v);
    critic_total = critic_total + plan.penalty_weight * (p1 + p2);
    const auto v1 = p.values(p1), v2 = p.values(p2);
    for (std::size_t i = 0; i < st.size(); ++i) st[i].cql_penalty = 0.5 * (v1[i] + v2[i]);
  }
  if (plan.real_cql_weight > 0.0) {
    const auto [r1, r2] =
        cql_h(spec, p, b.obs.slice(ax, 0, nr), b.next_obs.slice(ax, 0, nr), nr, q1v, q2v);
    critic_total = critic_total + plan.real_cql_weight * (r1 + r2);
  }
  const auto c1 = p.values(l1), c2 = p.values(l2), qm = p.values(p.mean_rows(q1v.slice(ax, 0, nr)));
  const auto al = p.values(actor_loss), ct = p.values(critic_total), tl = p.values(alpha_loss);
  for (std::size_t i = 0; i < st.size(); ++i) {
    st[i].critic_loss = 0.5 * (c1[i] + c2[i]);
    st[i].q_mean = qm[i];
    st[i].actor_loss = al[i];
    check_finite(ct[i], "critic loss");
    check_finite(al[i], "actor loss");
    check_finite(tl[i], "temperature loss");
  }

  // Steps in the reference order: temperature, actor, critics; then the targets.
  p.alpha_opt->zero_grad();
  p.total(alpha_loss).backward();
  p.alpha_opt->step();
  p.actor_opt->zero_grad();
  p.total(actor_loss).backward();
  p.actor_opt->step();
  p.critic_opt->zero_grad();
  p.total(critic_total).backward();
  p.critic_opt->step();

  // Targets: Polyak averaging, element by element (optim.h), so stacked or not gives the same bits.
  const auto polyak = [&](const torch::Tensor& dst, const torch::Tensor& src) {
    MFHRL_CHECK(dst.is_contiguous() && src.is_contiguous(), "Polyak: non-contiguous tensors");
    polyak_update(dst.data_ptr<float>(), src.data_ptr<float>(),
                  static_cast<std::size_t>(dst.numel()), spec.net.tau);
  };
  for (const auto& [dst, src] :
       {std::pair<const Net*, const Net*>{&p.q1t, &p.q1}, {&p.q2t, &p.q2}}) {
    for (std::size_t i = 0; i < dst->w.size(); ++i) {
      polyak(dst->w[i], src->w[i]);
      polyak(dst->b[i], src->b[i]);
    }
  }
  return st;
}

// The plan and rows of an H2O step: real rows then simulated ones, their weights and log omega.
struct H2oInputs {
  torch::Tensor sim_weight, sim_log_omega;  // undefined when not used
};
H2oInputs h2o_inputs(const AgentSpec& s, std::size_t ns, const SimRowWeights& weights) {
  MFHRL_CHECK(weights.ratio.empty() || weights.ratio.size() == ns,
              "h2o_update: " << weights.ratio.size() << " ratios for " << ns << " rows");
  MFHRL_CHECK(weights.gap.empty() || weights.gap.size() == ns,
              "h2o_update: " << weights.gap.size() << " gaps for " << ns << " rows");
  H2oInputs in;
  if (!weights.ratio.empty()) in.sim_weight = torch::tensor(weights.ratio, torch::kFloat32);
  if (s.h2o.conservative == Conservative::kGap) {
    const auto n = static_cast<std::int64_t>(ns);
    if (weights.gap.empty()) {
      in.sim_log_omega = torch::full({n}, -std::log(static_cast<double>(n)), torch::kFloat32);
    } else {
      // omega = u / sum(u); u >= 1e-45 as in the H2O code, so log omega stays finite.
      const auto u = torch::tensor(weights.gap, torch::kFloat32).clamp_min(1e-45);
      in.sim_log_omega = u.log() - u.sum().log();
    }
  }
  return in;
}

UpdatePlan h2o_plan(const AgentSpec& s, std::int64_t n_real) {
  UpdatePlan plan;
  plan.n_real = n_real;
  plan.penalty = s.h2o.conservative == Conservative::kGap ? Penalty::kGap : Penalty::kCqlSim;
  plan.penalty_weight = s.h2o.penalty;
  plan.real_cql_weight = s.h2o.real_penalty;
  plan.backup_entropy = s.h2o.backup_entropy;
  return plan;
}

UpdatePlan cql_plan(const AgentSpec& s, std::int64_t n_real) {
  UpdatePlan plan;
  plan.n_real = n_real;
  plan.penalty = Penalty::kCqlAll;
  plan.penalty_weight = s.cql.weight;
  plan.backup_entropy = s.cql.backup_entropy;
  return plan;
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
      const Net a = net_of(actor);
      for (std::size_t i = 0; i < a.w.size(); ++i) {
        ActorForward::Layer l;
        l.out = static_cast<int>(a.w[i].size(0));
        l.in = static_cast<int>(a.w[i].size(1));
        l.weight = floats(a.w[i]);
        l.bias = floats(a.b[i]);
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

  // This policy's own tensors (no copies), drawing noise from rng.
  Params params(Rng* rng) const {
    Params p;
    p.actor = net_of(actor);
    p.q1 = net_of(q1);
    p.q2 = net_of(q2);
    p.q1t = net_of(q1_target);
    p.q2t = net_of(q2_target);
    p.log_std_scale = log_std_scale;
    p.log_std_offset = log_std_offset;
    p.log_alpha = log_alpha;
    p.actor_opt = actor_opt.get();
    p.critic_opt = critic_opt.get();
    p.alpha_opt = alpha_opt.get();
    p.noise = {rng};
    return p;
  }

  // The rows of parts in order, with this agent's standardisation (identity unless
  // set_obs_normalization was called).
  BatchRows rows(std::vector<const Transitions*> parts) const {
    return BatchRows{std::move(parts), obs_mean.data_ptr<float>(), obs_std.data_ptr<float>()};
  }
  Batch prepared(std::vector<const Transitions*> parts) const {
    return make_batch({rows(std::move(parts))}, spec.obs_dim, spec.act_dim, false);
  }
  Batch prepared(const Transitions& t) const { return prepared(std::vector{&t}); }
  torch::Tensor normalize(const torch::Tensor& obs) const { return (obs - obs_mean) / obs_std; }

  UpdateStats update(const Batch& b, const UpdatePlan& plan) {
    const UpdateStats st = learn::update(spec, params(&noise), b, plan)[0];
    inference_stale = true;
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
  const auto& im = *impl_;
  const int d = im.spec.obs_dim, a = im.spec.act_dim;
  for (int i = 0; i < rows; ++i) {
    const auto o = im.normalize(torch::from_blob(const_cast<float*>(obs + i * d), {1, d}));
    torch::Tensor out;
    if (deterministic) {
      out = torch::tanh(forward(net_of(im.actor), o, false).slice(1, 0, a));
    } else {
      out = sample(im.spec, im.params(nullptr), o, normal_tensor(*rngs[i], 1, a)).first;
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
  return impl_->update(impl_->prepared(mb),
                       cql_plan(impl_->spec, static_cast<std::int64_t>(mb.size())));
}

UpdateStats Agent::h2o_update(const Transitions& real, const Transitions& sim,
                              const SimRowWeights& weights) {
  const H2oInputs in = h2o_inputs(impl_->spec, sim.size(), weights);
  UpdatePlan plan = h2o_plan(impl_->spec, static_cast<std::int64_t>(real.size()));
  plan.sim_weight = in.sim_weight;
  plan.sim_log_omega = in.sim_log_omega;
  return impl_->update(impl_->prepared({&real, &sim}), plan);
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
  const Params p = im.params(&rng);
  Alpha alpha;
  alpha.value = {std::exp(im.log_alpha.item<double>())};
  const auto y = target(im.spec, p, t, alpha, im.spec.h2o.backup_entropy);
  const auto se = 0.5 * ((q(p.q1, t.obs, t.act, false) - y).square() +
                         (q(p.q2, t.obs, t.act, false) - y).square());
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
  const Params p = im.params(nullptr);
  const auto a = torch::tanh(forward(p.actor, t.obs, false).slice(1, 0, im.spec.act_dim));
  const double v =
      torch::min(q(p.q1, t.obs, a, false), q(p.q2, t.obs, a, false)).mean().item<double>();
  check_finite(v, "value estimate");
  return v;
}

double Agent::q_value(const float* obs, const float* act) const {
  torch::NoGradGuard no_grad;
  const auto& im = *impl_;
  const auto o = im.normalize(torch::from_blob(const_cast<float*>(obs), {1, im.spec.obs_dim}));
  const auto a = torch::from_blob(const_cast<float*>(act), {1, im.spec.act_dim});
  const Params p = im.params(nullptr);
  return torch::min(q(p.q1, o, a, false), q(p.q2, o, a, false)).item<double>();
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

namespace mfhrl::learn {

namespace {
// torch::stack of one tensor per agent, viewed as `shape` (the stacked layout of Params).
torch::Tensor stacked(const std::vector<torch::Tensor>& each, std::vector<std::int64_t> shape) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> d;
  for (const auto& t : each) d.push_back(t.detach());
  return torch::stack(d).reshape(shape).contiguous();
}

// The stacked shape of a parameter of S policies: Linear weights (S, out, in), biases (S, 1,
// out), scalars (S, 1, 1) or (S, 1) for log alpha, vectors (S, 1, n).
std::vector<std::int64_t> stacked_shape(const torch::Tensor& t, std::int64_t S, bool alpha) {
  if (t.dim() == 0)
    return alpha ? std::vector<std::int64_t>{S, 1} : std::vector<std::int64_t>{S, 1, 1};
  if (t.dim() == 1) return {S, 1, t.size(0)};  // a bias
  return {S, t.size(0), t.size(1)};
}
}  // namespace

struct AgentStack::Impl {
  std::vector<Agent::Impl*> agents;
  bool gathered = false;  // p and the optimisers hold the agents' state
  bool last_stacked = false;
  Params p;  // stacked leaves, owned here
  std::unique_ptr<Adam> actor_opt, critic_opt, alpha_opt;

  std::int64_t count() const { return static_cast<std::int64_t>(agents.size()); }

  // The tensors of every agent at one position of its Params, stacked.
  template <typename Get>
  torch::Tensor gather_one(Get get, bool grad, bool alpha = false) {
    std::vector<torch::Tensor> each;
    for (auto* a : agents) each.push_back(get(*a));
    auto t = stacked(each, stacked_shape(each[0], count(), alpha));
    if (grad) t.requires_grad_(true);
    return t;
  }
  Net gather_net(Mlp Agent::Impl::*member, bool grad) {
    Net n;
    const std::size_t layers = net_of(agents[0]->*member).w.size();
    for (std::size_t i = 0; i < layers; ++i) {
      n.w.push_back(gather_one([&](Agent::Impl& a) { return net_of(a.*member).w[i]; }, grad));
      n.b.push_back(gather_one([&](Agent::Impl& a) { return net_of(a.*member).b[i]; }, grad));
    }
    return n;
  }
  // One stacked Adam over params with the agents' moments (opt of each agent) stacked alike.
  std::unique_ptr<Adam> gather_adam(std::unique_ptr<Adam> Agent::Impl::*opt,
                                    const std::vector<torch::Tensor>& params, double lr) {
    auto out = std::make_unique<Adam>(params, lr);
    const std::int64_t steps = (agents[0]->*opt)->steps();
    std::vector<torch::Tensor> m, v;
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::vector<torch::Tensor> mi, vi;
      for (auto* a : agents) {
        MFHRL_CHECK((a->*opt)->steps() == steps,
                    "AgentStack: agents have taken different numbers of steps");
        mi.push_back((a->*opt)->first_moments()[i]);
        vi.push_back((a->*opt)->second_moments()[i]);
      }
      const auto shape = params[i].sizes().vec();
      m.push_back(stacked(mi, shape));
      v.push_back(stacked(vi, shape));
    }
    out->set_state(m, v, steps);
    return out;
  }

  // Copies every agent's networks, temperature and optimiser state into stacked leaves.
  void gather() {
    if (gathered) return;
    const AgentSpec& spec = agents[0]->spec;
    p = Params{};
    p.stacked = true;
    p.policies = count();
    p.actor = gather_net(&Agent::Impl::actor, true);
    p.q1 = gather_net(&Agent::Impl::q1, true);
    p.q2 = gather_net(&Agent::Impl::q2, true);
    p.q1t = gather_net(&Agent::Impl::q1_target, false);
    p.q2t = gather_net(&Agent::Impl::q2_target, false);
    p.log_std_scale = gather_one([](Agent::Impl& a) { return a.log_std_scale; }, true);
    p.log_std_offset = gather_one([](Agent::Impl& a) { return a.log_std_offset; }, true);
    p.log_alpha = gather_one([](Agent::Impl& a) { return a.log_alpha; }, true, true);
    // The optimisers' parameter lists in the agents' order (Agent::Impl's constructor).
    std::vector<torch::Tensor> actor_params, critic_params;
    for (std::size_t i = 0; i < p.actor.w.size(); ++i) {
      actor_params.push_back(p.actor.w[i]);
      actor_params.push_back(p.actor.b[i]);
    }
    actor_params.push_back(p.log_std_scale);
    actor_params.push_back(p.log_std_offset);
    for (const Net* n : {&p.q1, &p.q2}) {
      for (std::size_t i = 0; i < n->w.size(); ++i) {
        critic_params.push_back(n->w[i]);
        critic_params.push_back(n->b[i]);
      }
    }
    actor_opt = gather_adam(&Agent::Impl::actor_opt, actor_params, spec.net.actor_lr);
    critic_opt = gather_adam(&Agent::Impl::critic_opt, critic_params, spec.net.critic_lr);
    alpha_opt = gather_adam(&Agent::Impl::alpha_opt, {p.log_alpha}, spec.net.alpha_lr);
    p.actor_opt = actor_opt.get();
    p.critic_opt = critic_opt.get();
    p.alpha_opt = alpha_opt.get();
    for (auto* a : agents) p.noise.push_back(&a->noise);
    gathered = true;
  }

  // Writes the stacked state back into the agents and drops it.
  void release() {
    if (!gathered) return;
    torch::NoGradGuard no_grad;
    const auto put = [](const torch::Tensor& dst, const torch::Tensor& src) {
      dst.copy_(src.reshape(dst.sizes()));
    };
    for (std::size_t s = 0; s < agents.size(); ++s) {
      Agent::Impl& a = *agents[s];
      const auto i = static_cast<std::int64_t>(s);
      const auto put_net = [&](const Mlp& dst, const Net& src) {
        const Net d = net_of(dst);
        for (std::size_t l = 0; l < d.w.size(); ++l) {
          put(d.w[l], src.w[l][i]);
          put(d.b[l], src.b[l][i]);
        }
      };
      put_net(a.actor, p.actor);
      put_net(a.q1, p.q1);
      put_net(a.q2, p.q2);
      put_net(a.q1_target, p.q1t);
      put_net(a.q2_target, p.q2t);
      put(a.log_std_scale, p.log_std_scale[i]);
      put(a.log_std_offset, p.log_std_offset[i]);
      put(a.log_alpha, p.log_alpha[i]);
      const auto put_adam = [&](Adam& dst, const Adam& src) {
        std::vector<torch::Tensor> m, v;
        for (const auto& t : src.first_moments()) m.push_back(t[i]);
        for (const auto& t : src.second_moments()) v.push_back(t[i]);
        dst.set_state(m, v, src.steps());
      };
      put_adam(*a.actor_opt, *actor_opt);
      put_adam(*a.critic_opt, *critic_opt);
      put_adam(*a.alpha_opt, *alpha_opt);
      a.inference_stale = true;
    }
    p = Params{};
    actor_opt.reset();
    critic_opt.reset();
    alpha_opt.reset();
    gathered = false;
  }

  // Whether an update with these row counts runs stacked: two or more agents; every per-policy
  // row count a whole number of kernel steps, so each agent keeps its own bits; and activations
  // small enough that stacking pays. Past about 2^17 floats per policy (CQL's 30 penalty actions
  // per state at batch 128) the stacked tensors leave the cache and one agent at a time is
  // as fast or faster (mfhrl_learn_bench, BM_StackedUpdate: 0.85-1.14x at 128 rows, 0.8-0.95x at
  // 256).
  bool stackable(std::initializer_list<std::size_t> rows, std::size_t widest_rows) const {
    if (agents.size() < 2) return false;
    for (std::size_t r : rows) {
      if (r % static_cast<std::size_t>(kKernelStep) != 0) return false;
    }
    const AgentSpec& spec = agents[0]->spec;
    std::size_t width = 2 * static_cast<std::size_t>(spec.act_dim);
    for (int h : spec.net.hidden) width = std::max(width, static_cast<std::size_t>(h));
    for (int h : spec.critic_widths()) width = std::max(width, static_cast<std::size_t>(h));
    return widest_rows * width <= (std::size_t{1} << 17);
  }
};

AgentStack::AgentStack(const std::vector<Agent*>& agents) : impl_(std::make_unique<Impl>()) {
  MFHRL_CHECK(!agents.empty(), "AgentStack: no agents");
  auto& im = *impl_;
  for (Agent* a : agents) {
    MFHRL_CHECK(a != nullptr, "AgentStack: null agent");
    im.agents.push_back(a->impl_.get());
  }
  const AgentSpec& spec = im.agents[0]->spec;
  const std::int64_t steps = im.agents[0]->critic_opt->steps();
  for (auto* a : im.agents) {
    MFHRL_CHECK(a->spec.net.hidden == spec.net.hidden &&
                    a->spec.critic_widths() == spec.critic_widths() &&
                    a->spec.obs_dim == spec.obs_dim && a->spec.act_dim == spec.act_dim,
                "AgentStack: agents of different network shapes");
    MFHRL_CHECK(a->critic_opt->steps() == steps,
                "AgentStack: agents have taken different numbers of steps");
  }
}

AgentStack::~AgentStack() = default;

std::size_t AgentStack::size() const {
  return impl_->agents.size();
}

bool AgentStack::last_update_stacked() const {
  return impl_->last_stacked;
}

namespace {

void check_same_sizes(const std::vector<Transitions>& v, const char* what) {
  for (const auto& t : v) {
    MFHRL_CHECK(t.size() == v[0].size(),
                "AgentStack: " << what << " minibatches of different sizes");
  }
}
}  // namespace

std::vector<UpdateStats> AgentStack::cql_update(const std::vector<Transitions>& mbs) {
  auto& im = *impl_;
  MFHRL_CHECK(mbs.size() == im.agents.size(),
              "AgentStack: " << mbs.size() << " minibatches for " << im.agents.size() << " agents");
  check_same_sizes(mbs, "CQL");
  const AgentSpec& spec = im.agents[0]->spec;
  const UpdatePlan plan = cql_plan(spec, static_cast<std::int64_t>(mbs[0].size()));
  // The penalty evaluates the critics at 3 N actions for every state.
  const std::size_t n = mbs[0].size();
  im.last_stacked = im.stackable({n}, n * 3 * static_cast<std::size_t>(spec.cql.actions));
  if (!im.last_stacked) {
    im.release();
    std::vector<UpdateStats> out;
    for (std::size_t i = 0; i < mbs.size(); ++i) {
      out.push_back(im.agents[i]->update(im.agents[i]->prepared(mbs[i]), plan));
    }
    return out;
  }
  im.gather();
  std::vector<BatchRows> rows;
  for (std::size_t i = 0; i < mbs.size(); ++i) rows.push_back(im.agents[i]->rows({&mbs[i]}));
  return update(spec, im.p, make_batch(rows, spec.obs_dim, spec.act_dim, true), plan);
}

std::vector<UpdateStats> AgentStack::h2o_update(const std::vector<Transitions>& real,
                                                const std::vector<Transitions>& sim,
                                                const std::vector<SimRowWeights>& weights) {
  auto& im = *impl_;
  const std::size_t S = im.agents.size();
  MFHRL_CHECK(real.size() == S && sim.size() == S && weights.size() == S,
              "AgentStack: inputs for " << real.size() << ", " << sim.size() << ", "
                                        << weights.size() << " agents, not " << S);
  check_same_sizes(real, "real");
  check_same_sizes(sim, "simulated");
  const AgentSpec& spec = im.agents[0]->spec;
  std::vector<BatchRows> rows;
  std::vector<H2oInputs> in;
  for (std::size_t i = 0; i < S; ++i) {
    rows.push_back(im.agents[i]->rows({&real[i], &sim[i]}));
    in.push_back(h2o_inputs(spec, sim[i].size(), weights[i]));
    MFHRL_CHECK(in[i].sim_weight.defined() == in[0].sim_weight.defined(),
                "AgentStack: simulated-row ratios for some agents only");
  }
  UpdatePlan plan = h2o_plan(spec, static_cast<std::int64_t>(real[0].size()));
  const std::size_t nr = real[0].size(), ns = sim[0].size();
  const auto actions3 = 3 * static_cast<std::size_t>(spec.cql.actions);
  const std::size_t sim_penalty_rows =
      spec.h2o.conservative == Conservative::kSampledActions ? ns * actions3 : 0;
  const std::size_t real_penalty_rows = spec.h2o.real_penalty > 0.0 ? nr * actions3 : 0;
  im.last_stacked =
      im.stackable({nr, ns}, std::max({nr + ns, sim_penalty_rows, real_penalty_rows}));
  if (!im.last_stacked) {
    im.release();
    std::vector<UpdateStats> out;
    for (std::size_t i = 0; i < S; ++i) {
      plan.sim_weight = in[i].sim_weight;
      plan.sim_log_omega = in[i].sim_log_omega;
      out.push_back(
          im.agents[i]->update(make_batch({rows[i]}, spec.obs_dim, spec.act_dim, false), plan));
    }
    return out;
  }
  im.gather();
  std::vector<torch::Tensor> w, lo;
  for (const auto& x : in) {
    if (x.sim_weight.defined()) w.push_back(x.sim_weight);
    if (x.sim_log_omega.defined()) lo.push_back(x.sim_log_omega);
  }
  if (!w.empty()) plan.sim_weight = torch::stack(w);
  if (!lo.empty()) plan.sim_log_omega = torch::stack(lo);
  return update(spec, im.p, make_batch(rows, spec.obs_dim, spec.act_dim, true), plan);
}

void AgentStack::store() {
  impl_->release();
}

}  // namespace mfhrl::learn
