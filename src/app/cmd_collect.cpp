// `mfhrl collect`: log an offline dataset (D4RL layout) on the real system.
#include <cstdio>

#include "commands.h"
#include "common.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/log.h"
#include "sac_trainer.h"

namespace mfhrl::app {

io::Dataset collect_dataset(const Config& c, const LevelConfig& level, const std::string& policy,
                            int steps) {
  if (!is_dataset_kind(policy)) {
    throw InputError("--policy: expected " + std::string(kDatasetKinds) + ", got '" + policy + "'");
  }
  auto model = sim::LevelModel::create(level);
  io::Dataset ds;
  ds.env_name = "halfcheetah";
  ds.level_name = level.name;
  ds.behaviour = policy;
  SacRun sac;
  if (policy != "random") {
    SacOptions o = sac_options(c, c.collect_sac_steps);
    if (policy != "expert") o.stop_return = c.collect_medium_return;
    sac = train_sac(c, model, o, 0, "collect: SAC behaviour policy (" + policy + ")");
    if (policy != "expert" && !(sac.eval_return >= c.collect_medium_return)) {
      log::info("collect: warning: the SAC policy reached only " + std::to_string(sac.eval_return) +
                " of collect.medium_return " + std::to_string(c.collect_medium_return) +
                " within collect.sac_steps " + std::to_string(c.collect_sac_steps) +
                "; logging with it anyway");
    }
  }
  if (policy == "medium-replay") {
    // D4RL's medium-replay: the behaviour run's whole replay buffer up to the medium point.
    ds.data = std::move(sac.buffer);
    ds.behaviour_return = sac.eval_return;
    return ds;
  }
  sim::EnvGroup env(model, c.seed, kCollectInstanceBase, 1, c.episode_steps);
  const sim::Policy random = uniform_random_policy();
  ds.data = env.collect({steps}, sac.agent ? sampling_policy(*sac.agent) : random);
  const io::DatasetSummary s = io::summarize(ds);
  ds.behaviour_return = s.episodes > 0 ? s.return_mean : s.partial_return;
  return ds;
}

io::Dataset offline_dataset(const Config& c) {
  io::Dataset ds;
  if (!c.offline.dataset.empty()) {
    ds = io::read_dataset(c.offline.dataset);
  } else {
    log::info("offline.dataset is empty: logging " + std::to_string(c.collect_steps) + " " +
              c.collect_policy + " transitions on the real system first");
    ds = collect_dataset(c, c.real, c.collect_policy, c.collect_steps);
  }
  // D4RL's qlearning_dataset convention (what CQL is trained on): rows ending in a timeout go.
  const std::size_t before = ds.data.size();
  ds.data = drop_timeouts(ds.data);
  if (ds.data.size() < before) ds.qpos.clear(), ds.qvel.clear();  // no longer row-aligned
  if (ds.data.empty()) {
    throw InputError("offline.dataset '" + c.offline.dataset +
                     "': every transition ends in a timeout; nothing to learn from");
  }
  if (ds.data.size() < before) {
    log::info("offline: dropped " + std::to_string(before - ds.data.size()) +
              " transitions that end in a timeout (D4RL qlearning_dataset convention), " +
              std::to_string(ds.data.size()) + " remain");
  }
  return ds;
}

void add_collect_command(CLI::App& app, const dist::Comm& comm) {
  auto* cmd = app.add_subcommand("collect", "Log an offline dataset (D4RL layout) on a level");
  auto opts = std::make_shared<ConfigOptions>();
  auto out = std::make_shared<std::string>();
  auto policy = std::make_shared<std::string>();
  auto level = std::make_shared<std::string>("real");
  auto steps = std::make_shared<int>(0);
  auto force = std::make_shared<bool>(false);
  cmd->add_option("--out,-o", *out, "dataset file to write (HDF5)")->required();
  cmd->add_option("--policy", *policy,
                  "random | medium | medium-replay | expert (default: collect.policy)");
  cmd->add_option("--steps", *steps, "transitions to log (default: collect.steps)");
  cmd->add_option("--level", *level, "level to log on (default: the real system)");
  cmd->add_flag("--force", *force, "replace an existing file");
  opts->add_to(cmd);
  cmd->callback([=, &comm] {
    Config c = opts->load();
    use_threads(c, comm);
    if (*steps < 0) throw InputError("--steps: expected a positive number of transitions");
    const int n = *steps > 0 ? *steps : c.collect_steps;
    if (n > 20000000) throw InputError("--steps: at most 20000000 transitions (3.3 GB)");
    const std::string pol = policy->empty() ? c.collect_policy : *policy;
    const LevelConfig& lv = find_level(c, *level, "--level");
    const double t0 = now_seconds();
    const io::Dataset ds = collect_dataset(c, lv, pol, n);
    if (comm.rank() == 0) io::write_dataset(*out, ds, *force);
    const io::DatasetSummary s = io::summarize(ds);
    char line[512];
    std::snprintf(line, sizeof line,
                  "collect: wrote %zu transitions (%zu episodes, return mean %.1f min %.1f max "
                  "%.1f, normalized score %.1f; behaviour return %.1f) on level '%s' with a %s "
                  "policy to %s in %.1f s",
                  s.transitions, s.episodes, s.return_mean, s.return_min, s.return_max,
                  s.normalized_score, ds.behaviour_return, lv.name.c_str(), pol.c_str(),
                  out->c_str(), now_seconds() - t0);
    log::info(line);
  });
}

}  // namespace mfhrl::app
