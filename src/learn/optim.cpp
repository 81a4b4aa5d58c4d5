// Adam and Polyak loops (see optim.h). Built with -ffp-contract=off (no fused operation but the
// explicit std::fma), so the float operations are exactly those written here.
#include "optim.h"

#include <cmath>

namespace mfhrl::learn {

namespace {

// The loops are written once and always inlined into their entry points. On x86-64 there are
// two: one for CPUs with AVX2 and FMA, where std::fma is one instruction and the loop vectorises,
// and one for any x86-64, where std::fma is the C library's (the same correctly rounded result,
// more slowly). Both give the same bits.
[[gnu::always_inline]] inline void adam_loop(float* __restrict p, const float* __restrict g,
                                             float* __restrict m, float* __restrict v,
                                             std::size_t n, const AdamStep& c) {
  for (std::size_t i = 0; i < n; ++i) {
    const float mi = std::fma(c.one_minus_beta1, g[i], m[i] * c.beta1);
    const float vi = std::fma(c.one_minus_beta2 * g[i], g[i], v[i] * c.beta2);
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] + c.step_size * mi / (std::sqrt(vi) / c.sqrt_bias2 + c.eps);
  }
}

[[gnu::always_inline]] inline void polyak_loop(float* __restrict dst, const float* __restrict src,
                                               std::size_t n, float keep, float take) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = std::fma(src[i], take, dst[i] * keep);
}

// Elsewhere (aarch64, where FMA is in the base ISA) the plain entry points serve alone.
#if defined(__x86_64__)
[[gnu::target("avx2,fma")]] void adam_fma(float* p, const float* g, float* m, float* v,
                                          std::size_t n, const AdamStep& c) {
  adam_loop(p, g, m, v, n, c);
}
[[gnu::target("avx2,fma")]] void polyak_fma(float* dst, const float* src, std::size_t n, float keep,
                                            float take) {
  polyak_loop(dst, src, n, keep, take);
}
bool has_fma() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}
#endif
void adam_any(float* p, const float* g, float* m, float* v, std::size_t n, const AdamStep& c) {
  adam_loop(p, g, m, v, n, c);
}
void polyak_any(float* dst, const float* src, std::size_t n, float keep, float take) {
  polyak_loop(dst, src, n, keep, take);
}

}  // namespace

AdamStep adam_step_constants(double lr, std::int64_t step) {
  constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const double bias1 = 1.0 - std::pow(b1, static_cast<double>(step));
  const double bias2 = 1.0 - std::pow(b2, static_cast<double>(step));
  AdamStep c;
  c.beta1 = static_cast<float>(b1);
  c.one_minus_beta1 = static_cast<float>(1.0 - b1);
  c.beta2 = static_cast<float>(b2);
  c.one_minus_beta2 = static_cast<float>(1.0 - b2);
  c.sqrt_bias2 = static_cast<float>(std::sqrt(bias2));
  c.eps = static_cast<float>(eps);
  c.step_size = static_cast<float>(-lr / bias1);
  return c;
}

void adam_update(float* p, const float* g, float* m, float* v, std::size_t n, const AdamStep& c) {
#if defined(__x86_64__)
  if (has_fma()) return adam_fma(p, g, m, v, n, c);
#endif
  adam_any(p, g, m, v, n, c);
}

void polyak_update(float* dst, const float* src, std::size_t n, double tau) {
  const auto keep = static_cast<float>(1.0 - tau), take = static_cast<float>(tau);
#if defined(__x86_64__)
  if (has_fma()) return polyak_fma(dst, src, n, keep, take);
#endif
  polyak_any(dst, src, n, keep, take);
}

}  // namespace mfhrl::learn
