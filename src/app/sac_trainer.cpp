#include "sac_trainer.h"

#include <algorithm>
#include <cstdio>

#include "common.h"
#include "mfhrl/core/log.h"
#include "mfhrl/core/rng.h"
#include "mfhrl/learn/spec.h"
#include "mfhrl/sim/env_group.h"

namespace mfhrl::app {

std::unique_ptr<learn::Agent> train_sac(const Config& c, std::shared_ptr<const LevelModel> level,
                                        int steps, std::uint64_t index, const std::string& label) {
  auto agent = std::make_unique<learn::Agent>(learn::agent_spec(c), c.seed, index);
  EnvGroup env(level, c.seed, kTrainInstanceBase + index, 1, c.episode_steps);
  Rng minibatch_rng(c.seed, Stream::kMinibatch, kTrainInstanceBase + index);
  const int warmup = std::min(steps, std::max(c.network.batch_size, steps / 20));
  const int batch = c.network.batch_size;
  Transitions buffer;
  buffer.reserve(static_cast<std::size_t>(steps));
  const Policy random = [](const float*, float* a, std::uint64_t, Rng& rng) {
    for (int j = 0; j < kActDim; ++j) a[j] = static_cast<float>(rng.uniform(-1.0, 1.0));
  };
  const Policy learned = sampling_policy(*agent);
  std::vector<std::size_t> rows(static_cast<std::size_t>(batch));
  const double t0 = now_seconds();
  double episode_return = 0.0, last_return = 0.0;
  for (int t = 0; t < steps; ++t) {
    const Transitions step = env.collect({1}, t < warmup ? random : learned);
    buffer.append(step);
    episode_return += step.rew[0];
    if (step.timeout[0] || step.terminal[0]) {
      last_return = episode_return;
      episode_return = 0.0;
    }
    if (t + 1 >= warmup && buffer.size() >= static_cast<std::size_t>(batch)) {
      for (auto& r : rows) r = minibatch_rng.below(buffer.size());
      agent->sac_update(buffer.gather(rows));
    }
    if (steps >= 10 && (t + 1) % (steps / 10) == 0) {
      const double el = now_seconds() - t0;
      char line[256];
      std::snprintf(line, sizeof line,
                    "%s: step %d/%d, last episode return %.1f, %.0f s elapsed, ~%.0f s left",
                    label.c_str(), t + 1, steps, last_return, el, el / (t + 1) * (steps - t - 1));
      log::info(line);
    }
  }
  return agent;
}

}  // namespace mfhrl::app
