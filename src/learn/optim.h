// The optimiser's elementwise work as plain loops over floats, one pass per tensor: Adam (the
// torch 1.13 formula) and Polyak averaging. Private to the learn module, torch-free.
//
// Each element takes the same float operations whatever its position in the tensor or the
// number of policies stacked in it, so one policy alone and a stack of S give the same bits. The
// operations are those torch's CPU kernels do on a CPU with FMA (AVX2 and AVX-512 kernels):
// `a.add_(b, alpha)` is fma(alpha, b, a) and `a.addcmul_(b, c, value)` is fma(value * b, c, a).
// On such CPUs the result equals the sequence of torch operations it replaces, bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mfhrl::learn {

// The float constants of one Adam step (betas 0.9 and 0.999, eps 1e-8), as torch rounds them.
struct AdamStep {
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float sqrt_bias2;  // sqrt(1 - beta2^t)
  float eps;
  float step_size;  // -lr / (1 - beta1^t)
};
// The constants of step number `step` (1 for the first) at learning rate lr.
AdamStep adam_step_constants(double lr, std::int64_t step);

// One Adam step over n elements of parameter p with gradient g and moments m, v:
//   m <- fma(1 - beta1, g, beta1 m)
//   v <- fma((1 - beta2) g, g, beta2 v)
//   p <- p + (step_size m) / (sqrt(v) / sqrt_bias2 + eps)
void adam_update(float* p, const float* g, float* m, float* v, std::size_t n, const AdamStep& c);

// Polyak averaging of n elements: dst <- fma(src, tau, (1 - tau) dst), tau and 1 - tau as floats.
void polyak_update(float* dst, const float* src, std::size_t n, double tau);

}  // namespace mfhrl::learn
