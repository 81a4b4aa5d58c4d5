// The typed run configuration: plain data with the defaults of DESIGN.md, constant after
// validation (config/load.h fills and validates it from YAML plus key=value overrides).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mfhrl {

// The offline datasets `mfhrl collect` makes, named as D4RL names them.
inline constexpr const char* kDatasetKinds = "random, medium, medium-replay or expert";
inline bool is_dataset_kind(const std::string& s) {
  return s == "random" || s == "medium" || s == "medium-replay" || s == "expert";
}

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
  // reference: last layer of every network Xavier-uniform with gain 1e-2 and zero bias, actor
  // log-std offset -1 (the CQL/H2O authors' code); torch: torch's default init, offset 0.
  std::string init = "reference";
};

struct OfflineConfig {
  int policies = 8;                        // L
  int steps = 10000;                       // CQL gradient steps per policy
  std::string bootstrap = "poisson";       // poisson | bernoulli:p
  std::string dataset;                     // D4RL-layout HDF5 file; empty: collect one first
  std::string obs_normalization = "none";  // none | dataset (mean/std of the offline data)
  int eval_every = 0;                      // evaluate each policy every this many steps (0: never)
};

struct OnlineConfig {
  int batch_transitions = 1000;      // n
  int updates_per_round = 100;       // H2O steps per policy per round
  int envs = 4;                      // environment instances a batch is split over
  std::string rollout = "thompson";  // thompson | map
  int buffer_capacity = 1000000;     // rows of each level's FIFO replay buffer
  std::string update = "h2o";        // h2o | cql (ablation: the offline data alone, sim unused)
};

struct CqlConfig {
  int actions = 10;
  double weight = 5.0;
  bool backup_entropy = false;  // -alpha log pi(a'|s') in the Bellman target (CQL code: off)
};

struct H2oConfig {
  double penalty = 0.01;             // weight of the conservative term on simulated Q
  std::string conservative = "gap";  // gap (H2O: logsumexp of Q + log omega) | sampled_actions
  int gap_samples = 10;              // resampled next states behind the dynamics gap u(s,a)
  std::string dynamics_ratio = "learned";  // learned | one (ablation: no dynamics correction)
  bool backup_entropy = false;  // -alpha log pi(a'|s') in the Bellman target (H2O code: off)
  double input_noise = 0.1;     // discriminator input noise std
  std::vector<int> disc_hidden = {256, 256};
  double disc_lr = 3e-4;
  int disc_steps_per_update = 1;  // discriminator steps per H2O update index (0: never trained)
  double ratio_min = 1e-5;
  double ratio_max = 1.0;
};

struct IgmConfig {
  int history = 8;                             // M
  double threshold_scale = 1.0;                // c_beta
  std::string threshold_budget = "remaining";  // remaining | spent
  // entropy_rate: beta_r = c_beta H(p_{r-1}) / Gamma_r, nats per cost unit like IG_k / (lambda_k
  // n); paper: beta_r = c_beta / sqrt(Gamma_r) (the paper's form, whose unit is cost^-1/2).
  std::string threshold = "entropy_rate";
};

// The generalized-Bayes posterior p(l) ∝ p(l) exp(-eta L_l(B)) (DESIGN §3.4).
struct PosteriorConfig {
  bool eta_auto = true;  // posterior.eta: auto -> calibrated after the offline phase
  double eta = 1.0;      // posterior.eta as a number (per unit of the loss statistic)
  // With eta auto: one online-sized batch of real data moves the policies' log-weights apart by
  // this many nats (the median over calibration batches of the std over policies of eta L_l).
  double step = 0.5;
  // Where eta auto is measured: offline (8 online-sized batches of the offline data, before the
  // first round) | first_batch (round 1's collected batch). return always uses first_batch.
  std::string calibrate = "offline";
  // posterior.loss: return: the actions the policies collect with, sampled (as every other
  // collection) | mean (the deterministic action evaluation uses).
  std::string return_actions = "sampled";
  // The statistic L_l(B): critic (importance-weighted Bellman error of policy l's critics on B) |
  // value (minus policy l's own value estimate min_j Q_j(s, mean action of pi_l(s)) over B's
  // states) | return (every policy collects its share of B, split_counts(n, L) rows in policy
  // order, and L_l is minus the mean reward of its share: a return measured on the level).
  std::string loss = "critic";
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
  PosteriorConfig posterior;
  int eval_episodes = 5;
  // Every policy (not only the MAP) is evaluated on the real system every this many rounds and in
  // the last round (0: the last round only); trace column policy_returns.
  int eval_all_every = 0;
  double reference_return = 0.0;  // J*; regret.reference_return
  int checkpoint_every = 1;
  int collect_steps = 10000;              // collect.steps: dataset size for `mfhrl collect`
  std::string collect_policy = "random";  // random | medium | medium-replay | expert
  int collect_sac_steps = 10000;          // SAC steps of the behaviour policy (medium: at most)
  double collect_medium_return = 3000.0;  // medium: stop SAC once its eval return reaches this
  int collect_eval_every = 5000;          // SAC steps between evaluations of the behaviour policy
  int collect_eval_episodes = 3;          // deterministic episodes per such evaluation
  int reference_sac_steps = 20000;        // SAC training steps for `mfhrl reference`

  int num_levels() const { return static_cast<int>(levels.size()); }
};

}  // namespace mfhrl
