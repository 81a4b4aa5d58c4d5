// H2O discriminators D_sa and D_sas for one level (see discriminator.h).
#include "mfhrl/learn/discriminator.h"

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

  // Logits of both classifiers; D_sa sees the (s, a) columns of x.
  std::pair<torch::Tensor, torch::Tensor> logits(const torch::Tensor& x) const {
    return {d_sa.ptr()->forward(x.slice(1, 0, spec.obs_dim + spec.act_dim)),
            d_sas.ptr()->forward(x)};
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
  const auto [l_sa, l_sas] = im.logits(x);
  const auto loss =
      torch::cross_entropy_loss(l_sa, labels) + torch::cross_entropy_loss(l_sas, labels);
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
  const auto [l_sa, l_sas] = im.logits(im.inputs(sim));
  // log w = log[D_sas(real)/D_sas(sim)] - log[D_sa(real)/D_sa(sim)]: softmax normalisers cancel.
  const auto log_w =
      (l_sas.select(1, 0) - l_sas.select(1, 1)) - (l_sa.select(1, 0) - l_sa.select(1, 1));
  if (!torch::isfinite(log_w).all().item<bool>()) throw NumericalError("non-finite dynamics ratio");
  const auto w = log_w.exp().clamp(im.spec.h2o.ratio_min, im.spec.h2o.ratio_max).contiguous();
  const float* p = w.data_ptr<float>();
  return std::vector<float>(p, p + w.numel());
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
