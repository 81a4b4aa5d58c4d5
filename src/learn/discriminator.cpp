// H2O discriminators D_sa and D_sas for one level (see discriminator.h).
#include "mfhrl/learn/discriminator.h"

#include <cstring>

#include "mfhrl/core/error.h"
#include "nets.h"

namespace mfhrl::learn {

struct Discriminator::Impl {
  AgentSpec spec;
  Mlp d_sa, d_sas;
  std::unique_ptr<Adam> opt;
  Rng noise;

  Impl(const AgentSpec& s, std::uint64_t seed, std::uint64_t level)
      : spec(s), noise(seed, Stream::kDiscriminator, level) {
    validate(spec);
    // Sub-key 1 keeps the weight stream apart from the input-noise stream (sub-key 0).
    torch::manual_seed(stream_key(seed, Stream::kDiscriminator, level, 1));
    d_sa = make_mlp(spec.obs_dim + spec.act_dim, spec.h2o.disc_hidden, 2);
    d_sas = make_mlp(2 * spec.obs_dim + spec.act_dim, spec.h2o.disc_hidden, 2);
    auto params = d_sa->parameters();
    for (const auto& p : d_sas->parameters()) params.push_back(p);
    opt = std::make_unique<Adam>(params, spec.h2o.disc_lr);
  }

  // Rows (s, a, s') of t as one (N, 2 obs + act) tensor.
  torch::Tensor inputs(const Transitions& t) const {
    const Batch b = to_batch(t, spec.obs_dim, spec.act_dim);
    return torch::cat({b.obs, b.act, b.next_obs}, 1);
  }

  // Bounded logits 2 tanh(.) of both classifiers; D_sa sees the (s, a) columns of x. The second
  // is the joint classifier's: D_sas + D_sa, so its softmax is P(real | s, a, s').
  std::pair<torch::Tensor, torch::Tensor> logits(const torch::Tensor& x) const {
    const auto sa =
        2.0 * torch::tanh(mlp_forward(x.slice(1, 0, spec.obs_dim + spec.act_dim), net_of(d_sa)));
    const auto sas = 2.0 * torch::tanh(mlp_forward(x, net_of(d_sas)));
    return {sa, sas + sa};
  }

  // log P_real/P_sim(s'|s,a) per row of x: log[p_joint(real)/p_joint(sim)] - log[p_sa(real)/
  // p_sa(sim)], where the D_sa terms cancel, leaving D_sas's logit difference (within +-4).
  torch::Tensor log_ratio(const torch::Tensor& x) const {
    const auto [l_sa, l_joint] = logits(x);
    return (l_joint.select(1, 0) - l_joint.select(1, 1)) - (l_sa.select(1, 0) - l_sa.select(1, 1));
  }
};

Discriminator::Discriminator(const AgentSpec& spec, std::uint64_t seed, std::uint64_t level)
    : impl_(std::make_unique<Impl>(spec, seed, level)) {}
Discriminator::~Discriminator() = default;
Discriminator::Discriminator(Discriminator&&) noexcept = default;
Discriminator& Discriminator::operator=(Discriminator&&) noexcept = default;

double Discriminator::train_step(const Transitions& real_mb, const Transitions& sim_mb) {
  auto& im = *impl_;
  const auto xr = im.inputs(real_mb), xs = im.inputs(sim_mb);
  auto x = torch::cat({xr, xs});
  const double sd = im.spec.h2o.input_noise;
  if (sd > 0.0) x = x + sd * normal_tensor(im.noise, x.size(0), x.size(1));
  const auto labels = torch::cat(
      {torch::zeros({xr.size(0)}, torch::kInt64), torch::ones({xs.size(0)}, torch::kInt64)});
  // As the H2O code: D_sa on its own logits, D_sas through the joint logits (D_sa not detached).
  const auto [l_sa, l_joint] = im.logits(x);
  const auto loss =
      torch::cross_entropy_loss(l_sa, labels) + torch::cross_entropy_loss(l_joint, labels);
  const double v = loss.item<double>();
  check_finite(v, "discriminator loss");
  im.opt->zero_grad();
  loss.backward();
  im.opt->step();
  return v;
}

std::vector<float> Discriminator::dynamics_ratio(const Transitions& sim) const {
  torch::NoGradGuard no_grad;
  const auto& im = *impl_;
  const auto log_w = im.log_ratio(im.inputs(sim));
  if (!torch::isfinite(log_w).all().item<bool>()) throw NumericalError("non-finite dynamics ratio");
  const auto w = log_w.exp().clamp(im.spec.h2o.ratio_min, im.spec.h2o.ratio_max).contiguous();
  const float* p = w.data_ptr<float>();
  return std::vector<float>(p, p + w.numel());
}

SimRowWeights Discriminator::row_weights(const Transitions& sim,
                                         const std::vector<float>& next_state_std, int samples,
                                         Rng& rng) const {
  torch::NoGradGuard no_grad;
  const auto& im = *impl_;
  MFHRL_CHECK(next_state_std.size() == static_cast<std::size_t>(im.spec.obs_dim),
              "row_weights: " << next_state_std.size() << " std entries for " << im.spec.obs_dim
                              << " observation dims");
  MFHRL_CHECK(samples >= 1, "row_weights: samples " << samples);
  SimRowWeights out;
  out.ratio = dynamics_ratio(sim);
  // u(s,a) = mean over `samples` next states s'' ~ N(s', std^2) of log P_sim/P_real(s''|s,a),
  // clamped to [1e-45, 10] (the H2O code's dynamics gap).
  const auto x = im.inputs(sim).repeat_interleave(samples, 0);
  const std::int64_t rows = x.size(0), o = im.spec.obs_dim, sa = o + im.spec.act_dim;
  const auto std_t = torch::tensor(next_state_std, torch::kFloat32);
  const auto noisy = x.clone();
  noisy.slice(1, sa, sa + o).add_(normal_tensor(rng, rows, o) * std_t);
  const auto u = (-im.log_ratio(noisy)).view({-1, samples}).mean(1).clamp(1e-45, 10.0).contiguous();
  if (!torch::isfinite(u).all().item<bool>()) throw NumericalError("non-finite dynamics gap");
  const float* p = u.data_ptr<float>();
  out.gap.assign(p, p + u.numel());
  return out;
}

std::vector<float> Discriminator::parameters() const {
  std::vector<float> out;
  for (const Mlp* net : {&impl_->d_sa, &impl_->d_sas}) {
    for (const auto& p : (*net)->parameters()) {
      MFHRL_CHECK(p.is_contiguous(), "Discriminator::parameters: a non-contiguous parameter");
      const float* d = p.data_ptr<float>();
      out.insert(out.end(), d, d + p.numel());
    }
  }
  return out;
}

void Discriminator::set_parameters(const std::vector<float>& flat) {
  std::size_t at = 0;
  for (const Mlp* net : {&impl_->d_sa, &impl_->d_sas}) {
    for (auto& p : (*net)->parameters()) {
      const auto n = static_cast<std::size_t>(p.numel());
      MFHRL_CHECK(at + n <= flat.size(), "set_parameters: " << flat.size() << " values, too few");
      MFHRL_CHECK(p.is_contiguous(), "set_parameters: a non-contiguous parameter");
      // In place without a torch operation: the tensors and their autograd state stay as they are.
      std::memcpy(p.data_ptr<float>(), flat.data() + at, n * sizeof(float));
      at += n;
    }
  }
  MFHRL_CHECK(at == flat.size(), "set_parameters: " << flat.size() << " values for " << at);
}

TensorBlobs Discriminator::state() const {
  const auto& im = *impl_;
  TensorBlobs out;
  put_module(out, "d_sa", im.d_sa);
  put_module(out, "d_sas", im.d_sas);
  im.opt->put(out, "adam");
  put_rng(out, "noise_rng", im.noise);
  return out;
}

void Discriminator::load_state(const TensorBlobs& blobs) {
  check_blobs(blobs, state());
  auto& im = *impl_;
  take_module(blobs, "d_sa", im.d_sa);
  take_module(blobs, "d_sas", im.d_sas);
  im.opt->take(blobs, "adam");
  take_rng(blobs, "noise_rng", im.noise);
}

}  // namespace mfhrl::learn
