#include "mfhrl/sim/measure.h"

#include <ctime>

#include "mfhrl/core/error.h"
#include "mfhrl/sim/env.h"

namespace mfhrl::sim {
namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

double measure_cost_per_transition(const LevelConfig& level, int steps) {
  MFHRL_CHECK(steps >= 1, "measure_cost_per_transition: steps must be >= 1, got " << steps);
  Env env(LevelModel::create(level), 0, 0);
  Rng rng(0, Stream::kTest, 0);
  float act[kActDim];
  float obs[kObsDim];
  auto run = [&](int n) {
    for (int t = 0; t < n; ++t) {
      if (!env.live()) env.reset();
      for (float& a : act) a = static_cast<float>(rng.uniform(-1.0, 1.0));
      env.step(act, obs);
    }
  };
  run(steps / 10 + 1);  // warm caches and branch predictors
  const double t0 = thread_cpu_seconds();
  run(steps);
  return (thread_cpu_seconds() - t0) / steps;
}

}  // namespace mfhrl::sim
