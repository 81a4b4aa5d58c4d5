// The table of config keys: the one place each key's name, type, default, bounds and comment are
// written (see keys.h).
#include "keys.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace mfhrl::config::detail {

template <typename T>
std::string Key<T>::section() const {
  const auto dot = name.find('.');
  return dot == std::string::npos ? "" : name.substr(0, dot);
}

template <typename T>
std::string Key<T>::leaf() const {
  const auto dot = name.find('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

namespace {

constexpr long long kMaxSteps = 100000000;  // 1e8 gradient or env steps: weeks on one core

// `member` of a Config (or LevelConfig), for both reading and writing.
#define MFHRL_AT(member) \
  [](auto& c) -> auto& { \
    return c.member;     \
  }

template <typename T>
Key<T> base(std::string name, Type type, Value fallback, std::string comment) {
  Key<T> k;
  k.name = std::move(name);
  k.type = type;
  k.fallback = std::move(fallback);
  k.comment = std::move(comment);
  return k;
}

template <typename T = Config, typename At>
Key<T> integer(std::string name, At at, long long fallback, IntRange range, std::string comment) {
  Key<T> k = base<T>(std::move(name), Type::kInteger, fallback, std::move(comment));
  k.ints = std::move(range);
  k.get = [at](const T& c) { return Value(static_cast<long long>(at(c))); };
  k.set = [at](T& c, const Value& v) {
    auto& m = at(c);
    m = static_cast<std::remove_reference_t<decltype(m)>>(std::get<long long>(v));
  };
  return k;
}

template <typename T = Config, typename At>
Key<T> number(std::string name, At at, double fallback, NumRange range, std::string comment) {
  Key<T> k = base<T>(std::move(name), Type::kNumber, fallback, std::move(comment));
  k.nums = std::move(range);
  k.get = [at](const T& c) { return Value(static_cast<double>(at(c))); };
  k.set = [at](T& c, const Value& v) { at(c) = std::get<double>(v); };
  return k;
}

template <typename T = Config, typename At>
Key<T> boolean(std::string name, At at, bool fallback, std::string comment) {
  Key<T> k = base<T>(std::move(name), Type::kBoolean, fallback, std::move(comment));
  k.get = [at](const T& c) { return Value(static_cast<bool>(at(c))); };
  k.set = [at](T& c, const Value& v) { at(c) = std::get<bool>(v); };
  return k;
}

template <typename T = Config, typename At>
Key<T> text(std::string name, At at, std::string fallback, std::string comment) {
  Key<T> k = base<T>(std::move(name), Type::kText, std::move(fallback), std::move(comment));
  k.get = [at](const T& c) { return Value(std::string(at(c))); };
  k.set = [at](T& c, const Value& v) { at(c) = std::get<std::string>(v); };
  return k;
}

template <typename T = Config, typename At, typename E>
Key<T> choice(std::string name, At at, E fallback, std::string comment) {
  Key<T> k =
      base<T>(std::move(name), Type::kEnum, std::string(enum_name(fallback)), std::move(comment));
  for (const auto& [e, n] : EnumNames<E>::table) k.choices.emplace_back(n);
  k.expected = enum_choices<E>();
  k.get = [at](const T& c) { return Value(std::string(enum_name(at(c)))); };
  // The walk checked the name against `choices`, so this parse succeeds.
  k.set = [at](T& c, const Value& v) { parse_enum(std::get<std::string>(v), &at(c)); };
  return k;
}

template <typename T = Config, typename At>
Key<T> int_list(std::string name, At at, std::vector<int> fallback, std::string comment) {
  Key<T> k = base<T>(std::move(name), Type::kIntList, std::move(fallback), std::move(comment));
  k.get = [at](const T& c) { return Value(at(c)); };
  k.set = [at](T& c, const Value& v) { at(c) = std::get<std::vector<int>>(v); };
  return k;
}

// Modifiers of a built key.
template <typename T>
Key<T> required(Key<T> k, Need need = Need::kRequired) {
  k.need = need;
  return k;
}
template <typename T>
Key<T> noted(Key<T> k, std::string note) {
  k.note = std::move(note);
  return k;
}
template <typename T>
Key<T> added_later(Key<T> k) {
  k.added_later = true;
  return k;
}
template <typename T>
Key<T> expecting(Key<T> k, std::string expected) {
  k.expected = std::move(expected);
  return k;
}
template <typename T>
Key<T> checked(Key<T> k, std::function<bool(const std::string&)> valid, std::string expected) {
  k.valid = std::move(valid);
  k.expected = std::move(expected);
  return k;
}

std::function<bool(const std::string&)> one_of(std::vector<std::string> names) {
  return [names = std::move(names)](const std::string& s) {
    return std::find(names.begin(), names.end(), s) != names.end();
  };
}

NumRange any_number() {
  return {};
}
NumRange positive(std::string noun = "a number", std::string unit = "") {
  return {std::move(noun), 0, kInf, true, false, std::move(unit)};
}
NumRange nonnegative() {
  return {"a number", 0, kInf, false, false, ""};
}
// between("a discount", '[', 0, 1, ')'): 0 <= v < 1.
NumRange between(std::string noun, char open, double lo, double hi, char close) {
  return {std::move(noun), lo, hi, open == '(', close == ')', ""};
}

std::vector<Key<Config>> make_config_keys() {
  std::vector<Key<Config>> keys = {
      integer("seed", MFHRL_AT(seed), 0, {0, kNoUpperBound, ""},
              "the run's random seed; every random stream (bootstrap, networks, minibatches, "
              "environments) derives from it"),
      [] {
        Key<Config> k = base<Config>("threads", Type::kIntOrAuto, AutoOr{false, 1},
                                     "intra-op threads per process | auto (the cores a process is "
                                     "bound to, or the node's cores / ranks on the node when "
                                     "unbound). Only 1 is bit-identical across rank counts; more "
                                     "change the last bits");
        k.ints = {1, 256, "intra-op threads per process, or auto"};
        // auto is 0 inside (core resolve_threads).
        k.get = [](const Config& c) {
          return Value(AutoOr{c.threads == 0, static_cast<double>(c.threads)});
        };
        k.set = [](Config& c, const Value& v) {
          const auto& a = std::get<AutoOr>(v);
          c.threads = a.is_auto ? 0 : static_cast<int>(a.value);
        };
        return k;
      }(),
      required(
          text("strategy", MFHRL_AT(strategy), "igm", "igm | fixed:k | uniform | igm-nothreshold")),

      choice("fidelity.cost", MFHRL_AT(cost_mode), CostMode::kDeclared,
             "declared | measured (CPU time per transition, normalized to level K)"),
      [] {
        Key<Config> k = base<Config>("fidelity.levels", Type::kLevels, Value(),
                                     "k = 1..K, rising fidelity and cost; level K is the most "
                                     "faithful");
        k.expected = "a non-empty list of levels";
        return k;
      }(),
      noted(base<Config>("real", Type::kLevel, Value(), ""),
            "real: absent means the real system is level K. A mapping with the keys of a level "
            "(cost unused) makes a separate variant that no simulator matches."),

      integer("env.episode_steps", MFHRL_AT(episode_steps), 1000, {1, 1000000, ""},
              "time limit (a timeout, not a terminal)"),

      required(number("budget.total", MFHRL_AT(budget_total), 10000.0,
                      positive("a budget", " (cost units)"), "Gamma, in cost units")),

      integer("offline.policies", MFHRL_AT(offline.policies), 8,
              {1, 1024, "L; each policy is trained and evaluated every round"}, "L"),
      integer("offline.steps", MFHRL_AT(offline.steps), 10000,
              {0, kMaxSteps, "gradient steps per policy"}, "CQL gradient steps per policy"),
      // Its grammar is core's (parse_bootstrap, checked after the walk).
      text("offline.bootstrap", MFHRL_AT(offline.bootstrap), "poisson", "poisson | bernoulli:p"),
      text("offline.dataset", MFHRL_AT(offline.dataset), "",
           "D4RL-layout HDF5 file of the real system; rows ending in a timeout are dropped on "
           "load (their next observation is a reset)"),
      choice("offline.obs_normalization", MFHRL_AT(offline.obs_normalization),
             ObsNormalization::kNone,
             "none | dataset: actor and critic inputs standardised by the offline data's mean "
             "and std (CORL), saved with the policies"),
      integer("offline.eval_every", MFHRL_AT(offline.eval_every), 0,
              {0, kMaxSteps, "0: no evaluation"},
              "pretrain: eval.episodes real-system episodes of each policy every this many steps "
              "(0: none)"),

      integer("online.batch_transitions", MFHRL_AT(online.batch_transitions), 1000,
              {1, 1000000, "n; every rank holds each batch, 166 bytes a row"}, "n"),
      integer("online.updates_per_round", MFHRL_AT(online.updates_per_round), 100,
              {0, 1000000, "gradient steps per policy per round"},
              "H2O gradient steps per policy per round"),
      added_later(noted(
          choice("online.updates_per", MFHRL_AT(online.updates_per), UpdatesPer::kRound,
                 "round: online.updates_per_round H2O steps every round | cost: that many for a "
                 "round at the top level, scaled by the round's cost"),
          "cost: a coarse round of a tenth of the cost trains a tenth as long (rounded), so a "
          "unit of budget buys the same training at every level, and strategies differ only in "
          "where they collect (docs/RESULTS.md).")),
      // Also at most online.batch_transitions (checked after the walk).
      expecting(integer("online.envs", MFHRL_AT(online.envs), 4, {1, 4096, ""},
                        "environment instances a round's batch is split over"),
                "an integer in [1, min(online.batch_transitions, 4096)]"),
      choice("online.rollout", MFHRL_AT(online.rollout), RolloutPolicy::kThompson,
             "thompson | map"),
      // Also at least igm.history * online.batch_transitions (checked after the walk).
      integer("online.buffer_capacity", MFHRL_AT(online.buffer_capacity), 1000000,
              {1, 20000000, "rows per level, 166 bytes each"},
              "rows of each level's replay buffer (FIFO; >= igm.history * n)"),
      choice("online.update", MFHRL_AT(online.update), OnlineUpdate::kH2o,
             "h2o | cql (ablation: CQL on the offline data alone; the simulated data still "
             "drives the posterior but is not trained on)"),

      int_list("network.hidden", MFHRL_AT(network.hidden), {256, 256},
               "hidden layer widths of the actor and the critics"),
      number("network.actor_lr", MFHRL_AT(network.actor_lr), 3e-4, positive("a learning rate"),
             "Adam learning rate of the actor"),
      number("network.critic_lr", MFHRL_AT(network.critic_lr), 3e-4, positive("a learning rate"),
             "Adam learning rate of the critics"),
      number("network.alpha_lr", MFHRL_AT(network.alpha_lr), 3e-4, positive("a learning rate"),
             "Adam learning rate of the entropy temperature (log alpha)"),
      number("network.init_alpha", MFHRL_AT(network.init_alpha), 1.0, positive("a temperature"),
             "initial entropy temperature alpha"),
      integer("network.batch_size", MFHRL_AT(network.batch_size), 256, {2, 65536, ""},
              "rows per gradient step"),
      number("network.gamma", MFHRL_AT(network.gamma), 0.99, between("a discount", '[', 0, 1, ')'),
             "discount"),
      number("network.tau", MFHRL_AT(network.tau), 0.005, between("a number", '(', 0, 1, ']'),
             "Polyak rate of the target critics"),
      choice("network.init", MFHRL_AT(network.init), NetInit::kReference,
             "reference: last layers Xavier gain 1e-2, zero bias, actor log-std = m * raw + o "
             "with learnable m = 1, o = -1 (CQL/H2O code) | torch"),
      choice("network.inference", MFHRL_AT(network.inference), Inference::kTorch,
             "actions for rollouts and evaluation: torch (one torch forward per row, the bits of "
             "earlier builds) | plain (float loops over all of a step's rows, ~25x faster at "
             "64-64); both rank-count independent"),

      integer("cql.actions", MFHRL_AT(cql.actions), 10,
              {1, 1000, "each update evaluates the critics at 3 * actions per row"},
              "sampled actions per source (uniform, pi(s), pi(s'))"),
      number("cql.weight", MFHRL_AT(cql.weight), 5.0, nonnegative(),
             "weight of the conservative term"),
      boolean("cql.backup_entropy", MFHRL_AT(cql.backup_entropy), false,
              "subtract alpha log pi(a'|s') in the Bellman target (SAC does)"),

      number("h2o.penalty", MFHRL_AT(h2o.penalty), 0.01, nonnegative(),
             "weight of the conservative term"),
      choice("h2o.conservative", MFHRL_AT(h2o.conservative), Conservative::kGap,
             "gap: logsumexp over simulated rows of Q + log omega, omega ~ the dynamics gap "
             "u(s,a), minus mean Q on real rows (H2O) | sampled_actions: CQL(H) with cql.actions "
             "at the simulated states"),
      integer("h2o.gap_samples", MFHRL_AT(h2o.gap_samples), 10, {1, 1000, ""},
              "resampled next states s' ~ N(s', std^2) behind u(s,a)"),
      choice("h2o.dynamics_ratio", MFHRL_AT(h2o.dynamics_ratio), DynamicsRatio::kLearned,
             "learned (discriminators) | one (ablation: w = 1, omega uniform)"),
      boolean("h2o.backup_entropy", MFHRL_AT(h2o.backup_entropy), false,
              "as cql.backup_entropy, in the H2O update (H2O code: off)"),
      number("h2o.input_noise", MFHRL_AT(h2o.input_noise), 0.1, nonnegative(),
             "discriminator input noise std"),
      int_list("h2o.disc_hidden", MFHRL_AT(h2o.disc_hidden), {256, 256},
               "hidden layer widths of the discriminators"),
      number("h2o.disc_lr", MFHRL_AT(h2o.disc_lr), 3e-4, positive("a learning rate"),
             "Adam learning rate of the discriminators"),
      integer("h2o.disc_steps_per_update", MFHRL_AT(h2o.disc_steps_per_update), 1, {0, 100, ""},
              "discriminator steps per H2O update step, trained alongside"),
      // 0 < ratio_min <= ratio_max (checked after the walk).
      number("h2o.ratio_min", MFHRL_AT(h2o.ratio_min), 1e-5, any_number(),
             "the dynamics ratio w is clamped to [ratio_min, ratio_max]"),
      number("h2o.ratio_max", MFHRL_AT(h2o.ratio_max), 1.0, any_number(),
             "0 < ratio_min <= ratio_max"),
      added_later(noted(
          number("h2o.real_penalty", MFHRL_AT(h2o.real_penalty), 0.0, nonnegative(),
                 "weight of a CQL(H) term (cql.actions sampled actions) at the real rows' states; "
                 "0: none, as in the H2O code"),
          "Not in H2O: it keeps the offline phase's conservatism on the real data through the "
          "online phase (a CQL start loses it at the switch to H2O; docs/LEARNING.md).")),

      integer("igm.history", MFHRL_AT(igm.history), 8,
              {1, 1000, "M; every round re-evaluates every policy on K * M batches"}, "M"),
      number("igm.threshold_scale", MFHRL_AT(igm.threshold_scale), 1.0, nonnegative(), "c_beta"),
      // Its grammar is also core's (parse_threshold_budget).
      checked(text("igm.threshold_budget", MFHRL_AT(igm.threshold_budget), "remaining",
                   "remaining | spent: the budget figure Gamma_r inside beta_r"),
              one_of({"remaining", "spent"}), "remaining or spent"),
      noted(checked(text("igm.threshold", MFHRL_AT(igm.threshold), "entropy_rate", ""),
                    one_of({"entropy_rate", "paper"}), "entropy_rate or paper"),
            "The fallback to the top level: IG_k / (lambda_k n) is in nats per cost unit (IG in "
            "nats, lambda_k in cost units per transition). entropy_rate: beta_r = c_beta "
            "H(p_{r-1}) / Gamma_r, also nats per cost unit (the rate at which the budget left "
            "would resolve the posterior); paper: beta_r = c_beta / sqrt(Gamma_r), whose unit "
            "(cost^-1/2) is not that of IG per cost."),
      noted(choice("igm.trust", MFHRL_AT(igm.trust), LevelTrust::kNone, ""),
            "none | agreement | pooled: level k moves the posterior (and counts in IG_k) with "
            "eta * w_k, w_k in [0, 1] the rank agreement of its batches' statistic with the top "
            "level's: the mean over pairs of batches (agreement; an untested level gets 1) or "
            "of each level's batches summed (pooled; 0 until it and the top level have batches) "
            "(docs/LEARNING.md)"),
      // Needs igm.trust agreement or pooled when above 0 (checked after the walk).
      added_later(noted(
          number("igm.trust_explore", MFHRL_AT(igm.trust_explore), 0.0,
                 between("a bonus", '[', 0, 10, ']'),
                 "c: igm chooses a lower level as if its trust were min(1, w_k + c / "
                 "sqrt(m_k)), m_k its remembered batches; the posterior still uses w_k. 0: none"),
          "Not in the paper: optimism for a trust estimated on few batches, so that one noisy "
          "comparison does not lock a level out; a level that is only explored cannot move the "
          "posterior beyond its estimate (docs/LEARNING.md).")),

      noted(
          [] {
            Key<Config> k = base<Config>("posterior.eta", Type::kNumOrAuto, AutoOr{true, 1.0},
                                         "auto | a number > 0");
            k.nums = positive("auto or a learning rate eta");
            k.get = [](const Config& c) {
              return Value(AutoOr{c.posterior.eta_auto, c.posterior.eta});
            };
            // auto leaves posterior.eta as it is (calibrated after the offline phase).
            k.set = [](Config& c, const Value& v) {
              const auto& a = std::get<AutoOr>(v);
              c.posterior.eta_auto = a.is_auto;
              if (!a.is_auto) c.posterior.eta = a.value;
            };
            return k;
          }(),
          "p(l) ∝ p(l) exp(-eta L_l(B)); eta is per unit of the statistic L (posterior.loss), "
          "so a raw eta depends on rewards, gamma and training progress. auto: calibrated after "
          "the offline phase on online-sized batches of the offline data, so that one batch "
          "moves the policies' log-weights apart by `step` nats (one standard deviation over "
          "policies); printed and saved."),
      number("posterior.step", MFHRL_AT(posterior.step), 0.5,
             between("a number of nats", '(', 0, 100, ']'), "nats per batch, with eta: auto"),
      // return: n >= offline.policies and online.envs a multiple of it (checked after the walk).
      choice("posterior.loss", MFHRL_AT(posterior.loss), PosteriorLoss::kCritic,
             "critic (Bellman error of l's critics on B) | value (-l's own value estimate "
             "min_j Q_j(s, pi_l(s)) over B's states) | return (each policy collects n/L of B on "
             "its own env instances, which needs online.envs a multiple of L; L_l = -its mean "
             "reward per step; eta auto then always calibrates on the first batch)"),
      added_later(number("posterior.forget", MFHRL_AT(posterior.forget), 1.0,
                         between("a factor rho", '(', 0, 1, ']'),
                         "rho: the posterior is tempered to p^rho before each update, so a batch "
                         "r rounds old weighs rho^r (a memory of about 1 / (1 - rho) rounds); 1 "
                         "keeps every batch")),
      choice("posterior.calibrate", MFHRL_AT(posterior.calibrate), EtaCalibration::kOffline,
             "offline (before round 1) | first_batch (on round 1's batch)"),
      choice("posterior.return_actions", MFHRL_AT(posterior.return_actions),
             ReturnActions::kSampled, "with loss: return, collect with sampled | mean actions"),

      integer("eval.episodes", MFHRL_AT(eval_episodes), 5, {1, 1000, ""},
              "deterministic episodes of the deployed (MAP) policy per round"),
      integer("eval.all_every", MFHRL_AT(eval_all_every), 0, {0, 1000000, "0: the last round only"},
              "every policy on the real system every this many rounds and in the last round (0: "
              "the last round only): trace policy_returns"),

      number("regret.reference_return", MFHRL_AT(reference_return), 0.0, any_number(),
             "J*; compute it with `mfhrl reference`"),

      integer("checkpoint.every", MFHRL_AT(checkpoint_every), 1, {1, 1000000, ""},
              "rounds between checkpoints (the run file rewritten whole); the rounds between are "
              "appended in place"),

      integer("collect.steps", MFHRL_AT(collect_steps), 10000,
              {1, 20000000, "transitions, 166 bytes each"},
              "transitions `mfhrl collect` logs (medium-replay: the SAC buffer)"),
      checked(text("collect.policy", MFHRL_AT(collect_policy), "random",
                   "random | medium | medium-replay | expert (as D4RL makes them)"),
              is_dataset_kind, kDatasetKinds),
      integer("collect.sac_steps", MFHRL_AT(collect_sac_steps), 10000, {0, kMaxSteps, ""},
              "SAC steps of the behaviour policy (medium: at most)"),
      number("collect.medium_return", MFHRL_AT(collect_medium_return), 3000.0, any_number(),
             "medium / medium-replay: SAC stops once its eval return reaches it"),
      integer("collect.eval_every", MFHRL_AT(collect_eval_every), 5000, {1, kMaxSteps, ""},
              "SAC steps between evaluations of the behaviour policy"),
      integer("collect.eval_episodes", MFHRL_AT(collect_eval_episodes), 3, {1, 100, ""},
              "deterministic episodes per evaluation"),

      integer("reference.sac_steps", MFHRL_AT(reference_sac_steps), 20000, {0, kMaxSteps, ""},
              "SAC training steps for `mfhrl reference`"),
  };
  return keys;
}

std::vector<Key<LevelConfig>> make_level_keys() {
  using L = LevelConfig;
  std::vector<Key<L>> keys = {
      // Unique among the levels (checked after the walk).
      required(checked(
          text<L>("name", MFHRL_AT(name), "",
                  "unique; an override addresses the level by it, e.g. "
                  "fidelity.levels.coarse.cost=0.2"),
          [](const std::string& s) { return !s.empty(); }, "a non-empty name")),
      number<L>("gravity_scale", MFHRL_AT(gravity_scale), 1.0, positive(),
                "multiplies model gravity"),
      number<L>("friction_scale", MFHRL_AT(friction_scale), 1.0, positive(),
                "multiplies every geom's sliding friction"),
      number<L>("mass_scale", MFHRL_AT(mass_scale), 1.0, positive(),
                "multiplies every body's mass and inertia"),
      number<L>("damping_scale", MFHRL_AT(damping_scale), 1.0, positive(),
                "multiplies every joint's damping"),
      number<L>("action_noise_std", MFHRL_AT(action_noise_std), 0.0, nonnegative(),
                "Gaussian noise added to the action before clipping"),
      // timestep * substeps == 0.05 (checked after the walk).
      required(number<L>("timestep", MFHRL_AT(timestep), 0.01, positive("a timestep", " seconds"),
                         "MuJoCo timestep, seconds")),
      required(integer<L>("substeps", MFHRL_AT(substeps), 5, {1, 1000, ""},
                          "physics steps per control step; timestep * substeps == 0.05")),
      integer<L>("solver_iterations", MFHRL_AT(solver_iterations), 100, {1, 10000, ""},
                 "mjOption.iterations"),
      checked(text<L>("integrator", MFHRL_AT(integrator), "euler", "euler | rk4 | implicit"),
              one_of({"euler", "rk4", "implicit"}), "one of euler, rk4, implicit"),
      required(number<L>("cost", MFHRL_AT(cost), 1.0, positive("a cost"),
                         "lambda_k: cost of one transition, in cost units (unused in real)"),
               Need::kInLevels),
  };
  return keys;
}

#undef MFHRL_AT

std::string bound_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

bool in_range(const IntRange& r, long long v) {
  return v >= r.lo && v <= r.hi;
}

bool in_range(const NumRange& r, double v) {
  const bool lo_ok = r.lo_open ? v > r.lo : v >= r.lo;
  const bool hi_ok = r.hi_open ? v < r.hi : v <= r.hi;
  return lo_ok && hi_ok;
}

}  // namespace

const std::vector<Key<Config>>& config_keys() {
  static const std::vector<Key<Config>> keys = make_config_keys();
  return keys;
}

const std::vector<Key<LevelConfig>>& level_keys() {
  static const std::vector<Key<LevelConfig>> keys = make_level_keys();
  return keys;
}

const Key<Config>& config_key(const std::string& name) {
  for (const auto& k : config_keys()) {
    if (k.name == name) return k;
  }
  throw std::out_of_range("no config key '" + name + "'");
}

const std::vector<DefaultLevel>& default_levels() {
  // LevelConfig fields in order: name, gravity, friction, mass and damping scales, action noise,
  // timestep, substeps, solver iterations, integrator, cost.
  static const std::vector<DefaultLevel> levels = {
      {{"coarse", 0.9, 0.6, 1.2, 2.0, 0.1, 0.025, 2, 20, "euler", 0.1},
       "2 large physics steps per control step, a real dynamics gap"},
      {{"medium", 0.95, 0.8, 1.1, 1.5, 0.05, 0.0166666666666667, 3, 50, "euler", 0.3}, ""},
      {{"real", 1.0, 1.0, 1.0, 1.0, 0.0, 0.01, 5, 100, "euler", 1.0},
       "the published HalfCheetah model"},
  };
  return levels;
}

const char* const kTemplateHeader =
    "mfhrl default configuration: MuJoCo HalfCheetah at three fidelity levels.\n"
    "Every other config is merged over this one (maps merge key by key, lists replace), then "
    "key=value overrides from the command line are applied, e.g. `budget.total=500 "
    "network.hidden=[64,64]`.\n"
    "Generated from the key table in src/config/keys.cpp by scripts/gen-config.sh: edit the "
    "table, not this file.";

template <typename T>
bool in_bounds(const Key<T>& k, const Value& v) {
  switch (k.type) {
    case Type::kInteger:
      return in_range(k.ints, std::get<long long>(v));
    case Type::kNumber:
      return in_range(k.nums, std::get<double>(v));
    case Type::kIntOrAuto: {
      const auto& a = std::get<AutoOr>(v);
      return a.is_auto || in_range(k.ints, static_cast<long long>(a.value));
    }
    case Type::kNumOrAuto: {
      const auto& a = std::get<AutoOr>(v);
      return a.is_auto || in_range(k.nums, a.value);
    }
    case Type::kIntList: {
      const auto& l = std::get<std::vector<int>>(v);
      return !l.empty() && l.size() <= k.list.max_len &&
             *std::max_element(l.begin(), l.end()) <= k.list.max_value;
    }
    case Type::kText:
      return !k.valid || k.valid(std::get<std::string>(v));
    case Type::kEnum: {
      const auto& s = std::get<std::string>(v);
      return std::find(k.choices.begin(), k.choices.end(), s) != k.choices.end();
    }
    case Type::kBoolean:
    case Type::kLevels:
    case Type::kLevel:
      return true;
  }
  return true;
}

template <typename T>
std::string expected_text(const Key<T>& k) {
  if (!k.expected.empty()) return k.expected;
  switch (k.type) {
    case Type::kInteger:
    case Type::kIntOrAuto: {
      const IntRange& r = k.ints;
      std::string s = r.hi == kNoUpperBound ? "an integer >= " + std::to_string(r.lo)
                                            : "an integer in [" + std::to_string(r.lo) + ", " +
                                                  std::to_string(r.hi) + "]";
      return s + (r.why.empty() ? "" : " (" + r.why + ")");
    }
    case Type::kNumber:
    case Type::kNumOrAuto: {
      const NumRange& r = k.nums;
      std::string rel;
      if (r.lo > -kInf && r.hi < kInf) {
        rel = std::string(" in ") + (r.lo_open ? "(" : "[") + bound_text(r.lo) + ", " +
              bound_text(r.hi) + (r.hi_open ? ")" : "]");
      } else if (r.lo > -kInf) {
        rel = (r.lo_open ? " > " : " >= ") + bound_text(r.lo);
      } else if (r.hi < kInf) {
        rel = (r.hi_open ? " < " : " <= ") + bound_text(r.hi);
      }
      return r.noun + rel + r.unit;
    }
    case Type::kIntList:
      return "at most " + std::to_string(k.list.max_len) +
             " layers of widths <= " + std::to_string(k.list.max_value);
    case Type::kBoolean:
      return "true or false";
    case Type::kText:
    case Type::kEnum:
    case Type::kLevels:
    case Type::kLevel:
      return "a valid value";
  }
  return "a valid value";
}

template struct Key<Config>;
template struct Key<LevelConfig>;
template bool in_bounds(const Key<Config>&, const Value&);
template bool in_bounds(const Key<LevelConfig>&, const Value&);
template std::string expected_text(const Key<Config>&);
template std::string expected_text(const Key<LevelConfig>&);

}  // namespace mfhrl::config::detail
