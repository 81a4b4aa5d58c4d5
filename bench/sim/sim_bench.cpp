// Control steps per second of each default level, the raw mj_step rate of the same model, and the
// ratio of the two (what the Env wrapper costs on top of MuJoCo).
#include <benchmark/benchmark.h>
#include <mujoco/mujoco.h>

#include <array>
#include <ctime>
#include <vector>

#include "mfhrl/config/load.h"
#include "mfhrl/core/rng.h"
#include "mfhrl/sim/env.h"
#include "mfhrl/sim/level_model.h"

namespace mfhrl {
namespace {

constexpr int kActions = 1024;

std::shared_ptr<const sim::LevelModel> level(int k) {
  static const auto levels = config::load_config(config::ConfigSource{}).levels;  // the defaults
  static std::shared_ptr<const sim::LevelModel> models[3];
  if (!models[k]) models[k] = sim::LevelModel::create(levels[static_cast<std::size_t>(k)]);
  return models[k];
}

// Pre-drawn uniform actions so neither loop pays for random numbers.
const std::vector<float>& actions() {
  static const std::vector<float> a = [] {
    std::vector<float> v(kActions * kActDim);
    Rng rng(0, Stream::kTest, 0);
    for (float& x : v) x = static_cast<float>(rng.uniform(-1.0, 1.0));
    return v;
  }();
  return a;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// One control step without the wrapper: set ctrl, substeps x mj_step, reset at the time limit.
struct RawSim {
  const mjModel* m;
  mjData* d;
  int substeps;
  int t = 0;
  explicit RawSim(const sim::LevelModel& lm)
      : m(lm.mj()), d(mj_makeData(lm.mj())), substeps(lm.config().substeps) {}
  ~RawSim() { mj_deleteData(d); }
  RawSim(const RawSim&) = delete;
  RawSim& operator=(const RawSim&) = delete;
  void control_step(const float* a) {
    for (int j = 0; j < kActDim; ++j) d->ctrl[j] = a[j];
    for (int s = 0; s < substeps; ++s) mj_step(m, d);
    if (++t == 1000) {
      mj_resetData(m, d);
      t = 0;
    }
  }
};

void BM_EnvStep(benchmark::State& state) {
  const auto lm = level(static_cast<int>(state.range(0)));
  sim::Env env(lm, 0, 0);
  env.reset();
  const float* acts = actions().data();
  float obs[kObsDim];
  int i = 0;
  for (auto _ : state) {
    if (!env.live()) env.reset();
    benchmark::DoNotOptimize(env.step(acts + kActDim * i, obs));
    i = (i + 1) % kActions;
  }
  state.SetLabel(lm->name());
  state.counters["ctrl_steps_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EnvStep)->DenseRange(0, 2);

void BM_RawControlStep(benchmark::State& state) {
  const auto lm = level(static_cast<int>(state.range(0)));
  RawSim raw(*lm);
  const float* acts = actions().data();
  int i = 0;
  for (auto _ : state) {
    raw.control_step(acts + kActDim * i);
    benchmark::ClobberMemory();
    i = (i + 1) % kActions;
  }
  state.SetLabel(lm->name());
  const double it = static_cast<double>(state.iterations());
  state.counters["ctrl_steps_per_s"] = benchmark::Counter(it, benchmark::Counter::kIsRate);
  state.counters["mj_steps_per_s"] =
      benchmark::Counter(it * raw.substeps, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RawControlStep)->DenseRange(0, 2);

// Env and raw loops interleaved in chunks, timed on this thread's CPU clock, so that load from
// other processes hits both alike; overhead_ratio = env time / raw time per control step.
void BM_WrapperOverhead(benchmark::State& state) {
  const auto lm = level(static_cast<int>(state.range(0)));
  sim::Env env(lm, 0, 0);
  env.reset();
  RawSim raw(*lm);
  const float* acts = actions().data();
  float obs[kObsDim];
  constexpr int kChunk = 100;
  double env_s = 0.0;
  double raw_s = 0.0;
  for (auto _ : state) {
    double t0 = thread_cpu_seconds();
    for (int i = 0; i < kChunk; ++i) {
      if (!env.live()) env.reset();
      benchmark::DoNotOptimize(env.step(acts + kActDim * i, obs));
    }
    double t1 = thread_cpu_seconds();
    for (int i = 0; i < kChunk; ++i) raw.control_step(acts + kActDim * i);
    benchmark::ClobberMemory();
    double t2 = thread_cpu_seconds();
    env_s += t1 - t0;
    raw_s += t2 - t1;
  }
  const double steps = static_cast<double>(state.iterations()) * kChunk;
  state.SetLabel(lm->name());
  state.counters["env_ctrl_steps_per_s"] = steps / env_s;
  state.counters["raw_ctrl_steps_per_s"] = steps / raw_s;
  state.counters["overhead_ratio"] = env_s / raw_s;
}
BENCHMARK(BM_WrapperOverhead)->DenseRange(0, 2);

}  // namespace
}  // namespace mfhrl

BENCHMARK_MAIN();
