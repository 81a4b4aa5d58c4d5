// Groundwork for updating a rank's L policies as one batched computation (issue 12): the
// forward and backward pass of L critic-shaped MLPs (23 -> w -> w -> 1, ReLU, batch B, loss the
// mean square of the output), four ways, at several widths w:
//   loop:         L torch::nn MLPs, autograd, one after the other (what an update does today);
//   bmm:          stacked weights (L, in, out), one baddbmm per layer for all L, autograd;
//   loop_manual:  L MLPs, the backward written out with mm (no autograd graph);
//   bmm_manual:   stacked weights, the backward written out with bmm;
//   gemm_only:    the matrix products of one pass and nothing else (the forward's x W, the
//                 backward's x^T g and g W^T), into buffers allocated once: the floor that any
//                 implementation of the pass, hand-written or not, stays above.
// Each is timed in this process (median of 7 repetitions of 20 passes, 1 thread), and printed
// as time per policy and as the speedup over `loop` at the same L and w. The crossover width
// is the smallest w at which `loop` is as fast as `bmm` (batching no longer pays).
// Then a whole SAC-shaped update (actor sample, twin critics and targets, temperature, the three
// losses and backward passes, Adam on every parameter, Polyak targets), written once over tensors
// with an optional leading policy axis: L updates one after the other against one stacked update
// of L policies, at 64-64 and 256-256. That bounds what a batched learner can gain.
// usage: mfhrl_learn_ensemble_bench [B]  (default B = 128, the demo's batch)
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

namespace {

constexpr int kIn = 23;  // HalfCheetah observation (17) + action (6): a critic's input

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F>
double seconds_per_pass(F pass) {
  const int passes = 20;
  pass();  // warm-up
  std::vector<double> reps;
  for (int r = 0; r < 7; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < passes; ++i) pass();
    reps.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
                   passes);
  }
  return median(reps);
}

struct Layers {
  std::vector<torch::Tensor> w, b;  // per layer: (in, out) and (out), or stacked (L, in, out)
};

Layers make_layers(const std::vector<int>& dims, int stack) {
  Layers p;
  for (std::size_t i = 0; i + 1 < dims.size(); ++i) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(dims[i]));
    if (stack > 0) {
      p.w.push_back(torch::empty({stack, dims[i], dims[i + 1]}).uniform_(-bound, bound));
      p.b.push_back(torch::empty({stack, 1, dims[i + 1]}).uniform_(-bound, bound));
    } else {
      p.w.push_back(torch::empty({dims[i], dims[i + 1]}).uniform_(-bound, bound));
      p.b.push_back(torch::empty({dims[i + 1]}).uniform_(-bound, bound));
    }
  }
  return p;
}

void require_grad(Layers& p) {
  for (auto& t : p.w) t.requires_grad_(true);
  for (auto& t : p.b) t.requires_grad_(true);
}

// Autograd: forward, mean-square loss, backward (gradients accumulate in the parameters).
void autograd_pass(const Layers& p, const torch::Tensor& x, bool stacked) {
  torch::Tensor h = x;
  for (std::size_t i = 0; i < p.w.size(); ++i) {
    h = stacked ? torch::baddbmm(p.b[i], h, p.w[i]) : torch::addmm(p.b[i], h, p.w[i]);
    if (i + 1 < p.w.size()) h = torch::relu(h);
  }
  h.square().mean().backward();
}

// The same pass with the backward written out; returns the gradients (dW, db per layer).
Layers manual_pass(const Layers& p, const torch::Tensor& x, bool stacked) {
  torch::NoGradGuard no_grad;
  const auto mm = [&](const torch::Tensor& a, const torch::Tensor& b) {
    return stacked ? torch::bmm(a, b) : torch::mm(a, b);
  };
  const auto tr = [&](const torch::Tensor& a) { return a.transpose(-2, -1); };
  std::vector<torch::Tensor> in{x}, pre;
  torch::Tensor h = x;
  for (std::size_t i = 0; i < p.w.size(); ++i) {
    const auto z = stacked ? torch::baddbmm(p.b[i], h, p.w[i]) : torch::addmm(p.b[i], h, p.w[i]);
    pre.push_back(z);
    h = i + 1 < p.w.size() ? torch::relu(z) : z;
    in.push_back(h);
  }
  // Loss: the mean over all outputs of their square (for bmm, over L * B outputs, as autograd's).
  torch::Tensor g = h * (2.0 / static_cast<double>(h.numel()));
  Layers grads;
  grads.w.resize(p.w.size());
  grads.b.resize(p.w.size());
  for (std::size_t i = p.w.size(); i-- > 0;) {
    if (i + 1 < p.w.size()) g = g * (pre[i] > 0);
    grads.w[i] = mm(tr(in[i]), g);
    grads.b[i] = g.sum(stacked ? 1 : 0, stacked);
    if (i > 0) g = mm(g, tr(p.w[i]));
  }
  return grads;
}

// The matrix products of autograd_pass for L unstacked MLPs, into outputs allocated once; no
// elementwise work, no autograd. The inputs' values do not matter for the time.
struct GemmOnly {
  std::vector<std::vector<torch::Tensor>> w, in, out, grad, dw, dx;  // [policy][layer]
  GemmOnly(const std::vector<Layers>& nets, int batch) {
    for (const auto& n : nets) {
      w.emplace_back();
      in.emplace_back();
      out.emplace_back();
      grad.emplace_back();
      dw.emplace_back();
      dx.emplace_back();
      for (const auto& t : n.w) {
        const std::int64_t a = t.size(0), b = t.size(1);
        w.back().push_back(t.detach());
        in.back().push_back(torch::randn({batch, a}));
        out.back().push_back(torch::empty({batch, b}));
        grad.back().push_back(torch::randn({batch, b}));
        dw.back().push_back(torch::empty({a, b}));
        dx.back().push_back(torch::empty({batch, a}));
      }
    }
  }
  void pass() {
    torch::NoGradGuard no_grad;
    for (std::size_t l = 0; l < w.size(); ++l) {
      for (std::size_t i = 0; i < w[l].size(); ++i) at::mm_out(out[l][i], in[l][i], w[l][i]);
      for (std::size_t i = w[l].size(); i-- > 0;) {
        at::mm_out(dw[l][i], in[l][i].t(), grad[l][i]);
        if (i > 0) at::mm_out(dx[l][i], grad[l][i], w[l][i].t());
      }
    }
  }
};

// A SAC-shaped update of one policy (stack = 0) or of `stack` policies at once (parameters with
// a leading policy axis). The same code serves both: x is (..., B, features).
struct SacShaped {
  int stack;
  Layers actor, q1, q2, q1t, q2t;
  torch::Tensor log_std_scale, log_std_offset, log_alpha;
  std::vector<torch::Tensor> params, m, v;  // every optimised tensor, Adam moments

  SacShaped(int stack_, int w) : stack(stack_) {
    const int obs = 17, act = 6;
    actor = make_layers({obs, w, w, 2 * act}, stack);
    q1 = make_layers({obs + act, w, w, 1}, stack);
    q2 = make_layers({obs + act, w, w, 1}, stack);
    q1t = make_layers({obs + act, w, w, 1}, stack);
    q2t = make_layers({obs + act, w, w, 1}, stack);
    const std::vector<std::int64_t> scalar =
        stack > 0 ? std::vector<std::int64_t>{stack, 1, 1} : std::vector<std::int64_t>{};
    log_std_scale = torch::ones(scalar);
    log_std_offset = torch::full(scalar, -1.0);
    log_alpha = torch::zeros(scalar);
    for (Layers* l : {&actor, &q1, &q2}) {
      require_grad(*l);
      for (auto& t : l->w) params.push_back(t);
      for (auto& t : l->b) params.push_back(t);
    }
    for (auto* t : {&log_std_scale, &log_std_offset, &log_alpha}) {
      t->requires_grad_(true);
      params.push_back(*t);
    }
    for (const auto& p : params) {
      m.push_back(torch::zeros_like(p));
      v.push_back(torch::zeros_like(p));
    }
  }

  torch::Tensor forward(const Layers& p, torch::Tensor h) const {
    for (std::size_t i = 0; i < p.w.size(); ++i) {
      h = stack > 0 ? torch::baddbmm(p.b[i], h, p.w[i]) : torch::addmm(p.b[i], h, p.w[i]);
      if (i + 1 < p.w.size()) h = torch::relu(h);
    }
    return h;
  }
  std::pair<torch::Tensor, torch::Tensor> sample(const torch::Tensor& obs) const {
    const auto out = forward(actor, obs);
    const auto mu = out.narrow(-1, 0, 6), raw = out.narrow(-1, 6, 6);
    const auto log_std = (log_std_scale * raw + log_std_offset).clamp(-20.0, 2.0);
    const auto eps = torch::randn_like(mu);
    const auto u = mu + log_std.exp() * eps;
    auto logp = (-0.5 * eps.square() - log_std - 0.9189385).sum(-1);
    logp = logp - (2.0 * (0.6931472 - u - torch::softplus(-2.0 * u))).sum(-1);
    return {torch::tanh(u), logp};
  }
  // Mean over the batch (and the features), per policy, summed over policies.
  torch::Tensor mean(const torch::Tensor& t) const {
    return stack > 0 ? t.reshape({stack, -1}).mean(1).sum() : t.mean();
  }
  void adam(std::size_t from, std::size_t to, std::int64_t step) {
    torch::NoGradGuard no_grad;
    const double bc1 = 1 - std::pow(0.9, step), bc2 = 1 - std::pow(0.999, step);
    for (std::size_t i = from; i < to; ++i) {
      const auto& g = params[i].grad();
      if (!g.defined()) continue;
      m[i].mul_(0.9).add_(g, 0.1);
      v[i].mul_(0.999).addcmul_(g, g, 0.001);
      params[i].addcdiv_(m[i], (v[i].sqrt() / std::sqrt(bc2)).add_(1e-8), -3e-4 / bc1);
      params[i].mutable_grad() = torch::Tensor();
    }
  }
  void update(const torch::Tensor& obs, const torch::Tensor& act, const torch::Tensor& rew,
              const torch::Tensor& next_obs, std::int64_t step) {
    const std::size_t n_actor = 2 * actor.w.size(), n_critic = 4 * q1.w.size();
    const auto alpha = log_alpha.exp().detach();
    const auto [a_pi, logp] = sample(obs);
    const auto q_pi = torch::min(forward(q1, torch::cat({obs, a_pi}, -1)),
                                 forward(q2, torch::cat({obs, a_pi}, -1)))
                          .squeeze(-1);
    const auto actor_loss = mean(alpha.squeeze(-1) * logp - q_pi);
    const auto alpha_loss = -mean(log_alpha.squeeze(-1) * (logp.detach() - 6.0));
    torch::Tensor y;
    {
      torch::NoGradGuard no_grad;
      const auto [a2, unused] = sample(next_obs);
      const auto x2 = torch::cat({next_obs, a2}, -1);
      y = rew + 0.99 * torch::min(forward(q1t, x2), forward(q2t, x2)).squeeze(-1);
    }
    const auto x = torch::cat({obs, act}, -1);
    const auto critic_loss = mean((forward(q1, x).squeeze(-1) - y).square()) +
                             mean((forward(q2, x).squeeze(-1) - y).square());
    alpha_loss.backward();
    adam(params.size() - 1, params.size(), step);
    actor_loss.backward();
    adam(0, n_actor, step);
    adam(params.size() - 3, params.size() - 1, step);
    for (std::size_t i = n_actor; i < n_actor + n_critic; ++i)
      params[i].mutable_grad() = torch::Tensor();
    critic_loss.backward();
    adam(n_actor, n_actor + n_critic, step);
    torch::NoGradGuard no_grad;
    for (auto [t, s] : {std::pair<Layers*, Layers*>{&q1t, &q1}, {&q2t, &q2}}) {
      for (std::size_t i = 0; i < t->w.size(); ++i) {
        t->w[i].mul_(0.995).add_(s->w[i], 0.005);
        t->b[i].mul_(0.995).add_(s->b[i], 0.005);
      }
    }
  }
};

void sac_shaped(int batch) {
  std::printf(
      "\nSAC-shaped update (actor 17 -> w -> w -> 12, twin critics and targets 23 -> w -> w "
      "-> 1), batch %d, 1 thread\n",
      batch);
  std::printf("%3s %5s %18s %18s %10s\n", "L", "w", "loop ms/policy", "stacked ms/policy",
              "speedup");
  for (int L : {4, 8}) {
    for (int w : {64, 256}) {
      std::vector<SacShaped> loop;
      for (int l = 0; l < L; ++l) loop.emplace_back(0, w);
      SacShaped stacked(L, w);
      const auto data = [&](int s) {
        const std::vector<std::int64_t> lead =
            s > 0 ? std::vector<std::int64_t>{s} : std::vector<std::int64_t>{};
        auto shape = [&](std::vector<std::int64_t> tail) {
          std::vector<std::int64_t> out = lead;
          out.insert(out.end(), tail.begin(), tail.end());
          return out;
        };
        return std::vector<torch::Tensor>{
            torch::randn(shape({batch, 17})), torch::rand(shape({batch, 6})) * 2 - 1,
            torch::randn(shape({batch})), torch::randn(shape({batch, 17}))};
      };
      const auto one = data(0), all = data(L);
      std::int64_t step = 0;
      const double t_loop = seconds_per_pass([&] {
        ++step;
        for (auto& a : loop) a.update(one[0], one[1], one[2], one[3], step);
      });
      const double t_stacked =
          seconds_per_pass([&] { stacked.update(all[0], all[1], all[2], all[3], ++step); });
      std::printf("%3d %5d %18.3f %18.3f %9.2fx\n", L, w, 1e3 * t_loop / L, 1e3 * t_stacked / L,
                  t_loop / t_stacked);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  at::set_num_threads(1);
  torch::manual_seed(0);
  const int batch = argc > 1 ? std::atoi(argv[1]) : 128;
  std::printf("L critic-shaped MLPs (%d -> w -> w -> 1), batch %d, forward + backward, 1 thread\n",
              kIn, batch);
  std::printf("%3s %5s %14s %8s %8s %12s %10s %12s\n", "L", "w", "loop us/pol", "bmm", "bmm_man",
              "loop_manual", "gemm_only", "(speedups)");
  for (int L : {4, 8}) {
    int crossover = -1;
    for (int w : {16, 32, 64, 128, 256, 512}) {
      const std::vector<int> dims{kIn, w, w, 1};
      std::vector<Layers> nets;
      std::vector<torch::Tensor> xs;
      for (int l = 0; l < L; ++l) {
        nets.push_back(make_layers(dims, 0));
        require_grad(nets.back());
        xs.push_back(torch::randn({batch, kIn}));
      }
      Layers stacked = make_layers(dims, L);
      require_grad(stacked);
      const auto x3 = torch::stack(xs);
      const double loop = seconds_per_pass([&] {
        for (int l = 0; l < L; ++l) autograd_pass(nets[l], xs[l], false);
      });
      const double bmm = seconds_per_pass([&] { autograd_pass(stacked, x3, true); });
      const double bmm_manual = seconds_per_pass([&] { manual_pass(stacked, x3, true); });
      const double loop_manual = seconds_per_pass([&] {
        for (int l = 0; l < L; ++l) manual_pass(nets[l], xs[l], false);
      });
      GemmOnly floor(nets, batch);
      const double gemm_only = seconds_per_pass([&] { floor.pass(); });
      if (crossover < 0 && loop <= bmm) crossover = w;
      std::printf("%3d %5d %14.1f %7.2fx %7.2fx %11.2fx %9.2fx\n", L, w, 1e6 * loop / L, loop / bmm,
                  loop / bmm_manual, loop / loop_manual, loop / gemm_only);
    }
    if (crossover > 0) {
      std::printf("L = %d: crossover width (loop as fast as bmm) %d on this CPU\n", L, crossover);
    } else {
      std::printf("L = %d: bmm is faster at every width up to 512 on this CPU\n", L);
    }
  }
  sac_shaped(batch);
  return 0;
}
