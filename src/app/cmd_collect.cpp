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
  auto model = LevelModel::create(level);
  std::unique_ptr<learn::Agent> behaviour;
  if (policy == "sac") {
    behaviour = train_sac(c, model, c.collect_sac_steps, 0, "collect: SAC behaviour policy");
  } else if (policy != "random") {
    throw InputError("--policy: expected random or sac, got '" + policy + "'");
  }
  EnvGroup env(model, c.seed, kCollectInstanceBase, 1, c.episode_steps);
  const Policy random = [](const float*, float* a, std::uint64_t, Rng& rng) {
    for (int j = 0; j < kActDim; ++j) a[j] = static_cast<float>(rng.uniform(-1.0, 1.0));
  };
  io::Dataset ds;
  ds.env_name = "halfcheetah";
  ds.level_name = level.name;
  ds.data = env.collect({steps}, behaviour ? sampling_policy(*behaviour) : random);
  return ds;
}

io::Dataset offline_dataset(const Config& c) {
  if (!c.offline.dataset.empty()) return io::read_dataset(c.offline.dataset);
  log::info("offline.dataset is empty: logging " + std::to_string(c.collect_steps) + " " +
            c.collect_policy + " transitions on the real system first");
  return collect_dataset(c, c.real, c.collect_policy, c.collect_steps);
}

void add_collect_command(CLI::App& app, const Comm& comm) {
  auto* cmd = app.add_subcommand("collect", "Log an offline dataset (D4RL layout) on a level");
  auto opts = std::make_shared<ConfigOptions>();
  auto out = std::make_shared<std::string>();
  auto policy = std::make_shared<std::string>();
  auto level = std::make_shared<std::string>("real");
  auto steps = std::make_shared<int>(0);
  auto force = std::make_shared<bool>(false);
  cmd->add_option("--out,-o", *out, "dataset file to write (HDF5)")->required();
  cmd->add_option("--policy", *policy, "random | sac (default: collect.policy)");
  cmd->add_option("--steps", *steps, "transitions to log (default: collect.steps)");
  cmd->add_option("--level", *level, "level to log on (default: the real system)");
  cmd->add_flag("--force", *force, "replace an existing file");
  opts->add_to(cmd);
  cmd->callback([=, &comm] {
    Config c = opts->load();
    if (*steps < 0) throw InputError("--steps: expected a positive number of transitions");
    const int n = *steps > 0 ? *steps : c.collect_steps;
    const std::string pol = policy->empty() ? c.collect_policy : *policy;
    const LevelConfig& lv = find_level(c, *level, "--level");
    const double t0 = now_seconds();
    const io::Dataset ds = collect_dataset(c, lv, pol, n);
    if (comm.rank() == 0) io::write_dataset(*out, ds, *force);
    const io::DatasetSummary s = io::summarize(ds);
    char line[512];
    std::snprintf(line, sizeof line,
                  "collect: wrote %zu transitions (%zu episodes, return mean %.1f min %.1f max "
                  "%.1f, normalized score %.1f) on level '%s' with a %s policy to %s in %.1f s",
                  s.transitions, s.episodes, s.return_mean, s.return_min, s.return_max,
                  s.normalized_score, lv.name.c_str(), pol.c_str(), out->c_str(),
                  now_seconds() - t0);
    log::info(line);
  });
}

}  // namespace mfhrl::app
