// The schema of a config file: every key, its default (from the merged built-in YAML) and its
// range.
#include <algorithm>
#include <cmath>
#include <set>

#include "mfhrl/core/error.h"
#include "mfhrl/core/footprint.h"
#include "validate.h"
#include "yaml_fields.h"

namespace mfhrl::config::detail {
namespace {

void require(Fields& f, const std::string& key, bool ok, const std::string& expected) {
  if (!ok) f.fail(key, expected, f.node()[key]);
}

// An integer key in [lo, hi], checked before it narrows to int. `why` says what the upper bound
// protects (memory or time), so a user who hits it knows what to change.
int bounded(Fields& f, const std::string& key, long long fallback, long long lo, long long hi,
            const std::string& why, bool required = false) {
  const long long v = f.integer(key, fallback, required);
  if (v < lo || v > hi) {
    f.fail(key,
           "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]" +
               (why.empty() ? "" : " (" + why + ")"),
           f.node()[key]);
  }
  return static_cast<int>(v);
}

// An enum-like key: its text, parsed once into E; anything else fails naming the choices.
template <typename E>
E choice(Fields& f, const std::string& key, E fallback) {
  E out = fallback;
  if (!parse_enum(f.text(key, enum_name(fallback)), &out)) {
    f.fail(key, enum_choices<E>(), f.node()[key]);
  }
  return out;
}

constexpr long long kMaxSteps = 100000000;  // 1e8 gradient or env steps: weeks on one core

LevelConfig read_level(const YAML::Node& node, const std::string& path, const std::string& source,
                       bool needs_cost) {
  Fields f(node, path, source);
  LevelConfig l;
  l.name = f.text("name", "", true);
  require(f, "name", !l.name.empty(), "a non-empty name");
  l.gravity_scale = f.number("gravity_scale", 1.0);
  require(f, "gravity_scale", l.gravity_scale > 0, "a number > 0");
  l.friction_scale = f.number("friction_scale", 1.0);
  require(f, "friction_scale", l.friction_scale > 0, "a number > 0");
  l.mass_scale = f.number("mass_scale", 1.0);
  require(f, "mass_scale", l.mass_scale > 0, "a number > 0");
  l.damping_scale = f.number("damping_scale", 1.0);
  require(f, "damping_scale", l.damping_scale > 0, "a number > 0");
  l.action_noise_std = f.number("action_noise_std", 0.0);
  require(f, "action_noise_std", l.action_noise_std >= 0, "a number >= 0");
  l.timestep = f.number("timestep", 0.01, true);
  require(f, "timestep", l.timestep > 0, "a timestep > 0 seconds");
  l.substeps = bounded(f, "substeps", 5, 1, 1000, "", true);
  require(f, "timestep", std::fabs(l.timestep * l.substeps - 0.05) < 1e-6,
          "timestep * substeps == 0.05 s (the control period); substeps is " +
              std::to_string(l.substeps));
  l.solver_iterations = bounded(f, "solver_iterations", 100, 1, 10000, "");
  l.integrator = f.text("integrator", "euler");
  require(f, "integrator",
          l.integrator == "euler" || l.integrator == "rk4" || l.integrator == "implicit",
          "one of euler, rk4, implicit");
  l.cost = f.number("cost", 1.0, needs_cost);
  require(f, "cost", l.cost > 0, "a cost > 0");
  f.finish();
  return l;
}

std::vector<LevelConfig> read_levels(Fields& fid, const std::string& source) {
  const YAML::Node levels = fid.sequence("levels", "a non-empty list of levels");
  std::vector<LevelConfig> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const std::string path = "fidelity.levels[" + std::to_string(i) + "]";
    out.push_back(read_level(levels[i], path, source, true));
    if (!names.insert(out.back().name).second) {
      throw InputError(source + ": key '" + path + ".name': level name '" + out.back().name +
                       "' is used twice");
    }
  }
  return out;
}

}  // namespace

Config config_from_yaml(const YAML::Node& root, const std::string& source) {
  Config c;
  Fields top(root, "", source);
  const long long seed = top.integer("seed", 0);
  require(top, "seed", seed >= 0, "an integer >= 0");
  c.seed = static_cast<std::uint64_t>(seed);
  c.strategy = top.text("strategy", c.strategy, true);
  if (top.has("threads") && top.node()["threads"].IsScalar() &&
      top.node()["threads"].Scalar() == "auto") {
    top.text("threads", "auto");
    c.threads = 0;
  } else {
    c.threads = bounded(top, "threads", c.threads, 1, 256, "intra-op threads per process, or auto");
  }

  Fields fid(top.child("fidelity"), "fidelity", source);
  c.cost_mode = choice(fid, "cost", CostMode::kDeclared);
  c.levels = read_levels(fid, source);
  fid.finish();

  c.real = c.levels.back();
  if (top.has("real")) {
    c.real = read_level(top.child("real"), "real", source, false);
    c.real_is_separate = true;
  } else {
    top.child("real");
  }

  Fields env(top.child("env"), "env", source);
  c.episode_steps = bounded(env, "episode_steps", 1000, 1, 1000000, "");
  env.finish();

  Fields budget(top.child("budget"), "budget", source);
  c.budget_total = budget.number("total", 0.0, true);
  require(budget, "total", c.budget_total > 0, "a budget > 0 (cost units)");
  budget.finish();

  Fields off(top.child("offline"), "offline", source);
  c.offline.policies =
      bounded(off, "policies", 8, 1, 1024, "L; each policy is trained and evaluated every round");
  c.offline.steps = bounded(off, "steps", 10000, 0, kMaxSteps, "gradient steps per policy");
  c.offline.bootstrap = off.text("bootstrap", "poisson");
  c.offline.dataset = off.text("dataset", "");
  c.offline.obs_normalization = choice(off, "obs_normalization", c.offline.obs_normalization);
  c.offline.eval_every =
      bounded(off, "eval_every", c.offline.eval_every, 0, kMaxSteps, "0: no evaluation");
  off.finish();

  Fields on(top.child("online"), "online", source);
  c.online.batch_transitions = bounded(on, "batch_transitions", 1000, 1, 1000000,
                                       "n; every rank holds each batch, 166 bytes a row");
  c.online.updates_per_round =
      bounded(on, "updates_per_round", 100, 0, 1000000, "gradient steps per policy per round");
  c.online.envs = static_cast<int>(on.integer("envs", 4));
  require(
      on, "envs",
      c.online.envs >= 1 && c.online.envs <= c.online.batch_transitions && c.online.envs <= 4096,
      "an integer in [1, min(online.batch_transitions, 4096)]");
  c.online.rollout = choice(on, "rollout", RolloutPolicy::kThompson);
  c.online.buffer_capacity = bounded(on, "buffer_capacity", c.online.buffer_capacity, 1, 20000000,
                                     "rows per level, 166 bytes each");
  c.online.update = choice(on, "update", c.online.update);
  on.finish();

  Fields net(top.child("network"), "network", source);
  c.network.hidden = net.int_list("hidden", c.network.hidden);
  require(net, "hidden",
          c.network.hidden.size() <= 16 &&
              *std::max_element(c.network.hidden.begin(), c.network.hidden.end()) <= 8192,
          "at most 16 layers of widths <= 8192");
  c.network.actor_lr = net.number("actor_lr", c.network.actor_lr);
  require(net, "actor_lr", c.network.actor_lr > 0, "a learning rate > 0");
  c.network.critic_lr = net.number("critic_lr", c.network.critic_lr);
  require(net, "critic_lr", c.network.critic_lr > 0, "a learning rate > 0");
  c.network.alpha_lr = net.number("alpha_lr", c.network.alpha_lr);
  require(net, "alpha_lr", c.network.alpha_lr > 0, "a learning rate > 0");
  c.network.init_alpha = net.number("init_alpha", c.network.init_alpha);
  require(net, "init_alpha", c.network.init_alpha > 0, "a temperature > 0");
  c.network.batch_size = bounded(net, "batch_size", c.network.batch_size, 2, 65536, "");
  c.network.gamma = net.number("gamma", c.network.gamma);
  require(net, "gamma", c.network.gamma >= 0 && c.network.gamma < 1, "a discount in [0, 1)");
  c.network.tau = net.number("tau", c.network.tau);
  require(net, "tau", c.network.tau > 0 && c.network.tau <= 1, "a number in (0, 1]");
  c.network.init = choice(net, "init", c.network.init);
  c.network.inference = choice(net, "inference", c.network.inference);
  net.finish();

  Fields cql(top.child("cql"), "cql", source);
  c.cql.actions = bounded(cql, "actions", c.cql.actions, 1, 1000,
                          "each update evaluates the critics at 3 * actions per row");
  c.cql.weight = cql.number("weight", c.cql.weight);
  require(cql, "weight", c.cql.weight >= 0, "a number >= 0");
  c.cql.backup_entropy = cql.boolean("backup_entropy", c.cql.backup_entropy);
  cql.finish();

  Fields h2o(top.child("h2o"), "h2o", source);
  c.h2o.penalty = h2o.number("penalty", c.h2o.penalty);
  require(h2o, "penalty", c.h2o.penalty >= 0, "a number >= 0");
  c.h2o.conservative = choice(h2o, "conservative", c.h2o.conservative);
  c.h2o.gap_samples = static_cast<int>(h2o.integer("gap_samples", c.h2o.gap_samples));
  require(h2o, "gap_samples", c.h2o.gap_samples >= 1 && c.h2o.gap_samples <= 1000,
          "an integer in [1, 1000]");
  c.h2o.dynamics_ratio = choice(h2o, "dynamics_ratio", c.h2o.dynamics_ratio);
  c.h2o.backup_entropy = h2o.boolean("backup_entropy", c.h2o.backup_entropy);
  c.h2o.input_noise = h2o.number("input_noise", c.h2o.input_noise);
  require(h2o, "input_noise", c.h2o.input_noise >= 0, "a number >= 0");
  c.h2o.disc_hidden = h2o.int_list("disc_hidden", c.h2o.disc_hidden);
  require(h2o, "disc_hidden",
          c.h2o.disc_hidden.size() <= 16 &&
              *std::max_element(c.h2o.disc_hidden.begin(), c.h2o.disc_hidden.end()) <= 8192,
          "at most 16 layers of widths <= 8192");
  c.h2o.disc_lr = h2o.number("disc_lr", c.h2o.disc_lr);
  require(h2o, "disc_lr", c.h2o.disc_lr > 0, "a learning rate > 0");
  c.h2o.disc_steps_per_update =
      static_cast<int>(h2o.integer("disc_steps_per_update", c.h2o.disc_steps_per_update));
  require(h2o, "disc_steps_per_update",
          c.h2o.disc_steps_per_update >= 0 && c.h2o.disc_steps_per_update <= 100,
          "an integer in [0, 100]");
  c.h2o.ratio_min = h2o.number("ratio_min", c.h2o.ratio_min);
  c.h2o.ratio_max = h2o.number("ratio_max", c.h2o.ratio_max);
  require(h2o, "ratio_max", c.h2o.ratio_min > 0 && c.h2o.ratio_min <= c.h2o.ratio_max,
          "0 < h2o.ratio_min <= h2o.ratio_max");
  h2o.finish();

  Fields igm(top.child("igm"), "igm", source);
  c.igm.history = bounded(igm, "history", c.igm.history, 1, 1000,
                          "M; every round re-evaluates every policy on K * M batches");
  c.igm.threshold_scale = igm.number("threshold_scale", c.igm.threshold_scale);
  require(igm, "threshold_scale", c.igm.threshold_scale >= 0, "a number >= 0");
  c.igm.threshold_budget = igm.text("threshold_budget", c.igm.threshold_budget);
  require(igm, "threshold_budget",
          c.igm.threshold_budget == "remaining" || c.igm.threshold_budget == "spent",
          "remaining or spent");
  c.igm.trust = choice(igm, "trust", c.igm.trust);
  c.igm.threshold = igm.text("threshold", c.igm.threshold);
  require(igm, "threshold", c.igm.threshold == "entropy_rate" || c.igm.threshold == "paper",
          "entropy_rate or paper");
  igm.finish();
  // A budget is bounded by the rounds it buys at the cheapest level (time, and a trace row each).
  std::vector<double> costs;
  for (const LevelConfig& l : c.levels) costs.push_back(l.cost);
  const std::string too_long =
      rounds_bound_violation(c.budget_total, costs, c.online.batch_transitions);
  if (!too_long.empty()) throw InputError(source + ": key 'budget.total': " + too_long);
  // The history is the tail of the buffer, so the buffer must hold M batches; 20M rows are 3.3 GB.
  const long long min_capacity = static_cast<long long>(c.igm.history) * c.online.batch_transitions;
  if (c.online.buffer_capacity < min_capacity || c.online.buffer_capacity > 20000000) {
    throw InputError(source +
                     ": key 'online.buffer_capacity': expected an integer in [igm.history " +
                     "* online.batch_transitions = " + std::to_string(min_capacity) +
                     ", 20000000] (rows per level, ~166 bytes each), got " +
                     std::to_string(c.online.buffer_capacity));
  }

  Fields post(top.child("posterior"), "posterior", source);
  if (post.has("eta") && post.node()["eta"].IsScalar() && post.node()["eta"].Scalar() == "auto") {
    post.text("eta", "auto");
    c.posterior.eta_auto = true;
  } else {
    c.posterior.eta_auto = false;
    c.posterior.eta = post.number("eta", c.posterior.eta);
    require(post, "eta", c.posterior.eta > 0, "auto or a learning rate eta > 0");
  }
  c.posterior.step = post.number("step", c.posterior.step);
  require(post, "step", c.posterior.step > 0 && c.posterior.step <= 100,
          "a number of nats in (0, 100]");
  c.posterior.calibrate = choice(post, "calibrate", c.posterior.calibrate);
  c.posterior.return_actions = choice(post, "return_actions", c.posterior.return_actions);
  c.posterior.loss = choice(post, "loss", c.posterior.loss);
  // return: every policy collects a segment of each batch on its own env instances, so n must
  // give each one a row and the instances must divide evenly among the policies.
  require(post, "loss",
          c.posterior.loss != PosteriorLoss::kReturn ||
              c.online.batch_transitions >= c.offline.policies,
          "critic or value when online.batch_transitions (" +
              std::to_string(c.online.batch_transitions) + ") < offline.policies (" +
              std::to_string(c.offline.policies) + "); return needs a row per policy");
  require(post, "loss",
          c.posterior.loss != PosteriorLoss::kReturn || c.online.envs % c.offline.policies == 0,
          "critic or value when online.envs (" + std::to_string(c.online.envs) +
              ") is not a multiple of offline.policies (" + std::to_string(c.offline.policies) +
              "); return steps each policy on its own instances");
  post.finish();

  Fields ev(top.child("eval"), "eval", source);
  c.eval_episodes = bounded(ev, "episodes", c.eval_episodes, 1, 1000, "");
  c.eval_all_every =
      bounded(ev, "all_every", c.eval_all_every, 0, 1000000, "0: the last round only");
  ev.finish();

  Fields reg(top.child("regret"), "regret", source);
  c.reference_return = reg.number("reference_return", 0.0);
  reg.finish();

  Fields ck(top.child("checkpoint"), "checkpoint", source);
  c.checkpoint_every = bounded(ck, "every", 1, 1, 1000000, "");
  ck.finish();

  Fields col(top.child("collect"), "collect", source);
  c.collect_steps =
      bounded(col, "steps", c.collect_steps, 1, 20000000, "transitions, 166 bytes each");
  c.collect_policy = col.text("policy", c.collect_policy);
  require(col, "policy", is_dataset_kind(c.collect_policy), kDatasetKinds);
  c.collect_sac_steps = bounded(col, "sac_steps", c.collect_sac_steps, 0, kMaxSteps, "");
  c.collect_medium_return = col.number("medium_return", c.collect_medium_return);
  c.collect_eval_every = bounded(col, "eval_every", c.collect_eval_every, 1, kMaxSteps, "");
  c.collect_eval_episodes = bounded(col, "eval_episodes", c.collect_eval_episodes, 1, 100, "");
  col.finish();

  Fields ref(top.child("reference"), "reference", source);
  c.reference_sac_steps = bounded(ref, "sac_steps", c.reference_sac_steps, 0, kMaxSteps, "");
  ref.finish();

  top.finish();
  return c;
}

}  // namespace mfhrl::config::detail
