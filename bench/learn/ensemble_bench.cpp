// Groundwork for updating a rank's L policies as one batched computation (issue 12): the
// forward and backward pass of L critic-shaped MLPs (23 -> w -> w -> 1, ReLU, batch B, loss the
// mean square of the output), four ways, at several widths w:
//   loop:         L torch::nn MLPs, autograd, one after the other (what an update does today);
//   bmm:          stacked weights (L, in, out), one baddbmm per layer for all L, autograd;
//   loop_manual:  L MLPs, the backward written out with mm (no autograd graph);
//   bmm_manual:   stacked weights, the backward written out with bmm.
// Each is timed in this process (median of 7 repetitions of 20 passes, 1 thread), and printed
// as time per policy and as the speedup over `loop` at the same L and w. The crossover width
// is the smallest w at which `loop` is as fast as `bmm` (batching no longer pays).
// usage: mfhrl_learn_ensemble_bench [B]  (default B = 128, the demo's batch)
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

}  // namespace

int main(int argc, char** argv) {
  at::set_num_threads(1);
  torch::manual_seed(0);
  const int batch = argc > 1 ? std::atoi(argv[1]) : 128;
  std::printf("L critic-shaped MLPs (%d -> w -> w -> 1), batch %d, forward + backward, 1 thread\n",
              kIn, batch);
  std::printf("%3s %5s %14s %8s %8s %12s %12s\n", "L", "w", "loop us/pol", "bmm", "bmm_man",
              "loop_manual", "(speedups)");
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
      if (crossover < 0 && loop <= bmm) crossover = w;
      std::printf("%3d %5d %14.1f %7.2fx %7.2fx %11.2fx\n", L, w, 1e6 * loop / L, loop / bmm,
                  loop / bmm_manual, loop / loop_manual);
    }
    if (crossover > 0) {
      std::printf("L = %d: crossover width (loop as fast as bmm) %d on this CPU\n", L, crossover);
    } else {
      std::printf("L = %d: bmm is faster at every width up to 512 on this CPU\n", L);
    }
  }
  return 0;
}
