#include "mfhrl/sim/env.h"

#include <mujoco/mujoco.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "mfhrl/core/error.h"

namespace mfhrl::sim {
namespace {

constexpr double kCtrlCostWeight = 0.1;
constexpr double kResetNoise = 0.1;

// MuJoCo's counters of bad numbers (it resets the state when it sees one).
int bad_number_warnings(const mjData* d) {
  return d->warning[mjWARN_BADQPOS].number + d->warning[mjWARN_BADQVEL].number +
         d->warning[mjWARN_BADQACC].number;
}

}  // namespace

Env::Env(std::shared_ptr<const LevelModel> level, std::uint64_t seed, std::uint64_t instance,
         int episode_steps)
    : level_(std::move(level)),
      rng_(seed, Stream::kEnvReset, instance),
      instance_(instance),
      episode_steps_(episode_steps) {
  MFHRL_CHECK(level_ != nullptr, "Env needs a level model");
  MFHRL_CHECK(episode_steps_ >= 1, "episode_steps must be >= 1, got " << episode_steps_);
  data_ = mj_makeData(level_->mj());
  MFHRL_CHECK(data_ != nullptr, "mj_makeData failed");
}

Env::~Env() {
  if (data_ != nullptr) mj_deleteData(data_);
}

Env::Env(Env&& other) noexcept
    : level_(std::move(other.level_)),
      data_(std::exchange(other.data_, nullptr)),
      rng_(other.rng_),
      instance_(other.instance_),
      episode_steps_(other.episode_steps_),
      step_(other.step_),
      live_(other.live_),
      physics_steps_(other.physics_steps_),
      bad_warnings_(other.bad_warnings_),
      applied_(other.applied_) {}

Env& Env::operator=(Env&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) mj_deleteData(data_);
    level_ = std::move(other.level_);
    data_ = std::exchange(other.data_, nullptr);
    rng_ = other.rng_;
    instance_ = other.instance_;
    episode_steps_ = other.episode_steps_;
    step_ = other.step_;
    live_ = other.live_;
    physics_steps_ = other.physics_steps_;
    bad_warnings_ = other.bad_warnings_;
    applied_ = other.applied_;
  }
  return *this;
}

Observation Env::reset() {
  const mjModel* m = level_->mj();
  mj_resetData(m, data_);
  // All uniforms first, then all normals: the order of the published reset.
  for (int i = 0; i < kNq; ++i)
    data_->qpos[i] = m->qpos0[i] + rng_.uniform(-kResetNoise, kResetNoise);
  for (int i = 0; i < kNv; ++i) data_->qvel[i] = kResetNoise * rng_.normal();
  mj_forward(m, data_);
  step_ = 0;
  live_ = true;
  applied_.fill(0.0);
  bad_warnings_ = bad_number_warnings(data_);
  Observation obs;
  observe(obs.data());
  return obs;
}

void Env::observe(float* obs) const {
  for (int i = 1; i < kNq; ++i) obs[i - 1] = static_cast<float>(data_->qpos[i]);
  for (int i = 0; i < kNv; ++i) obs[kNq - 1 + i] = static_cast<float>(data_->qvel[i]);
}

StepResult Env::step(const float* action, float* next_obs) {
  MFHRL_CHECK(live_, "Env::step on instance " << instance_ << " (level '" << level_->name()
                                              << "') without a live episode: call reset() first");
  const mjModel* m = level_->mj();
  const LevelConfig& cfg = level_->config();
  for (int j = 0; j < kActDim; ++j) {
    if (!std::isfinite(action[j])) {
      std::ostringstream os;
      os << "env instance " << instance_ << " (level '" << level_->name() << "'): action[" << j
         << "] = " << action[j] << " is not finite at episode step " << step_;
      throw NumericalError(os.str());
    }
  }
  // Noise is drawn only on noisy levels so noise-free levels keep their reset stream unchanged.
  double ctrl_sq = 0.0;
  for (int j = 0; j < kActDim; ++j) {
    double a = action[j];
    if (cfg.action_noise_std > 0.0) a += cfg.action_noise_std * rng_.normal();
    a = std::clamp(a, -1.0, 1.0);
    applied_[j] = a;
    data_->ctrl[j] = a;
    ctrl_sq += a * a;
  }
  const double x_before = data_->qpos[0];
  for (int s = 0; s < cfg.substeps; ++s) {
    mj_step(m, data_);
    ++physics_steps_;
  }
  check_physics();
  const double x_after = data_->qpos[0];

  StepResult r;
  r.reward = (x_after - x_before) / kControlPeriod - kCtrlCostWeight * ctrl_sq;
  ++step_;
  r.timeout = step_ >= episode_steps_;
  if (r.timeout) live_ = false;
  observe(next_obs);
  return r;
}

void Env::check_physics() {
  const int bad = bad_number_warnings(data_);
  if (bad == bad_warnings_) return;
  bad_warnings_ = bad;
  live_ = false;
  std::ostringstream os;
  os << "env instance " << instance_ << " (level '" << level_->name()
     << "'): MuJoCo found a non-finite or huge qpos/qvel/qacc at episode step " << step_
     << " (physics diverged; try more solver_iterations, a smaller timestep or integrator "
        "implicit)";
  throw NumericalError(os.str());
}

const double* Env::qpos() const {
  return data_->qpos;
}

const double* Env::qvel() const {
  return data_->qvel;
}

EnvState Env::state() const {
  EnvState s;
  s.qpos.assign(data_->qpos, data_->qpos + kNq);
  s.qvel.assign(data_->qvel, data_->qvel + kNv);
  s.qacc_warmstart.assign(data_->qacc_warmstart, data_->qacc_warmstart + kNv);
  s.time = data_->time;
  s.step = step_;
  s.live = live_;
  s.rng = rng_.state();
  return s;
}

void Env::set_state(const EnvState& s) {
  MFHRL_CHECK(s.qpos.size() == kNq && s.qvel.size() == kNv && s.qacc_warmstart.size() == kNv,
              "EnvState sizes qpos " << s.qpos.size() << ", qvel " << s.qvel.size()
                                     << ", qacc_warmstart " << s.qacc_warmstart.size()
                                     << "; expected 9 each");
  MFHRL_CHECK(s.step >= 0 && s.step <= episode_steps_,
              "EnvState step " << s.step << " outside [0, " << episode_steps_ << "]");
  mj_resetData(level_->mj(), data_);
  std::copy(s.qpos.begin(), s.qpos.end(), data_->qpos);
  std::copy(s.qvel.begin(), s.qvel.end(), data_->qvel);
  // mj_step reads only qpos, qvel, ctrl and the warm start, so this restores the dynamics exactly.
  std::copy(s.qacc_warmstart.begin(), s.qacc_warmstart.end(), data_->qacc_warmstart);
  data_->time = s.time;
  step_ = s.step;
  live_ = s.live;
  rng_.set_state(s.rng);
  bad_warnings_ = bad_number_warnings(data_);
}

}  // namespace mfhrl::sim
