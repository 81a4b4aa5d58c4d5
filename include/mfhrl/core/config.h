// The typed run configuration: plain data with the defaults of DESIGN.md, constant after
// validation (config/load.h fills and validates it from YAML plus key=value overrides).
// The defaults below are those of the config key table (src/config/keys.cpp), which also writes
// configs/halfcheetah.yaml; a config test checks that a default Config holds the table's value
// of every key (the default levels are the table's only: `levels` starts empty here).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mfhrl {

// Enum-like keys are parsed once, into these types. EnumNames<E>::table lists each value with its
// YAML name, in the order the error message lists them; the schema, to_yaml and the log lines
// all read it.
template <typename E>
struct EnumNames;

#define MFHRL_ENUM_NAMES(E, N, ...)                                                 \
  template <>                                                                       \
  struct EnumNames<E> {                                                             \
    static constexpr std::array<std::pair<E, const char*>, N> table{{__VA_ARGS__}}; \
  }

enum class NetInit { kReference, kTorch };
MFHRL_ENUM_NAMES(NetInit, 2, {NetInit::kReference, "reference"}, {NetInit::kTorch, "torch"});
enum class Inference { kTorch, kPlain };
MFHRL_ENUM_NAMES(Inference, 2, {Inference::kTorch, "torch"}, {Inference::kPlain, "plain"});
enum class ObsNormalization { kNone, kDataset };
MFHRL_ENUM_NAMES(ObsNormalization, 2, {ObsNormalization::kNone, "none"},
                 {ObsNormalization::kDataset, "dataset"});
enum class RolloutPolicy { kThompson, kMap };
MFHRL_ENUM_NAMES(RolloutPolicy, 2, {RolloutPolicy::kThompson, "thompson"},
                 {RolloutPolicy::kMap, "map"});
enum class UpdatesPer { kRound, kCost };
MFHRL_ENUM_NAMES(UpdatesPer, 2, {UpdatesPer::kRound, "round"}, {UpdatesPer::kCost, "cost"});
enum class OnlineUpdate { kH2o, kCql };
MFHRL_ENUM_NAMES(OnlineUpdate, 2, {OnlineUpdate::kH2o, "h2o"}, {OnlineUpdate::kCql, "cql"});
enum class Conservative { kGap, kSampledActions };
MFHRL_ENUM_NAMES(Conservative, 2, {Conservative::kGap, "gap"},
                 {Conservative::kSampledActions, "sampled_actions"});
enum class DynamicsRatio { kLearned, kOne };
MFHRL_ENUM_NAMES(DynamicsRatio, 2, {DynamicsRatio::kLearned, "learned"},
                 {DynamicsRatio::kOne, "one"});
enum class PosteriorLoss { kCritic, kValue, kReturn };
MFHRL_ENUM_NAMES(PosteriorLoss, 3, {PosteriorLoss::kCritic, "critic"},
                 {PosteriorLoss::kValue, "value"}, {PosteriorLoss::kReturn, "return"});
enum class EtaCalibration { kOffline, kFirstBatch };
MFHRL_ENUM_NAMES(EtaCalibration, 2, {EtaCalibration::kOffline, "offline"},
                 {EtaCalibration::kFirstBatch, "first_batch"});
enum class ReturnActions { kSampled, kMean };
MFHRL_ENUM_NAMES(ReturnActions, 2, {ReturnActions::kSampled, "sampled"},
                 {ReturnActions::kMean, "mean"});
enum class LevelTrust { kNone, kAgreement, kPooled };
MFHRL_ENUM_NAMES(LevelTrust, 3, {LevelTrust::kNone, "none"}, {LevelTrust::kAgreement, "agreement"},
                 {LevelTrust::kPooled, "pooled"});
enum class CostMode { kDeclared, kMeasured };
MFHRL_ENUM_NAMES(CostMode, 2, {CostMode::kDeclared, "declared"}, {CostMode::kMeasured, "measured"});
#undef MFHRL_ENUM_NAMES

// The YAML name of v.
template <typename E>
const char* enum_name(E v) {
  for (const auto& [e, name] : EnumNames<E>::table) {
    if (e == v) return name;
  }
  return "?";
}

// The value named `text`; false when no value has that name.
template <typename E>
bool parse_enum(const std::string& text, E* out) {
  for (const auto& [e, name] : EnumNames<E>::table) {
    if (text == name) {
      *out = e;
      return true;
    }
  }
  return false;
}

// "a, b or c": the names, for an error message.
template <typename E>
std::string enum_choices() {
  std::string out;
  const auto& t = EnumNames<E>::table;
  for (std::size_t i = 0; i < t.size(); ++i) {
    out += i == 0 ? "" : (i + 1 == t.size() ? " or " : ", ");
    out += t[i].second;
  }
  return out;
}

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
  NetInit init = NetInit::kReference;
  // How the actor computes rollout and evaluation actions. Both give a row the same bits however
  // rows are batched, so results stay identical across rank counts. torch: one torch forward per
  // row (the bits of earlier builds); plain: plain float loops over all of a step's rows, 25-30x
  // the actions per second at 64-64, about 5x at 256-256 (bench/README.md), bits within ~1e-7.
  Inference inference = Inference::kTorch;
};

struct OfflineConfig {
  int policies = 8;                   // L
  int steps = 10000;                  // CQL gradient steps per policy
  std::string bootstrap = "poisson";  // poisson | bernoulli:p
  std::string dataset;                // D4RL-layout HDF5 file; empty: collect one first
  // none | dataset (mean/std of the offline data)
  ObsNormalization obs_normalization = ObsNormalization::kNone;
  int eval_every = 0;  // evaluate each policy every this many steps (0: never)
};

struct OnlineConfig {
  int batch_transitions = 1000;  // n
  int updates_per_round = 100;   // H2O steps per policy per round
  // round: updates_per_round every round | cost: updates_per_round per top-level round's cost,
  // scaled by the round's cost (core updates_for_cost)
  UpdatesPer updates_per = UpdatesPer::kRound;
  int envs = 4;  // environment instances a batch is split over
  RolloutPolicy rollout = RolloutPolicy::kThompson;
  int buffer_capacity = 1000000;  // rows of each level's FIFO replay buffer
  // h2o | cql (ablation: the offline data alone, sim unused)
  OnlineUpdate update = OnlineUpdate::kH2o;
};

struct CqlConfig {
  int actions = 10;
  double weight = 5.0;
  bool backup_entropy = false;  // -alpha log pi(a'|s') in the Bellman target (CQL code: off)
};

struct H2oConfig {
  double penalty = 0.01;  // weight of the conservative term on simulated Q
  // gap (H2O: logsumexp of Q + log omega) | sampled_actions
  Conservative conservative = Conservative::kGap;
  int gap_samples = 10;  // resampled next states behind the dynamics gap u(s,a)
  // learned | one (ablation: no dynamics correction)
  DynamicsRatio dynamics_ratio = DynamicsRatio::kLearned;
  bool backup_entropy = false;  // -alpha log pi(a'|s') in the Bellman target (H2O code: off)
  double input_noise = 0.1;     // discriminator input noise std
  std::vector<int> disc_hidden = {256, 256};
  double disc_lr = 3e-4;
  int disc_steps_per_update = 1;  // discriminator steps per H2O update index (0: never trained)
  double ratio_min = 1e-5;
  double ratio_max = 1.0;
  // Weight of a CQL(H) term at the real rows' states (0: none, as in the H2O code).
  double real_penalty = 0.0;
};

struct IgmConfig {
  int history = 8;                             // M
  double threshold_scale = 1.0;                // c_beta
  std::string threshold_budget = "remaining";  // remaining | spent
  // entropy_rate: beta_r = c_beta H(p_{r-1}) / Gamma_r, nats per cost unit like IG_k / (lambda_k
  // n); paper: beta_r = c_beta / sqrt(Gamma_r) (the paper's form, whose unit is cost^-1/2).
  std::string threshold = "entropy_rate";
  // none | agreement | pooled: level k's batches move the posterior (and count in IG_k) with
  // eta * w_k, w_k the clamped rank agreement of its statistic with the top level's: the mean over
  // pairs of batches (core level_trust) or of the batches summed per level, pessimistic until
  // compared (level_trust_pooled).
  LevelTrust trust = LevelTrust::kNone;
  // c: igm chooses a lower level with trust min(1, w_k + c / sqrt(m_k)), m_k its remembered
  // batches, while the posterior keeps w_k (core optimistic_trust). 0: choose with w_k.
  double trust_explore = 0.0;
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
  EtaCalibration calibrate = EtaCalibration::kOffline;
  // posterior.loss: return: the actions the policies collect with, sampled (as every other
  // collection) | mean (the deterministic action evaluation uses).
  ReturnActions return_actions = ReturnActions::kSampled;
  // The statistic L_l(B): critic (importance-weighted Bellman error of policy l's critics on B) |
  // value (minus policy l's own value estimate min_j Q_j(s, mean action of pi_l(s)) over B's
  // states) | return (every policy collects its share of B, split_counts(n, L) rows in policy
  // order, and L_l is minus the mean reward of its share: a return measured on the level).
  PosteriorLoss loss = PosteriorLoss::kCritic;
  // rho in (0, 1]: before each update the posterior is tempered to p^rho (core temper_posterior),
  // so a batch r rounds old weighs rho^r; 1 keeps every batch (the method as published).
  double forget = 1.0;
};

struct Config {
  std::uint64_t seed = 0;
  std::string strategy = "igm";              // igm | fixed:k | uniform | igm-nothreshold
  std::vector<LevelConfig> levels;           // fidelity.levels, k = 1..K (index 0..K-1)
  CostMode cost_mode = CostMode::kDeclared;  // fidelity.cost: declared | measured
  bool real_is_separate = false;             // true when `real:` names its own variant
  LevelConfig real;                          // the real system (a copy of level K unless separate)
  int episode_steps = 1000;                  // env.episode_steps: time limit of an episode
  double budget_total = 10000.0;             // Gamma (budget.total)
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
  // Intra-op (torch/OpenBLAS) threads per process; 0 = auto (see resolve_threads). Only 1 is
  // bit-identical across rank counts (more change the last bits of updates at the demo's sizes).
  int threads = 1;
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
