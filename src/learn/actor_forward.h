// The actor's inference path in plain C++: a float copy of the network evaluated one row at a
// time in a fixed order, so row i's action is bit-identical whether it is computed alone or with
// any number of other rows (torch's GEMM kernels change a row's bits with the batch size, and a
// rank's batch size depends on the rank count). Private to the learn module; torch-free.
#pragma once

#include <vector>

#include "mfhrl/core/rng.h"

namespace mfhrl::learn {

class ActorForward {
 public:
  // One Linear layer as torch stores it: weight (out x in, row-major) and bias (out).
  struct Layer {
    int in = 0, out = 0;
    std::vector<float> weight, bias;
  };

  ActorForward() = default;
  // layers: Linear-ReLU-...-Linear with a last layer of 2 * act_dim outputs (mean, raw log std);
  // log_std = clamp(scale * raw + offset, -20, 2); inputs are (obs - mean) / std.
  ActorForward(const std::vector<Layer>& layers, float log_std_scale, float log_std_offset,
               std::vector<float> obs_mean, std::vector<float> obs_std);

  // rows x obs_dim observations -> rows x act_dim actions in [-1, 1]: tanh of the mean, or of
  // mean + exp(log_std) * eps with eps = act_dim normals drawn from *rngs[i] for row i. Uses
  // scratch buffers of the object: one caller at a time.
  void act(int rows, const float* obs, float* action, bool deterministic, Rng* const* rngs) const;

  int obs_dim() const { return obs_dim_; }
  int act_dim() const { return act_dim_; }

 private:
  // Stored transposed (in x out) so the inner loop runs over outputs, contiguous in memory.
  struct Dense {
    int in = 0, out = 0;
    std::vector<float> weight_t, bias;
  };
  std::vector<Dense> layers_;
  float scale_ = 1.0f, offset_ = 0.0f;
  std::vector<float> mean_, std_;
  int obs_dim_ = 0, act_dim_ = 0, widest_ = 0;
  // Activations of one block of rows, kept between calls (act is not reentrant).
  mutable std::vector<float> scratch_a_, scratch_b_;
};

}  // namespace mfhrl::learn
