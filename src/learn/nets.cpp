// Torch helpers shared by the agent and the discriminator (see nets.h).
#include "nets.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
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

torch::Tensor normal_tensor(Rng& rng, std::int64_t rows, std::int64_t cols) {
  std::vector<float> buf(static_cast<std::size_t>(rows * cols));
  for (auto& x : buf) x = static_cast<float>(rng.normal());
  return torch::from_blob(buf.data(), {rows, cols}, torch::kFloat32).clone();
}

torch::Tensor uniform_tensor(Rng& rng, std::int64_t rows, std::int64_t cols, double lo, double hi) {
  std::vector<float> buf(static_cast<std::size_t>(rows * cols));
  for (auto& x : buf) x = static_cast<float>(rng.uniform(lo, hi));
  return torch::from_blob(buf.data(), {rows, cols}, torch::kFloat32).clone();
}

namespace {
// Copies a float column into a new tensor of the given shape.
torch::Tensor from_floats(const std::vector<float>& v, std::vector<std::int64_t> shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}
}  // namespace

Batch to_batch(const Transitions& t, int obs_dim, int act_dim) {
  t.check_consistent();
  MFHRL_CHECK(t.obs_dim == obs_dim && t.act_dim == act_dim,
              "minibatch dims (" << t.obs_dim << ", " << t.act_dim << ") differ from the agent's ("
                                 << obs_dim << ", " << act_dim << ")");
  MFHRL_CHECK(!t.empty(), "empty minibatch");
  const auto n = static_cast<std::int64_t>(t.size());
  Batch b;
  b.obs = from_floats(t.obs, {n, obs_dim});
  b.act = from_floats(t.act, {n, act_dim});
  b.rew = from_floats(t.rew, {n});
  b.next_obs = from_floats(t.next_obs, {n, obs_dim});
  std::vector<float> done(t.terminal.begin(), t.terminal.end());
  b.done = from_floats(done, {n});
  return b;
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
