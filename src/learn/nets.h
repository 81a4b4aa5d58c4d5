// Private torch helpers of the learn module: MLPs, a hand-written Adam with plain state, noise
// tensors from mfhrl::Rng, Transitions -> tensors, and TensorBlob conversion. Never installed.
#pragma once

#include <torch/torch.h>

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
// (S, rows, cols) for S streams: each policy's (rows, cols) normals from its own stream.
torch::Tensor normal_tensor(const std::vector<Rng*>& rngs, std::int64_t rows, std::int64_t cols);

// (rows, cols) uniforms in [lo, hi) drawn row-major from rng.
torch::Tensor uniform_tensor(Rng& rng, std::int64_t rows, std::int64_t cols, double lo, double hi);
// (S, rows, cols) for S streams, as normal_tensor.
torch::Tensor uniform_tensor(const std::vector<Rng*>& rngs, std::int64_t rows, std::int64_t cols,
                             double lo, double hi);

// A minibatch as float tensors, of one policy ((N, ...)) or of S policies stacked ((S, N, ...));
// done = terminal (timeouts still bootstrap).
struct Batch {
  torch::Tensor obs;       // ([S,] N, obs_dim)
  torch::Tensor act;       // ([S,] N, act_dim)
  torch::Tensor rew;       // ([S,] N)
  torch::Tensor next_obs;  // ([S,] N, obs_dim)
  torch::Tensor done;      // ([S,] N)
};

// One policy's minibatch: its rows in order (e.g. real, then simulated) and the standardisation
// of its observations, (x - mean) / std with obs_dim floats each (none when null).
struct BatchRows {
  std::vector<const Transitions*> parts;
  const float* obs_mean = nullptr;
  const float* obs_std = nullptr;
};
// The rows of one policy (stacked false: exactly one entry) or of several, stacked. Every policy
// must have the same number of rows, at least one. Built in one pass, without torch operations.
Batch make_batch(const std::vector<BatchRows>& policies, int obs_dim, int act_dim, bool stacked);
// One Transitions as a batch, observations as they are.
Batch to_batch(const Transitions& t, int obs_dim, int act_dim);

// Torch's CPU kernels run the elements of a contiguous loop in steps of two vectors (32 floats
// with AVX-512) and the remainder with the scalar function. The two can round differently
// (vectorised exp and tanh), so an element's bits depend on whether it falls in the remainder. A
// stacked update therefore takes only row counts that are whole kernel steps, so that each
// policy's part of a per-row tensor takes the path it takes alone. (The optimiser's elementwise
// work does not depend on it: optim.h.)
constexpr std::int64_t kKernelStep = 32;

// r[s] = beta r[s] + m1[s] m2[s] for every s of 3-D float tensors (S, rows, k) x (S, k, cols)
// into r (S, rows, cols), any strides: each slice is the one BLAS sgemm call that torch's own
// matrix product (addmm) makes for a 2-D slice with those strides, so it gets the same bits as an
// unstacked Linear layer, without torch's per-slice dispatch. Falls back to torch per slice
// where torch would not call BLAS.
void bmm_like_addmm(const torch::Tensor& r, const torch::Tensor& m1, const torch::Tensor& m2,
                    float beta);

// The Linear layers of an MLP as tensors: one policy's, as its modules hold them (weight (out,
// in), bias (out), the modules' own tensors), or S policies' stacked on a leading axis (weight
// (S, out, in), bias (S, 1, out)).
struct Net {
  std::vector<torch::Tensor> w, b;
};
// The Linear layers of net, in order.
Net net_of(const Mlp& net);

// The MLP n (Linear, ReLU, ..., Linear) as one autograd node, for x (N, in) alone or (S, N, in)
// stacked. Every product is the BLAS call of torch's own Linear, slice by slice
// (bmm_like_addmm): the forward's bias + x w^T, the backward's g w and, for the weight gradient,
// g^T x as torch's addmm backward computes it (not (x^T g)^T, which bmm's autograd would use;
// OpenBLAS can round the two differently). The ReLU and its derivative are exact (max(x, 0), and
// the gradient zeroed where the output is <= 0, as torch's relu_ and threshold_backward), done in
// place without torch operations; the bias gradient is torch's sum_to. So outputs and gradients
// are those of the layer-by-layer torch graph, bit for bit, with one node instead of two or three
// per layer and no torch view or copy operation on the way to BLAS. The weights must have the
// input's dimension (2-D alone, 3-D stacked).
torch::Tensor mlp_forward(const torch::Tensor& x, const Net& n);

// The same MLP on the rows [state_i, act_{i r + j}] for j < repeat, with state ([S,] B, ds) and
// act ([S,] B repeat, da), without the concatenation: the first layer's state columns are
// multiplied once per state (b + s W_s^T), and each action row adds its a W_a^T. It saves the
// repeated rows' state products of the forward and of the weight gradient (summed over a
// state's rows first). The results equal mlp_forward's on the concatenated rows up to the order
// of the sums (floating-point reassociation). Gradients reach the weights only: the inputs must
// not require one (CQL's penalty actions are sampled without a graph).
torch::Tensor mlp_forward_shared(const torch::Tensor& state, const torch::Tensor& act,
                                 std::int64_t repeat, const Net& n);

// CQL(H)'s critic passes over a state's 3N sampled actions: one pass over all of them while a
// policy's pass has at most this many activation floats (rows x the critics' widest layer), else
// one pass per source (uniform, pi(s), pi(s')). At 256 wide and batch 256 (1.97M floats) three
// passes ran 5-8% faster than one; at 64 wide and batch 256 (0.49M) one pass ran 2-4% faster
// (bench/README.md). Results differ between the two only by rounding. A variable so that tests
// can take either path at small sizes.
extern std::int64_t cql_one_pass_floats;

// Adam (the torch 1.13 formula) whose state is plain tensors so checkpoints can hold it. The
// parameters must be contiguous float tensors; step() updates them in place, element by element
// (optim.h), so a stack of policies' parameters gets each policy's own bits.
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

 private:
  std::vector<torch::Tensor> params_, m_, v_;
  std::int64_t step_ = 0;
  double lr_;
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
