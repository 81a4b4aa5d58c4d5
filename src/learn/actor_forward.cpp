// Plain-C++ actor inference (see actor_forward.h). Every row is computed by the same loops in the
// same order; rows only share the weights.
#include "actor_forward.h"

#include <algorithm>
#include <cmath>

#include "mfhrl/core/error.h"

namespace mfhrl::learn {

namespace {
constexpr float kLogStdMin = -20.0f, kLogStdMax = 2.0f;
// Rows per pass over a layer's weights; a row's arithmetic does not depend on it.
constexpr int kRowBlock = 8;
constexpr int kMaxActDim = 64;

// y (nb x out) = x (nb x in) W^T + b: every output is summed over the inputs in ascending order
// from zero, then the bias is added; ReLU when relu. The loop runs over inputs, then rows, then
// outputs, so one pass over the weights serves the whole block and the innermost loop vectorises
// over outputs without reordering any output's sum. (Holding a chunk of outputs in registers
// across the input loop measured slower here.)
void dense(const float* __restrict weight_t, const float* __restrict bias, int in, int out, int nb,
           const float* __restrict x, float* __restrict y, bool relu) {
  std::fill(y, y + static_cast<std::ptrdiff_t>(nb) * out, 0.0f);
  for (int k = 0; k < in; ++k) {
    const float* __restrict w = weight_t + static_cast<std::ptrdiff_t>(k) * out;
    for (int r = 0; r < nb; ++r) {
      const float xk = x[static_cast<std::ptrdiff_t>(r) * in + k];
      float* __restrict yr = y + static_cast<std::ptrdiff_t>(r) * out;
      for (int j = 0; j < out; ++j) yr[j] += xk * w[j];
    }
  }
  for (int r = 0; r < nb; ++r) {
    float* __restrict yr = y + static_cast<std::ptrdiff_t>(r) * out;
    for (int j = 0; j < out; ++j) {
      const float v = yr[j] + bias[j];
      yr[j] = relu ? std::max(v, 0.0f) : v;
    }
  }
}
}  // namespace

ActorForward::ActorForward(const std::vector<Layer>& layers, float log_std_scale,
                           float log_std_offset, std::vector<float> obs_mean,
                           std::vector<float> obs_std)
    : scale_(log_std_scale),
      offset_(log_std_offset),
      mean_(std::move(obs_mean)),
      std_(std::move(obs_std)) {
  MFHRL_CHECK(!layers.empty(), "ActorForward: no layers");
  obs_dim_ = layers.front().in;
  MFHRL_CHECK(layers.back().out % 2 == 0, "ActorForward: odd output width");
  act_dim_ = layers.back().out / 2;
  MFHRL_CHECK(
      static_cast<int>(mean_.size()) == obs_dim_ && static_cast<int>(std_.size()) == obs_dim_,
      "ActorForward: input statistics of the wrong size");
  int width = obs_dim_;
  for (const Layer& l : layers) {
    MFHRL_CHECK(l.in == width && l.weight.size() == static_cast<std::size_t>(l.in) * l.out &&
                    l.bias.size() == static_cast<std::size_t>(l.out),
                "ActorForward: layer shapes do not chain");
    Dense d;
    d.in = l.in;
    d.out = l.out;
    d.bias = l.bias;
    d.weight_t.resize(l.weight.size());
    for (int o = 0; o < l.out; ++o)
      for (int i = 0; i < l.in; ++i)
        d.weight_t[static_cast<std::size_t>(i) * l.out + o] =
            l.weight[static_cast<std::size_t>(o) * l.in + i];
    widest_ = std::max(widest_, l.out);
    width = l.out;
    layers_.push_back(std::move(d));
  }
  widest_ = std::max(widest_, obs_dim_);
}

void ActorForward::act(int rows, const float* obs, float* action, bool deterministic,
                       Rng* const* rngs) const {
  MFHRL_CHECK(!layers_.empty(), "ActorForward: no network");
  MFHRL_CHECK(deterministic || rngs != nullptr, "sampled actions need an Rng per row");
  const auto block = static_cast<std::size_t>(kRowBlock) * widest_;
  std::vector<float>& a = scratch_a_;
  std::vector<float>& b = scratch_b_;
  a.resize(block);
  b.resize(block);
  float eps[kMaxActDim];
  MFHRL_CHECK(act_dim_ <= kMaxActDim, "ActorForward: act_dim above " << kMaxActDim);
  for (int r0 = 0; r0 < rows; r0 += kRowBlock) {
    const int nb = std::min(kRowBlock, rows - r0);
    for (int r = 0; r < nb; ++r) {
      const float* o = obs + static_cast<std::ptrdiff_t>(r0 + r) * obs_dim_;
      float* x = a.data() + static_cast<std::ptrdiff_t>(r) * obs_dim_;
      for (int i = 0; i < obs_dim_; ++i) x[i] = (o[i] - mean_[i]) / std_[i];
    }
    float* in = a.data();
    float* out = b.data();
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const Dense& d = layers_[l];
      dense(d.weight_t.data(), d.bias.data(), d.in, d.out, nb, in, out, l + 1 < layers_.size());
      std::swap(in, out);
    }
    const int w = 2 * act_dim_;
    for (int r = 0; r < nb; ++r) {
      const float* y = in + static_cast<std::ptrdiff_t>(r) * w;
      float* act = action + static_cast<std::ptrdiff_t>(r0 + r) * act_dim_;
      if (deterministic) {
        for (int j = 0; j < act_dim_; ++j) act[j] = std::tanh(y[j]);
        continue;
      }
      Rng& rng = *rngs[r0 + r];
      for (int j = 0; j < act_dim_; ++j) eps[j] = static_cast<float>(rng.normal());
      for (int j = 0; j < act_dim_; ++j) {
        const float log_std =
            std::clamp(scale_ * y[act_dim_ + j] + offset_, kLogStdMin, kLogStdMax);
        act[j] = std::tanh(y[j] + std::exp(log_std) * eps[j]);
      }
    }
  }
}

}  // namespace mfhrl::learn
