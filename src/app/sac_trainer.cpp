#include "sac_trainer.h"

#include <algorithm>
#include <cstdio>

#include "common.h"
#include "mfhrl/core/log.h"
#include "mfhrl/core/regret.h"
#include "mfhrl/core/rng.h"
#include "mfhrl/learn/spec.h"
#include "mfhrl/sim/env_group.h"

namespace mfhrl::app {

SacOptions sac_options(const Config& c, int steps) {
  SacOptions o;
  o.steps = steps;
  o.eval_every = c.collect_eval_every;
  o.eval_episodes = c.collect_eval_episodes;
  return o;
}

SacRun train_sac(const Config& c, std::shared_ptr<const sim::LevelModel> level, const SacOptions& o,
                 std::uint64_t index, const std::string& label) {
  SacRun run;
  run.agent = std::make_unique<learn::Agent>(learn::agent_spec(c), c.seed, index);
  learn::Agent& agent = *run.agent;
  sim::EnvGroup env(level, c.seed, kTrainInstanceBase + index, 1, c.episode_steps);
  Rng minibatch_rng(c.seed, Stream::kMinibatch, kTrainInstanceBase + index);
  const int steps = o.steps;
  const int warmup = std::min(steps, std::max(c.network.batch_size, std::min(steps / 20, 5000)));
  const int batch = c.network.batch_size;
  run.buffer.reserve(static_cast<std::size_t>(steps));
  const sim::Policy random = uniform_random_policy();
  const sim::Policy learned = sampling_policy(agent);
  std::vector<std::size_t> rows(static_cast<std::size_t>(batch));
  const double t0 = now_seconds();
  double episode_return = 0.0, last_return = 0.0;
  for (int t = 0; t < steps; ++t) {
    const Transitions step = env.collect({1}, t < warmup ? random : learned);
    run.buffer.append(step);
    run.steps = t + 1;
    episode_return += step.rew[0];
    if (step.timeout[0] || step.terminal[0]) {
      last_return = episode_return;
      episode_return = 0.0;
    }
    if (t + 1 >= warmup && run.buffer.size() >= static_cast<std::size_t>(batch)) {
      for (auto& r : rows) r = minibatch_rng.below(run.buffer.size());
      agent.sac_update(run.buffer.gather(rows));
    }
    if ((t + 1) % o.eval_every != 0 && t + 1 != steps) continue;
    const std::vector<double> returns =
        sim::evaluate(level, c.seed, o.eval_episodes, greedy_policy(agent), c.episode_steps);
    double mean = 0.0, sd = 0.0;
    mean_std(returns, &mean, &sd);
    run.eval_return = mean;
    run.curve.emplace_back(t + 1, mean);
    const double el = now_seconds() - t0;
    char line[320];
    std::snprintf(line, sizeof line,
                  "%s: step %d/%d | eval return %.1f ± %.1f (normalized %.1f) | last training "
                  "episode %.1f | %.0f s elapsed, ~%.0f s left",
                  label.c_str(), t + 1, steps, mean, sd, d4rl_normalized_score(mean), last_return,
                  el, el / (t + 1) * (steps - t - 1));
    log::info(line);
    if (mean >= o.stop_return) {
      log::info(label + ": reached the target return " + std::to_string(o.stop_return) +
                " at step " + std::to_string(t + 1));
      break;
    }
  }
  return run;
}

}  // namespace mfhrl::app
