// Torch helpers shared by the agent and the discriminator (see nets.h).
#include "nets.h"

#include <ATen/Parallel.h>

#include <dlfcn.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstring>

#include "mfhrl/core/error.h"
#include "mfhrl/learn/spec.h"
#include "optim.h"

namespace mfhrl::learn {

void init_threads(int threads) {
  MFHRL_CHECK(threads >= 1, "init_threads: " << threads << " threads");
  torch::set_num_threads(threads);
}

void keep_tensor_memory() {
#if defined(__GLIBC__)
  // Setting either threshold also turns off glibc's own adjustment of the mmap threshold.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's upper bound for this setting
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
#endif
}

double matmul_seconds(int m, int k, int n, int reps) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  const auto a = torch::randn({m, k});
  const auto b = torch::randn({k, n});
  auto c = torch::mm(a, b);  // warm-up
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    c = torch::mm(a, b);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}

Mlp make_mlp(int in, const std::vector<int>& hidden, int out) {
  Mlp net;
  int width = in;
  for (int h : hidden) {
    net->push_back(torch::nn::Linear(width, h));
    net->push_back(torch::nn::ReLU());
    width = h;
  }
  net->push_back(torch::nn::Linear(width, out));
  return net;
}

void copy_params(const Mlp& dst, const Mlp& src) {
  torch::NoGradGuard no_grad;
  const auto d = dst->parameters();
  const auto s = src->parameters();
  for (std::size_t i = 0; i < d.size(); ++i) d[i].copy_(s[i]);
}

void set_requires_grad(const Mlp& net, bool on) {
  for (auto& p : net->parameters()) p.requires_grad_(on);
}

namespace {
// A float tensor of the given shape filled in order by draw() (no copy through another buffer).
template <typename Draw>
torch::Tensor drawn(std::vector<std::int64_t> shape, Draw draw) {
  auto t = torch::empty(shape, torch::kFloat32);
  float* p = t.data_ptr<float>();
  for (std::int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<float>(draw(i));
  return t;
}
}  // namespace

torch::Tensor normal_tensor(Rng& rng, std::int64_t rows, std::int64_t cols) {
  return drawn({rows, cols}, [&](std::int64_t) { return rng.normal(); });
}

torch::Tensor normal_tensor(const std::vector<Rng*>& rngs, std::int64_t rows, std::int64_t cols) {
  const std::int64_t each = rows * cols;
  const auto S = static_cast<std::int64_t>(rngs.size());
  return drawn({S, rows, cols}, [&](std::int64_t i) { return rngs[i / each]->normal(); });
}

torch::Tensor uniform_tensor(Rng& rng, std::int64_t rows, std::int64_t cols, double lo, double hi) {
  return drawn({rows, cols}, [&](std::int64_t) { return rng.uniform(lo, hi); });
}

torch::Tensor uniform_tensor(const std::vector<Rng*>& rngs, std::int64_t rows, std::int64_t cols,
                             double lo, double hi) {
  const std::int64_t each = rows * cols;
  const auto S = static_cast<std::int64_t>(rngs.size());
  return drawn({S, rows, cols}, [&](std::int64_t i) { return rngs[i / each]->uniform(lo, hi); });
}

Batch make_batch(const std::vector<BatchRows>& policies, int obs_dim, int act_dim, bool stacked) {
  MFHRL_CHECK(!policies.empty() && (stacked || policies.size() == 1),
              "make_batch: " << policies.size() << " policies, stacked " << stacked);
  std::size_t n = 0;
  for (std::size_t s = 0; s < policies.size(); ++s) {
    std::size_t rows = 0;
    for (const Transitions* t : policies[s].parts) {
      t->check_consistent();
      MFHRL_CHECK(t->obs_dim == obs_dim && t->act_dim == act_dim,
                  "minibatch dims (" << t->obs_dim << ", " << t->act_dim
                                     << ") differ from the agent's (" << obs_dim << ", " << act_dim
                                     << ")");
      rows += t->size();
    }
    MFHRL_CHECK(rows > 0, "empty minibatch");
    if (s == 0) n = rows;
    MFHRL_CHECK(rows == n, "make_batch: minibatches of " << rows << " and " << n << " rows");
  }
  const auto S = static_cast<std::int64_t>(policies.size());
  const auto N = static_cast<std::int64_t>(n);
  const auto shape = [&](std::vector<std::int64_t> dims) {
    if (stacked) dims.insert(dims.begin(), S);
    return dims;
  };
  Batch b;
  b.obs = torch::empty(shape({N, obs_dim}), torch::kFloat32);
  b.act = torch::empty(shape({N, act_dim}), torch::kFloat32);
  b.rew = torch::empty(shape({N}), torch::kFloat32);
  b.next_obs = torch::empty(shape({N, obs_dim}), torch::kFloat32);
  b.done = torch::empty(shape({N}), torch::kFloat32);
  float *obs = b.obs.data_ptr<float>(), *act = b.act.data_ptr<float>();
  float *rew = b.rew.data_ptr<float>(), *next = b.next_obs.data_ptr<float>();
  float* done = b.done.data_ptr<float>();
  const auto od = static_cast<std::size_t>(obs_dim);
  for (const BatchRows& p : policies) {
    // The same float operations as torch's (obs - mean) / std, element by element.
    const auto standardise = [&](const std::vector<float>& from, float* to) {
      if (p.obs_mean == nullptr) {
        std::copy(from.begin(), from.end(), to);
        return;
      }
      for (std::size_t i = 0; i < from.size(); ++i) {
        to[i] = (from[i] - p.obs_mean[i % od]) / p.obs_std[i % od];
      }
    };
    for (const Transitions* t : p.parts) {
      standardise(t->obs, obs);
      standardise(t->next_obs, next);
      std::copy(t->act.begin(), t->act.end(), act);
      std::copy(t->rew.begin(), t->rew.end(), rew);
      std::transform(t->terminal.begin(), t->terminal.end(), done,
                     [](std::uint8_t x) { return static_cast<float>(x); });
      obs += t->obs.size();
      next += t->next_obs.size();
      act += t->act.size();
      rew += t->rew.size();
      done += t->terminal.size();
    }
  }
  return b;
}

Batch to_batch(const Transitions& t, int obs_dim, int act_dim) {
  return make_batch({BatchRows{{&t}}}, obs_dim, act_dim, false);
}

namespace {

// The Fortran BLAS sgemm, as torch's CPU build calls it; looked up in the process (it comes with
// torch's own BLAS dependency), so both call the same library. Null without one.
using Sgemm = void (*)(const char*, const char*, const int*, const int*, const int*, const float*,
                       const float*, const int*, const float*, const int*, const float*, float*,
                       const int*);
Sgemm process_sgemm() {
  static const auto f = reinterpret_cast<Sgemm>(dlsym(RTLD_DEFAULT, "sgemm_"));
  return f;
}

// A 2-D slice: data, sizes and strides in elements (0: rows, 1: columns), as torch sees them.
struct Mat {
  float* p;
  std::int64_t size[2], stride[2];
};

// r = beta r + m1 m2 with the BLAS call torch 1.13's addmm makes for these sizes and strides (its
// choice of transposes and leading dimensions, and the copy it makes of an operand that fits
// neither layout). Returns false, having done nothing, where torch would not call BLAS.
bool sgemm_like_addmm(Sgemm sgemm, Mat r, Mat m1, Mat m2, float beta) {
  bool tc = false;
  if (r.stride[0] == 1 && (r.size[1] == 1 || r.stride[1] >= std::max<std::int64_t>(1, r.size[0]))) {
    tc = false;
  } else if (r.stride[1] == 1 &&
             (r.size[0] == 1 || r.stride[0] >= std::max<std::int64_t>(1, r.size[1]))) {
    std::swap(m1, m2);
    tc = true;
  } else {
    return false;  // torch would compute into a column-major copy of r
  }
  const std::int64_t m = r.size[tc ? 1 : 0], n = r.size[tc ? 0 : 1], k = m1.size[tc ? 0 : 1];
  const int i0 = tc ? 1 : 0, i1 = tc ? 0 : 1;
  // An operand in neither layout is copied row-major (contiguous) and used transposed or not.
  std::vector<float> copy_a, copy_b;
  const auto contiguous = [](const Mat& x, std::vector<float>& buf) {
    buf.resize(static_cast<std::size_t>(x.size[0] * x.size[1]));
    for (std::int64_t i = 0; i < x.size[0]; ++i)
      for (std::int64_t j = 0; j < x.size[1]; ++j)
        buf[static_cast<std::size_t>(i * x.size[1] + j)] = x.p[i * x.stride[0] + j * x.stride[1]];
    return Mat{buf.data(), {x.size[0], x.size[1]}, {x.size[1], 1}};
  };
  // An operand is used as it is when one of its strides is 1 and the other at least `plain` (not
  // transposed) or `transposed` (transposed); otherwise as a row-major copy.
  const auto operand = [&](const Mat& x, std::int64_t plain, std::int64_t transposed,
                           std::vector<float>& buf, bool* t) {
    if (x.stride[i0] == 1 && x.stride[i1] >= std::max<std::int64_t>(1, plain)) {
      *t = false;
      return x;
    }
    if (x.stride[i1] == 1 && x.stride[i0] >= std::max<std::int64_t>(1, transposed)) {
      *t = true;
      return x;
    }
    *t = !tc;
    return contiguous(x, buf);
  };
  bool ta = false, tb = false;
  const Mat a = operand(m1, m, k, copy_a, &ta);
  const Mat b = operand(m2, k, n, copy_b, &tb);
  std::int64_t lda = a.stride[(ta == tc) ? 1 : 0], ldb = b.stride[(tb == tc) ? 1 : 0];
  std::int64_t ldc = r.stride[tc ? 0 : 1];
  // The leading dimensions BLAS is given for degenerate sizes.
  if (n == 1) ldc = m;
  if (ta) {
    if (m == 1) lda = k;
  } else if (k == 1) {
    lda = m;
  }
  if (tb) {
    if (k == 1) ldb = n;
  } else if (n == 1) {
    ldb = k;
  }
  const bool blas =
      m <= INT_MAX && n <= INT_MAX && k <= INT_MAX && lda <= INT_MAX && ldb <= INT_MAX &&
      ldc <= INT_MAX && lda >= std::max<std::int64_t>(1, ta ? k : m) &&
      ldb >= std::max<std::int64_t>(1, tb ? n : k) && ldc >= std::max<std::int64_t>(1, m);
  if (!blas || k == 0) return false;  // k = 0: torch scales r by beta itself
  if (m == 0 || n == 0) return true;
  const char transa = ta ? 'T' : 'N', transb = tb ? 'T' : 'N';
  const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
  const int ldai = static_cast<int>(lda), ldbi = static_cast<int>(ldb),
            ldci = static_cast<int>(ldc);
  const float one = 1.0f;
  sgemm(&transa, &transb, &mi, &ni, &ki, &one, a.p, &ldai, b.p, &ldbi, &beta, r.p, &ldci);
  return true;
}

// An operand of a product without a torch view: a 2-D tensor or a stack of them (3-D), only
// the columns [c0, c1) of its last axis (c1 < 0: to the end), transposed or not.
struct Operand {
  const torch::Tensor& t;
  std::int64_t c0 = 0, c1 = -1;
  bool transposed = false;
};
Operand transposed(const torch::Tensor& t) {
  return Operand{t, 0, -1, true};
}

// Slice s of o as the Mat that the torch view (o.t as a stack)[s], columns [c0, c1), transposed,
// would give: the same pointer, sizes and strides.
Mat mat_of(const Operand& o, std::int64_t s) {
  const std::int64_t a0 = o.t.dim() == 3 ? 1 : 0, a1 = a0 + 1;
  const std::int64_t c1 = o.c1 < 0 ? o.t.size(a1) : o.c1;
  float* p = o.t.data_ptr<float>() + o.c0 * o.t.stride(a1);
  if (a0 == 1) p += s * o.t.stride(0);
  Mat m{p, {o.t.size(a0), c1 - o.c0}, {o.t.stride(a0), o.t.stride(a1)}};
  if (o.transposed) {
    std::swap(m.size[0], m.size[1]);
    std::swap(m.stride[0], m.stride[1]);
  }
  return m;
}
// The same slice as a torch view, for torch's own addmm where BLAS is not called.
torch::Tensor view_of(const Operand& o, std::int64_t s) {
  auto v = o.t.dim() == 3 ? o.t[s] : o.t;
  v = v.slice(1, o.c0, o.c1 < 0 ? v.size(1) : o.c1);
  return o.transposed ? v.t() : v;
}

// r[s] = beta r[s] + a[s] b[s] for every slice s (bmm_like_addmm on operands without views).
void product(const Operand& r, const Operand& a, const Operand& b, float beta) {
  const std::int64_t dim = r.t.dim(), S = dim == 3 ? r.t.size(0) : 1;
  MFHRL_CHECK(a.t.dim() == dim && b.t.dim() == dim && (dim == 2 || dim == 3) && !r.transposed &&
                  r.t.scalar_type() == torch::kFloat32 && a.t.scalar_type() == torch::kFloat32 &&
                  b.t.scalar_type() == torch::kFloat32 &&
                  (dim == 2 || (a.t.size(0) == S && b.t.size(0) == S)),
              "product: 2-D or 3-D float tensors expected, got "
                  << r.t.sizes() << " = " << a.t.sizes() << " x " << b.t.sizes());
  const Mat r0 = mat_of(r, 0), a0 = mat_of(a, 0), b0 = mat_of(b, 0);
  MFHRL_CHECK(r0.size[0] == a0.size[0] && a0.size[1] == b0.size[0] && b0.size[1] == r0.size[1],
              "product: sizes " << r.t.sizes() << " = " << a.t.sizes() << " x " << b.t.sizes());
  const Sgemm sgemm = process_sgemm();
  torch::NoGradGuard no_grad;
  // Slices in parallel over torch's intra-op threads, as torch's batched product does. A single
  // slice runs inline (at::parallel_for never forks for one item), as torch's addmm calls BLAS.
  at::parallel_for(0, S, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t s = begin; s < end; ++s) {
      if (sgemm != nullptr &&
          sgemm_like_addmm(sgemm, mat_of(r, s), mat_of(a, s), mat_of(b, s), beta)) {
        continue;
      }
      view_of(r, s).addmm_(view_of(a, s), view_of(b, s), beta, 1.0);
    }
  });
}

}  // namespace

void bmm_like_addmm(const torch::Tensor& r, const torch::Tensor& m1, const torch::Tensor& m2,
                    float beta) {
  MFHRL_CHECK(r.dim() == 3 && m1.dim() == 3 && m2.dim() == 3,
              "bmm_like_addmm: 3-D float tensors expected");
  product(Operand{r}, Operand{m1}, Operand{m2}, beta);
}

namespace {

// The bias shape that goes with weight w: (out) alone, (S, 1, out) stacked.
std::vector<std::int64_t> bias_sizes(const torch::Tensor& w) {
  if (w.dim() == 2) return {w.size(0)};
  return {w.size(0), 1, w.size(1)};
}
void check_layer(const torch::Tensor& w, const torch::Tensor& b, std::size_t i) {
  MFHRL_CHECK(b.sizes() == torch::IntArrayRef(bias_sizes(w)),
              "MLP layer " << i << ": bias " << b.sizes() << " for weight " << w.sizes());
}
// A fresh contiguous tensor of `shape` whose rows (of shape.back() floats) are the rows of the
// contiguous src, each repeated `repeat` times in order: src's row i fills rows [i repeat,
// (i + 1) repeat).
torch::Tensor repeated_rows(const torch::Tensor& src, std::int64_t repeat,
                            const std::vector<std::int64_t>& shape) {
  auto t = torch::empty(shape, src.options());
  const std::int64_t width = shape.back();
  MFHRL_CHECK(src.is_contiguous() && width > 0 && src.numel() % width == 0 &&
                  src.numel() * repeat == t.numel(),
              "repeated_rows: " << src.sizes() << " x " << repeat << " rows into " << t.sizes()
                                << " (contiguous source expected)");
  const float* from = src.data_ptr<float>();
  float* to = t.data_ptr<float>();
  const auto bytes = static_cast<std::size_t>(width) * sizeof(float);
  for (std::int64_t i = 0; i < src.numel() / width; ++i) {
    for (std::int64_t j = 0; j < repeat; ++j) {
      std::memcpy(to + (i * repeat + j) * width, from + i * width, bytes);
    }
  }
  return t;
}
// A fresh contiguous ([S,] rows, out) tensor holding bias b (contiguous) on every row.
torch::Tensor bias_rows(const torch::Tensor& like_rows, const torch::Tensor& b, std::int64_t out) {
  auto shape = like_rows.sizes().vec();
  shape.back() = out;
  const std::int64_t S = shape.size() == 3 ? shape[0] : 1;
  MFHRL_CHECK(b.is_contiguous() && b.numel() == S * out, "MLP bias " << b.sizes() << " for rows "
                                                                     << like_rows.sizes()
                                                                     << " (contiguous expected)");
  return repeated_rows(b, shape[shape.size() - 2], shape);
}
// x <- max(x, 0) in place for a contiguous float tensor, as torch's relu_ (clamp_min_ 0): -0
// and NaN stay as they are. Branch-free (a branch mispredicts on the signs of activations):
// SSE2's max returns its second operand for NaN and for two zeros, which is x.
void relu_inplace(const torch::Tensor& t) {
  float* p = t.data_ptr<float>();
  const std::int64_t n = t.numel();
  std::int64_t i = 0;
#if defined(__SSE2__)
  const __m128 zero = _mm_setzero_ps();
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(p + i, _mm_max_ps(zero, _mm_loadu_ps(p + i)));
  for (; i < n; ++i) _mm_store_ss(p + i, _mm_max_ss(zero, _mm_load_ss(p + i)));
#endif
  for (; i < n; ++i) p[i] = p[i] < 0.0f ? 0.0f : p[i];
}
// g <- (h <= 0 ? 0 : g) in place for contiguous g and h of the same size: torch's
// threshold_backward(g, h, 0) without a new tensor. Branch-free as relu_inplace.
void relu_backward_inplace(const torch::Tensor& g, const torch::Tensor& h) {
  MFHRL_CHECK(g.numel() == h.numel(),
              "relu_backward_inplace: sizes " << g.sizes() << ", " << h.sizes());
  float* gp = g.data_ptr<float>();
  const float* hp = h.data_ptr<float>();
  const std::int64_t n = g.numel();
  std::int64_t i = 0;
#if defined(__SSE2__)
  const __m128 zero = _mm_setzero_ps();
  for (; i + 4 <= n; i += 4) {
    const __m128 off = _mm_cmple_ps(_mm_loadu_ps(hp + i), zero);
    _mm_storeu_ps(gp + i, _mm_andnot_ps(off, _mm_loadu_ps(gp + i)));
  }
#endif
  for (; i < n; ++i) gp[i] = hp[i] <= 0.0f ? 0.0f : gp[i];
}

// Layers [first, end) of params on h, each layer's input saved after its weight: appends w_i,
// h_{i+1}, ..., w_{L-1} to saved (the ReLU outputs are the next layers' inputs).
torch::Tensor forward_layers(torch::Tensor h, at::TensorList params, std::size_t first,
                             std::vector<torch::Tensor>& saved) {
  const std::size_t layers = params.size() / 2;
  for (std::size_t i = first; i < layers; ++i) {
    const auto& w = params[2 * i];
    check_layer(w, params[2 * i + 1], i);
    auto out = bias_rows(h, params[2 * i + 1], w.size(-2));
    product(Operand{out}, Operand{h}, transposed(w), 1.0f);
    if (i + 1 < layers) relu_inplace(out);
    saved.push_back(w);
    if (i + 1 < layers) saved.push_back(out);
    h = out;
  }
  return h;
}

// The backward of layers [first, L) from saved = (x, w0, h1, w1, ..., w_{L-1}) with the
// gradient g of the output: fills out[grad_offset + 2i] (weight i) and out[grad_offset + 1 + 2i]
// (its bias) where the node's input of that index wants one, and returns the gradient of layer
// first's input (for first > 0: of layer first - 1's output before its ReLU); for first = 0,
// undefined unless want_input.
torch::Tensor backward_layers(torch::autograd::AutogradContext* ctx, torch::Tensor g,
                              const torch::autograd::variable_list& saved, std::size_t first,
                              std::size_t grad_offset, bool want_input,
                              torch::autograd::tensor_list& out) {
  const std::size_t layers = saved.size() / 2;
  for (std::size_t i = layers; i-- > first;) {
    const auto& h = saved[2 * i];
    const auto& w = saved[2 * i + 1];
    if (ctx->needs_input_grad(grad_offset + 2 * i)) {
      auto gw = torch::empty(w.sizes(), g.options());
      product(Operand{gw}, transposed(g), Operand{h}, 0.0f);
      out[grad_offset + 2 * i] = gw;
    }
    if (ctx->needs_input_grad(grad_offset + 1 + 2 * i)) {
      out[grad_offset + 1 + 2 * i] = at::sum_to(g, bias_sizes(w));
    }
    if (i == 0 && !want_input) return {};
    auto gh = torch::empty(h.sizes(), g.options());
    product(Operand{gh}, Operand{g}, Operand{w}, 0.0f);
    if (i > 0) relu_backward_inplace(gh, h);
    g = gh;
  }
  return g;
}

// mlp_forward's autograd node; its inputs are x then every weight and bias in layer order.
struct MlpFunction : public torch::autograd::Function<MlpFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               at::TensorList params) {
    std::vector<torch::Tensor> saved{x};
    const auto h = forward_layers(x, params, 0, saved);
    ctx->save_for_backward(saved);
    return h;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    torch::autograd::tensor_list out(1 + saved.size());  // x, then each layer's weight and bias
    out[0] = backward_layers(ctx, grads[0], saved, 0, 1, ctx->needs_input_grad(0), out);
    return out;
  }
};

// mlp_forward_shared's autograd node: inputs state, act, every weight and bias, then repeat (last,
// so that an input's index is the same among all inputs and among the tensors). Saved: state,
// act, w0, h1, w1, ..., w_{L-1}.
struct SharedMlpFunction : public torch::autograd::Function<SharedMlpFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& state,
                               const torch::Tensor& act, at::TensorList params,
                               std::int64_t repeat) {
    const auto& w0 = params[0];
    const std::int64_t ds = state.size(-1), da = act.size(-1), width = w0.size(-2);
    check_layer(w0, params[1], 0);
    // The state columns' part, once per state: b + s W_s^T, ([S,] B, width).
    auto hs = bias_rows(state, params[1], width);
    product(Operand{hs}, Operand{state}, Operand{w0, 0, ds, true}, 1.0f);
    // Repeated for each of the state's action rows, plus a W_a^T.
    auto h_shape = act.sizes().vec();
    h_shape.back() = width;
    auto h = repeated_rows(hs, repeat, h_shape);
    product(Operand{h}, Operand{act}, Operand{w0, ds, ds + da, true}, 1.0f);
    const std::size_t layers = params.size() / 2;
    std::vector<torch::Tensor> saved{state, act, w0};
    if (layers > 1) {
      relu_inplace(h);
      saved.push_back(h);
    }
    ctx->saved_data["repeat"] = repeat;
    const auto y = forward_layers(h, params, 1, saved);
    ctx->save_for_backward(saved);
    return y;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto all = ctx->get_saved_variables();
    const auto& state = all[0];
    const auto& act = all[1];
    const auto& w0 = all[2];
    const std::int64_t repeat = ctx->saved_data["repeat"].toInt();
    // As mlp_forward's saved list with a placeholder for the input of layer 0.
    torch::autograd::variable_list saved(all.begin() + 1, all.end());
    const std::size_t layers = saved.size() / 2;
    // Gradients: state, act, then w_i at 2 + 2i and b_i at 3 + 2i, then repeat.
    torch::autograd::tensor_list out(3 + 2 * layers);
    auto g = layers > 1 ? backward_layers(ctx, grads[0], saved, 1, 2, true, out) : grads[0];
    const std::int64_t ds = state.size(-1), da = act.size(-1);
    // Per state, the sum of its rows' gradients (the state part's only dependence).
    auto shape = state.sizes().vec();
    shape.back() = repeat;
    shape.push_back(g.size(-1));
    const auto g_state = g.view(shape).sum(-2);
    if (ctx->needs_input_grad(2)) {
      auto gw = torch::empty(w0.sizes(), g.options());
      product(Operand{gw, 0, ds}, transposed(g_state), Operand{state}, 0.0f);
      product(Operand{gw, ds, ds + da}, transposed(g), Operand{act}, 0.0f);
      out[2] = gw;
    }
    if (ctx->needs_input_grad(3)) out[3] = at::sum_to(g_state, bias_sizes(w0));
    return out;
  }
};

}  // namespace

Net net_of(const Mlp& net) {
  Net n;
  for (const auto& child : net->children()) {
    const auto* lin = child->as<torch::nn::Linear>();
    if (lin == nullptr) continue;
    n.w.push_back(lin->weight);
    n.b.push_back(lin->bias);
  }
  return n;
}

namespace {
// The nodes' parameter inputs: every weight and bias of n in layer order (who: the caller, for
// the error).
std::vector<torch::Tensor> layer_params(const Net& n, const char* who) {
  MFHRL_CHECK(!n.w.empty() && n.w.size() == n.b.size(),
              who << ": " << n.w.size() << " weights and " << n.b.size() << " biases");
  std::vector<torch::Tensor> params;
  for (std::size_t i = 0; i < n.w.size(); ++i) {
    params.push_back(n.w[i]);
    params.push_back(n.b[i]);
  }
  return params;
}
}  // namespace

torch::Tensor mlp_forward(const torch::Tensor& x, const Net& n) {
  const auto params = layer_params(n, "mlp_forward");
  MFHRL_CHECK(n.w[0].dim() == x.dim(),
              "mlp_forward: a " << x.dim() << "-D input for " << n.w[0].dim() << "-D weights");
  return MlpFunction::apply(x, at::TensorList(params));
}

std::int64_t cql_one_pass_floats = std::int64_t{1} << 19;

torch::Tensor mlp_forward_shared(const torch::Tensor& state, const torch::Tensor& act,
                                 std::int64_t repeat, const Net& n) {
  const auto params = layer_params(n, "mlp_forward_shared");
  MFHRL_CHECK(!state.requires_grad() && !act.requires_grad(),
              "mlp_forward_shared: no gradient for its inputs");
  MFHRL_CHECK(repeat >= 1 && state.dim() == act.dim() && (state.dim() == 2 || state.dim() == 3) &&
                  act.size(-2) == state.size(-2) * repeat &&
                  (state.dim() == 2 || act.size(0) == state.size(0)) &&
                  n.w[0].dim() == state.dim() && n.w[0].size(-1) == state.size(-1) + act.size(-1),
              "mlp_forward_shared: states " << state.sizes() << ", actions " << act.sizes()
                                            << ", repeat " << repeat << ", first weight "
                                            << n.w[0].sizes());
  return SharedMlpFunction::apply(state.contiguous(), act.contiguous(), at::TensorList(params),
                                  repeat);
}

Adam::Adam(std::vector<torch::Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
  for (const auto& p : params_) {
    MFHRL_CHECK(p.is_contiguous() && p.scalar_type() == torch::kFloat32,
                "Adam: parameters must be contiguous float tensors");
    m_.push_back(torch::zeros_like(p));
    v_.push_back(torch::zeros_like(p));
  }
}

void Adam::zero_grad() {
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
}

void Adam::step() {
  ++step_;
  const AdamStep c = adam_step_constants(lr_, step_);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const auto& grad = params_[i].grad();
    if (!grad.defined()) continue;
    const auto g = grad.contiguous();
    adam_update(params_[i].data_ptr<float>(), g.data_ptr<float>(), m_[i].data_ptr<float>(),
                v_[i].data_ptr<float>(), static_cast<std::size_t>(g.numel()), c);
  }
}

void Adam::set_state(const std::vector<torch::Tensor>& m, const std::vector<torch::Tensor>& v,
                     std::int64_t steps) {
  MFHRL_CHECK(m.size() == m_.size() && v.size() == v_.size(),
              "Adam::set_state: " << m.size() << " moments for " << m_.size() << " parameters");
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < m_.size(); ++i) {
    m_[i].copy_(m[i].view(m_[i].sizes()));
    v_[i].copy_(v[i].view(v_[i].sizes()));
  }
  step_ = steps;
}

void Adam::put(TensorBlobs& out, const std::string& prefix) const {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    put_tensor(out, prefix + "/m/" + std::to_string(i), m_[i]);
    put_tensor(out, prefix + "/v/" + std::to_string(i), v_[i]);
  }
  put_tensor(out, prefix + "/step", torch::tensor(step_, torch::kInt64));
}

void Adam::take(const TensorBlobs& in, const std::string& prefix) {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    take_tensor(in, prefix + "/m/" + std::to_string(i), m_[i]);
    take_tensor(in, prefix + "/v/" + std::to_string(i), v_[i]);
  }
  auto step = torch::zeros({}, torch::kInt64);
  take_tensor(in, prefix + "/step", step);
  step_ = step.item<std::int64_t>();
}

void put_tensor(TensorBlobs& out, const std::string& name, const torch::Tensor& t) {
  const auto c = t.detach().contiguous();
  MFHRL_CHECK(c.scalar_type() == torch::kFloat32 || c.scalar_type() == torch::kInt64,
              "unsupported dtype for blob " << name);
  TensorBlob b;
  b.name = name;
  b.dtype = c.scalar_type() == torch::kFloat32 ? DType::kF32 : DType::kI64;
  b.shape.assign(c.sizes().begin(), c.sizes().end());
  b.bytes.resize(static_cast<std::size_t>(c.numel()) * dtype_size(b.dtype));
  std::memcpy(b.bytes.data(), c.data_ptr(), b.bytes.size());
  out.push_back(std::move(b));
}

void take_tensor(const TensorBlobs& in, const std::string& name, const torch::Tensor& dst) {
  const auto it =
      std::find_if(in.begin(), in.end(), [&](const TensorBlob& b) { return b.name == name; });
  if (it == in.end()) throw InputError("learner state: missing tensor '" + name + "'");
  const DType want = dst.scalar_type() == torch::kFloat32 ? DType::kF32 : DType::kI64;
  const std::vector<std::int64_t> shape(dst.sizes().begin(), dst.sizes().end());
  if (it->dtype != want || it->shape != shape ||
      it->bytes.size() != static_cast<std::size_t>(dst.numel()) * dtype_size(want)) {
    throw InputError("learner state: tensor '" + name +
                     "' has the wrong shape or dtype (expected " + std::to_string(dst.numel()) +
                     " elements of the network's dtype)");
  }
  torch::NoGradGuard no_grad;
  const auto src =
      torch::from_blob(const_cast<std::uint8_t*>(it->bytes.data()), shape, dst.scalar_type());
  dst.copy_(src);
}

void check_blobs(const TensorBlobs& in, const TensorBlobs& like) {
  for (const auto& want : like) {
    const auto it = std::find_if(in.begin(), in.end(),
                                 [&](const TensorBlob& b) { return b.name == want.name; });
    if (it == in.end()) throw InputError("learner state: missing tensor '" + want.name + "'");
    if (it->dtype != want.dtype || it->shape != want.shape ||
        it->bytes.size() != want.bytes.size()) {
      throw InputError("learner state: tensor '" + want.name + "' has the wrong shape or dtype");
    }
  }
}

void put_module(TensorBlobs& out, const std::string& prefix, const Mlp& net) {
  for (const auto& kv : net->named_parameters())
    put_tensor(out, prefix + "/" + kv.key(), kv.value());
}

void take_module(const TensorBlobs& in, const std::string& prefix, const Mlp& net) {
  for (const auto& kv : net->named_parameters())
    take_tensor(in, prefix + "/" + kv.key(), kv.value());
}

void put_rng(TensorBlobs& out, const std::string& name, const Rng& rng) {
  auto t = torch::zeros({4}, torch::kInt64);
  std::memcpy(t.data_ptr(), rng.state().data(), sizeof(Rng::State));
  put_tensor(out, name, t);
}

void take_rng(const TensorBlobs& in, const std::string& name, Rng& rng) {
  auto t = torch::zeros({4}, torch::kInt64);
  take_tensor(in, name, t);
  Rng::State s;
  std::memcpy(s.data(), t.data_ptr(), sizeof(Rng::State));
  rng.set_state(s);
}

void check_finite(double v, const char* what) {
  if (!std::isfinite(v)) throw NumericalError(std::string("non-finite ") + what);
}

}  // namespace mfhrl::learn
