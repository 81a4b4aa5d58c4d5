// Private torch helpers of the learn module: MLPs, a hand-written Adam with plain state, noise
// tensors from mfhrl::Rng, Transitions -> tensors, and TensorBlob conversion. Never installed.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <string>
#include <vector>

#include "mfhrl/core/rng.h"
#include "mfhrl/core/tensor_blob.h"
#include "mfhrl/core/transitions.h"

namespace mfhrl::learn {

using Mlp = torch::nn::Sequential;

// Linear-ReLU-...-Linear: in -> hidden... -> out, torch default init from the global generator.
Mlp make_mlp(int in, const std::vector<int>& hidden, int out);

// dst <- src, parameter by parameter (target network initialisation).
void copy_params(const Mlp& dst, const Mlp& src);

// Turns gradients of a network's parameters on or off (critics are frozen in the actor loss).
void set_requires_grad(const Mlp& net, bool on);

// (rows, cols) standard normals drawn row-major from rng.
torch::Tensor normal_tensor(Rng& rng, std::int64_t rows, std::int64_t cols);

// (rows, cols) uniforms in [lo, hi) drawn row-major from rng.
torch::Tensor uniform_tensor(Rng& rng, std::int64_t rows, std::int64_t cols, double lo, double hi);

// A Transitions minibatch as float tensors; done = terminal (timeouts still bootstrap).
struct Batch {
  torch::Tensor obs;       // (N, obs_dim)
  torch::Tensor act;       // (N, act_dim)
  torch::Tensor rew;       // (N)
  torch::Tensor next_obs;  // (N, obs_dim)
  torch::Tensor done;      // (N)
};
Batch to_batch(const Transitions& t, int obs_dim, int act_dim);

// Torch's CPU kernels run the elements of a contiguous loop in steps of two vectors (32 floats
// with AVX-512) and the remainder with the scalar function. The two can round differently
// (vectorised exp and tanh, fused multiply-adds), so an element's bits depend on whether it falls
// in the remainder. A tensor that stacks S policies gives each policy's elements the path they
// take alone only when a policy's part is a whole number of steps; otherwise it is handled one
// policy's slice at a time (per_policy below).
constexpr std::int64_t kKernelStep = 32;

// For a tensor with a leading axis of `policies` stacked policies (0: not stacked): true when it
// must be processed slice by slice to give each policy its own bits (see kKernelStep).
inline bool per_policy(const torch::Tensor& t, std::int64_t policies) {
  return policies > 0 && (t.numel() / policies) % kKernelStep != 0;
}

// For a per_policy tensor: calls f(first, count) for runs of consecutive policies that an
// elementwise op may still process together. A run holds fewer than kKernelStep elements, so all
// of them take the scalar path, as each policy's elements do alone (temperatures, log-std scales,
// last-layer biases); policies of kKernelStep elements or more go one at a time.
template <typename F>
void for_policy_runs(const torch::Tensor& t, std::int64_t policies, F f) {
  const std::int64_t each = t.numel() / policies;
  const std::int64_t run = each < kKernelStep ? (kKernelStep - 1) / each : 1;
  for (std::int64_t s = 0; s < policies; s += run) f(s, std::min(run, policies - s));
}

// Adam (the torch 1.13 formula) whose state is plain tensors so checkpoints can hold it.
class Adam {
 public:
  Adam(std::vector<torch::Tensor> params, double lr);
  // Drops all gradients so the next backward starts from zero.
  void zero_grad();
  // One Adam step over every parameter with a gradient.
  void step();
  // Appends m, v and step under prefix ("critic_adam/m/3", ...).
  void put(TensorBlobs& out, const std::string& prefix) const;
  // Restores what put() wrote.
  void take(const TensorBlobs& in, const std::string& prefix);

  // The moments (one per parameter, in the parameters' order) and the step count, for stacking
  // several optimisers into one and back.
  const std::vector<torch::Tensor>& first_moments() const { return m_; }
  const std::vector<torch::Tensor>& second_moments() const { return v_; }
  std::int64_t steps() const { return step_; }
  // Copies m and v (shapes as first_moments()) and sets the step count.
  void set_state(const std::vector<torch::Tensor>& m, const std::vector<torch::Tensor>& v,
                 std::int64_t steps);
  // The parameters carry a leading axis of this many stacked policies: step() then gives every
  // policy the bits of its own optimiser (per_policy).
  void set_policies(std::int64_t policies) { policies_ = policies; }

 private:
  std::vector<torch::Tensor> params_, m_, v_;
  std::int64_t step_ = 0;
  double lr_;
  std::int64_t policies_ = 0;
};

// Appends tensor t (float32 or int64) as blob `name`.
void put_tensor(TensorBlobs& out, const std::string& name, const torch::Tensor& t);
// Copies blob `name` into dst; InputError when missing or when shape or dtype differ.
void take_tensor(const TensorBlobs& in, const std::string& name, const torch::Tensor& dst);
// Throws InputError unless `in` holds every blob of `like` with the same shape and dtype, so a
// bad checkpoint is refused before any tensor is overwritten.
void check_blobs(const TensorBlobs& in, const TensorBlobs& like);
// Every named parameter of net under prefix/.
void put_module(TensorBlobs& out, const std::string& prefix, const Mlp& net);
void take_module(const TensorBlobs& in, const std::string& prefix, const Mlp& net);
// The four state words of an Rng as an int64 blob.
void put_rng(TensorBlobs& out, const std::string& name, const Rng& rng);
void take_rng(const TensorBlobs& in, const std::string& name, Rng& rng);

// Throws NumericalError naming `what` when v is not finite.
void check_finite(double v, const char* what);

}  // namespace mfhrl::learn
