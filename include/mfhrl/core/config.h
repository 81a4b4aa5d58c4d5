// The typed run configuration: plain data with the defaults of DESIGN.md, constant after
// validation (config/load.h fills and validates it from YAML plus key=value overrides).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mfhrl {

// One fidelity level (or the real system): a dynamics gap plus a compute setting.
struct LevelConfig {
  std::string name;
  double gravity_scale = 1.0;        // multiplies model gravity
  double friction_scale = 1.0;       // multiplies every geom's sliding friction
  double mass_scale = 1.0;           // multiplies every body's mass and inertia
  double damping_scale = 1.0;        // multiplies every joint's damping
  double action_noise_std = 0.0;     // Gaussian noise added to the action before clipping
  double timestep = 0.01;            // MuJoCo timestep, seconds
  int substeps = 5;                  // physics steps per control step; timestep*substeps == 0.05
  int solver_iterations = 100;       // mjOption.iterations
  std::string integrator = "euler";  // euler | rk4 | implicit
  double cost = 1.0;                 // lambda_k: cost of one transition
};

struct NetworkConfig {
  std::vector<int> hidden = {256, 256};  // hidden layer widths of actor and critics
  double actor_lr = 3e-4;
  double critic_lr = 3e-4;
  double alpha_lr = 3e-4;
  double init_alpha = 1.0;
  int batch_size = 256;
  double gamma = 0.99;
  double tau = 0.005;
};

struct OfflineConfig {
  int policies = 8;                   // L
  int steps = 10000;                  // CQL gradient steps per policy
  std::string bootstrap = "poisson";  // poisson | bernoulli:p
  std::string dataset;                // D4RL-layout HDF5 file; empty: collect one first
};

struct OnlineConfig {
  int batch_transitions = 1000;      // n
  int updates_per_round = 100;       // H2O steps per policy per round
  int envs = 4;                      // environment instances a batch is split over
  std::string rollout = "thompson";  // thompson | map
};

struct CqlConfig {
  int actions = 10;
  double weight = 5.0;
};

struct H2oConfig {
  double penalty = 0.01;     // CQL-style penalty on simulated Q
  double input_noise = 0.1;  // discriminator input noise std
  std::vector<int> disc_hidden = {256, 256};
  double disc_lr = 3e-4;
  int disc_steps_per_round = 100;
  double ratio_min = 1e-5;
  double ratio_max = 1.0;
};

struct IgmConfig {
  int history = 8;                             // M
  double threshold_scale = 1.0;                // c_beta
  std::string threshold_budget = "remaining";  // remaining | spent
};

struct Config {
  std::uint64_t seed = 0;
  std::string strategy = "igm";        // igm | fixed:k | uniform | igm-nothreshold
  std::vector<LevelConfig> levels;     // fidelity.levels, k = 1..K (index 0..K-1)
  std::string cost_mode = "declared";  // fidelity.cost: declared | measured
  bool real_is_separate = false;       // true when `real:` names its own variant
  LevelConfig real;                    // the real system (a copy of level K unless separate)
  int episode_steps = 1000;            // env.episode_steps: time limit of an episode
  double budget_total = 0.0;           // Gamma
  OfflineConfig offline;
  OnlineConfig online;
  NetworkConfig network;
  CqlConfig cql;
  H2oConfig h2o;
  IgmConfig igm;
  double posterior_eta = 1.0;
  int eval_episodes = 5;
  double reference_return = 0.0;  // J*; regret.reference_return
  int checkpoint_every = 1;
  int collect_steps = 10000;              // collect.steps: dataset size for `mfhrl collect`
  std::string collect_policy = "random";  // random | sac
  int collect_sac_steps = 10000;          // SAC training steps of the behaviour policy
  int reference_sac_steps = 20000;        // SAC training steps for `mfhrl reference`

  int num_levels() const { return static_cast<int>(levels.size()); }
};

}  // namespace mfhrl
