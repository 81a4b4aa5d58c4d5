// One HalfCheetah environment at one fidelity level: no threads, no allocation in step().
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "mfhrl/core/rng.h"
#include "mfhrl/core/transitions.h"
#include "mfhrl/sim/level_model.h"

struct mjData_;

namespace mfhrl::sim {

inline constexpr int kNq = 9;  // rootx, rootz, rooty, six joints
inline constexpr int kNv = 9;

using Observation = std::array<float, kObsDim>;

struct StepResult {
  double reward = 0.0;
  bool terminal = false;  // HalfCheetah never terminates early
  bool timeout = false;   // true at the step that reaches the episode limit
};

// Everything that changes in an Env: restoring it continues the trajectory bit for bit.
struct EnvState {
  std::vector<double> qpos;            // (9,)
  std::vector<double> qvel;            // (9,)
  std::vector<double> qacc_warmstart;  // (9,) the solver's warm start, so restores are exact
  double time = 0.0;
  std::int64_t step = 0;  // control steps taken in the current episode
  bool live = false;      // an episode is in progress (reset done, no timeout yet)
  Rng::State rng{};
};

class Env {
 public:
  // `instance` is the global instance index: it keys the stream Rng(seed, kEnvReset, instance)
  // that draws reset states and action noise, and names the env in errors.
  Env(std::shared_ptr<const LevelModel> level, std::uint64_t seed, std::uint64_t instance,
      int episode_steps = 1000);
  // Frees this env's mjData; moves hand it over (EnvGroup keeps envs in a vector).
  ~Env();
  Env(Env&& other) noexcept;
  Env& operator=(Env&& other) noexcept;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  // Starts an episode: qpos = init + U(-0.1, 0.1), qvel = 0.1 N(0, 1); returns the observation.
  Observation reset();
  // Writes the current observation (qpos[1:] then qvel, as float) to obs[17].
  void observe(float* obs) const;
  // Applies action[6] for one control step and writes next_obs[17]. The action gets the level's
  // Gaussian noise, then is clipped to [-1, 1]; the control cost 0.1*sum(a^2) uses this applied
  // (noisy, clipped) action. Throws NumericalError on a non-finite action or state.
  StepResult step(const float* action, float* next_obs);

  // The applied action of the last step (after noise and clipping), (6,).
  const double* applied_action() const { return applied_.data(); }
  // Generalized positions (rootx, rootz, rooty, six joints), (9,).
  const double* qpos() const;
  // Generalized velocities, (9,).
  const double* qvel() const;
  // mj_step calls since construction (substeps per control step).
  std::uint64_t physics_steps() const { return physics_steps_; }
  // Control steps taken in the current episode.
  std::int64_t episode_step() const { return step_; }
  // True between reset() and the timeout; step() needs a live episode.
  bool live() const { return live_; }
  // The time limit of an episode, in control steps.
  int episode_steps() const { return episode_steps_; }
  // The global instance index this env was keyed by.
  std::uint64_t instance() const { return instance_; }
  // The shared model of this env's level.
  const LevelModel& level() const { return *level_; }

  // The reset/action-noise stream's state (evaluate() swaps in an episode stream this way).
  const Rng::State& rng_state() const { return rng_.state(); }
  // Replaces the reset/action-noise stream's state.
  void set_rng_state(const Rng::State& s) { rng_.set_state(s); }
  // Everything that changes, for checkpoints.
  EnvState state() const;
  // Restores a state from state(); throws InvariantError on wrong sizes.
  void set_state(const EnvState& s);

 private:
  void check_physics();

  std::shared_ptr<const LevelModel> level_;
  mjData_* data_ = nullptr;
  Rng rng_;
  std::uint64_t instance_ = 0;
  int episode_steps_ = 1000;
  std::int64_t step_ = 0;
  bool live_ = false;
  std::uint64_t physics_steps_ = 0;
  int bad_warnings_ = 0;  // MuJoCo's bad-number warning counters seen so far
  std::array<double, kActDim> applied_{};
};

}  // namespace mfhrl::sim
