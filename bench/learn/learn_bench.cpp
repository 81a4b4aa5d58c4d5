// Gradient steps per second of SAC, CQL and H2O updates, and their achieved matmul FLOP/s as a
// fraction of what torch::mm reaches on the layer shape that dominates them (batch x hidden x
// hidden).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "mfhrl/core/rng.h"
#include "mfhrl/learn/agent.h"
#include "mfhrl/learn/discriminator.h"

namespace mfhrl::learn {
namespace {

// CPU seconds of this process: on a shared machine, wall time would charge us for others' work.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Random HalfCheetah-shaped rows.
Transitions random_rows(Rng& rng, int n) {
  Transitions t;
  std::vector<float> o(kObsDim), a(kActDim), o2(kObsDim);
  for (int i = 0; i < n; ++i) {
    for (auto& x : o) x = static_cast<float>(rng.normal());
    for (auto& x : a) x = static_cast<float>(rng.uniform(-1.0, 1.0));
    for (auto& x : o2) x = static_cast<float>(rng.normal());
    t.push(o.data(), a.data(), static_cast<float>(rng.normal()), o2.data(), false, false);
  }
  return t;
}

AgentSpec bench_spec(int hidden, int batch) {
  AgentSpec s;
  s.net.hidden = {hidden, hidden};
  s.h2o.disc_hidden = {hidden, hidden};
  s.net.batch_size = batch;
  return s;
}

// Args: hidden width, batch, and optionally the critics' layer count at that width (CORL's CQL:
// 256, 256, 3 is an actor of 2x256 with critics of 3x256 and batch 256).
template <UpdateKind kKind>
void BM_Update(benchmark::State& state) {
  init_threads();
  const int hidden = static_cast<int>(state.range(0)), batch = static_cast<int>(state.range(1));
  AgentSpec spec = bench_spec(hidden, batch);
  if (state.range(2) > 0) {
    spec.critic_hidden.assign(static_cast<std::size_t>(state.range(2)), hidden);
    state.SetLabel("CORL: critics " + std::to_string(state.range(2)) + "x" +
                   std::to_string(hidden));
  }
  Agent agent(spec, 0, 0);
  Rng rng(0, Stream::kTest, 0);
  std::vector<Transitions> real, sim;
  for (int i = 0; i < 4; ++i) {
    real.push_back(random_rows(rng, batch));
    sim.push_back(random_rows(rng, batch));
  }
  SimRowWeights w;
  w.ratio.assign(static_cast<std::size_t>(batch), 0.5f);
  for (int j = 0; j < batch; ++j) w.gap.push_back(static_cast<float>(rng.uniform(0.0, 2.0)));
  const double mm_flops = 2.0 * batch * hidden * hidden / matmul_seconds(batch, hidden, hidden, 20);
  std::size_t i = 0;
  const double t0 = cpu_seconds();
  for (auto _ : state) {
    const auto& r = real[i % 4];
    UpdateStats st;
    if (kKind == UpdateKind::kSac) st = agent.sac_update(r);
    if (kKind == UpdateKind::kCql) st = agent.cql_update(r);
    if (kKind == UpdateKind::kH2o) st = agent.h2o_update(r, sim[i % 4], w);
    benchmark::DoNotOptimize(st);
    ++i;
  }
  const double secs = cpu_seconds() - t0;
  const double flops = update_flops(spec, kKind, batch) * static_cast<double>(state.iterations());
  state.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = flops / secs / 1e9;
  state.counters["mm_GFLOP/s"] = mm_flops / 1e9;
  state.counters["ratio"] = flops / secs / mm_flops;
}

// L policies updated as one stacked computation (AgentStack) against the same L agents updated
// one after the other, measured in the same process. Args: hidden width, batch, L, and
// optionally h2o.real_penalty (the demo's 5: a CQL(H) term at the real rows). Counters:
// ms_per_policy (stacked, CPU ms per policy-update), loop_ms_per_policy and speedup (loop time /
// stacked time). H2O takes batch / 2 real and batch / 2 simulated rows, as the online phase does.
template <UpdateKind kKind>
void BM_StackedUpdate(benchmark::State& state) {
  init_threads();
  const int hidden = static_cast<int>(state.range(0)), batch = static_cast<int>(state.range(1));
  const int L = static_cast<int>(state.range(2));
  AgentSpec spec = bench_spec(hidden, batch);
  spec.h2o.real_penalty = static_cast<double>(state.range(3));
  std::vector<Agent> looped, stacked;
  for (int l = 0; l < L; ++l) {
    looped.emplace_back(spec, 0, static_cast<std::uint64_t>(l));
    stacked.emplace_back(spec, 0, static_cast<std::uint64_t>(l));
  }
  Rng rng(0, Stream::kTest, 0);
  const int rows = kKind == UpdateKind::kH2o ? batch / 2 : batch;
  std::vector<Transitions> real, sim;
  std::vector<SimRowWeights> w(static_cast<std::size_t>(L));
  for (int l = 0; l < L; ++l) {
    real.push_back(random_rows(rng, rows));
    sim.push_back(random_rows(rng, rows));
    w[l].ratio.assign(static_cast<std::size_t>(rows), 0.5f);
    for (int j = 0; j < rows; ++j) w[l].gap.push_back(static_cast<float>(rng.uniform(0.0, 2.0)));
  }
  const auto loop_once = [&] {
    for (int l = 0; l < L; ++l) {
      if (kKind == UpdateKind::kCql) benchmark::DoNotOptimize(looped[l].cql_update(real[l]));
      if (kKind == UpdateKind::kH2o)
        benchmark::DoNotOptimize(looped[l].h2o_update(real[l], sim[l], w[l]));
    }
  };
  std::vector<Agent*> ptrs;
  for (auto& a : stacked) ptrs.push_back(&a);
  AgentStack stack(ptrs);
  const auto stack_once = [&] {
    if (kKind == UpdateKind::kCql) benchmark::DoNotOptimize(stack.cql_update(real));
    if (kKind == UpdateKind::kH2o) benchmark::DoNotOptimize(stack.h2o_update(real, sim, w));
  };
  // Baseline: the median of 7 timings of 5 looped rounds, after a warm-up round.
  loop_once();
  std::vector<double> loop_secs;
  for (int r = 0; r < 7; ++r) {
    const double t0 = cpu_seconds();
    for (int k = 0; k < 5; ++k) loop_once();
    loop_secs.push_back((cpu_seconds() - t0) / 5);
  }
  std::nth_element(loop_secs.begin(), loop_secs.begin() + 3, loop_secs.end());
  const double loop = loop_secs[3];
  stack_once();
  const double t0 = cpu_seconds();
  for (auto _ : state) stack_once();
  const double per = (cpu_seconds() - t0) / static_cast<double>(state.iterations());
  stack.store();
  state.counters["ms_per_policy"] = 1e3 * per / L;
  state.counters["loop_ms_per_policy"] = 1e3 * loop / L;
  state.counters["speedup"] = loop / per;
  state.counters["stacked"] = stack.last_update_stacked() ? 1 : 0;
}

// CPU seconds per sampled one-row action of an agent on network.inference: torch (the path
// rollouts took before act_rows), median of `reps` batches of 200 actions after one warm-up batch.
double torch_act_seconds(AgentSpec spec, int reps) {
  spec.net.inference = Inference::kTorch;
  const Agent agent(spec, 0, 0);
  Rng rng(0, Stream::kTest, 0);
  std::vector<float> obs(kObsDim, 0.1f), act(kActDim);
  const int per_batch = 200;
  std::vector<double> secs;
  for (int r = 0; r <= reps; ++r) {
    const double t0 = cpu_seconds();
    for (int i = 0; i < per_batch; ++i) agent.act(obs.data(), act.data(), false, &rng);
    benchmark::DoNotOptimize(act.data());
    if (r > 0) secs.push_back((cpu_seconds() - t0) / per_batch);
  }
  std::nth_element(secs.begin(), secs.begin() + static_cast<std::ptrdiff_t>(secs.size() / 2),
                   secs.end());
  return secs[secs.size() / 2];
}

// Sampled actions (network.inference: plain) for `rows` env instances per call (the rollout path;
// rows = 1 is one instance, rows = 16 a rank's instances stepped in lockstep). Args: hidden width,
// rows. "x_torch" is the ratio of actions per second to the torch one-row path measured in the same
// process.
void BM_Act(benchmark::State& state) {
  init_threads();
  AgentSpec spec = bench_spec(static_cast<int>(state.range(0)), 1);
  spec.net.inference = Inference::kPlain;
  const int rows = static_cast<int>(state.range(1));
  const Agent agent(spec, 0, 0);
  std::vector<Rng> streams;
  for (int i = 0; i < rows; ++i) streams.emplace_back(0, Stream::kTest, i);
  std::vector<Rng*> rngs;
  for (auto& r : streams) rngs.push_back(&r);
  Rng data(0, Stream::kTest, 99);
  std::vector<float> obs(static_cast<std::size_t>(rows) * kObsDim), act(rows * kActDim);
  for (auto& x : obs) x = static_cast<float>(data.normal());
  const double baseline = torch_act_seconds(spec, 15);
  const double t0 = cpu_seconds();
  for (auto _ : state) {
    agent.act_rows(rows, obs.data(), act.data(), false, rngs.data());
    benchmark::DoNotOptimize(act.data());
  }
  const double per_act = (cpu_seconds() - t0) / (static_cast<double>(state.iterations()) * rows);
  state.counters["acts/s"] = 1.0 / per_act;
  state.counters["torch_acts/s"] = 1.0 / baseline;
  state.counters["x_torch"] = baseline / per_act;
}

// One discriminator step on batch real + batch simulated rows.
void BM_DiscriminatorStep(benchmark::State& state) {
  init_threads();
  const int batch = static_cast<int>(state.range(1));
  Discriminator d(bench_spec(static_cast<int>(state.range(0)), batch), 0, 0);
  Rng rng(0, Stream::kTest, 2);
  const Transitions real = random_rows(rng, batch), sim = random_rows(rng, batch);
  for (auto _ : state) benchmark::DoNotOptimize(d.train_step(real, sim));
  state.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK_TEMPLATE(BM_Update, UpdateKind::kSac)
    ->Args({64, 64, 0})
    ->Args({256, 256, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Update, UpdateKind::kCql)
    ->Args({64, 64, 0})
    ->Args({256, 256, 0})
    ->Args({256, 256, 3})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Update, UpdateKind::kH2o)
    ->Args({64, 64, 0})
    ->Args({256, 256, 0})
    ->Unit(benchmark::kMillisecond);
// (hidden, batch, L), real_penalty 0: 64-wide at the batches a study uses, then wider networks.
void stacked_cases(benchmark::internal::Benchmark* b) {
  for (const auto& a : std::vector<std::vector<std::int64_t>>{{64, 64, 4},
                                                              {64, 64, 8},
                                                              {64, 128, 4},
                                                              {64, 128, 8},
                                                              {64, 256, 8},
                                                              {128, 256, 4},
                                                              {256, 256, 4}}) {
    b->Args({a[0], a[1], a[2], 0});
  }
  b->Unit(benchmark::kMillisecond);
}
// The demo's online update (64-64, batch 128, h2o.real_penalty 5) at stacks of 1-8 policies; a rank
// stacks L/P, so S = 4 and S = 2 are the demo's 4 policies on 1 and 2 ranks.
void demo_stack_cases(benchmark::internal::Benchmark* b) {
  for (const std::int64_t L : {1, 2, 4, 8}) b->Args({64, 128, L, 5});
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK_TEMPLATE(BM_StackedUpdate, UpdateKind::kCql)->Apply(stacked_cases);
BENCHMARK_TEMPLATE(BM_StackedUpdate, UpdateKind::kH2o)->Apply(stacked_cases);
BENCHMARK_TEMPLATE(BM_StackedUpdate, UpdateKind::kH2o)->Apply(demo_stack_cases);
BENCHMARK(BM_Act)->Args({64, 1})->Args({64, 16})->Args({256, 1})->Args({256, 16})->Unit(
    benchmark::kMicrosecond);
BENCHMARK(BM_DiscriminatorStep)->Args({64, 64})->Args({256, 256})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mfhrl::learn

// The allocator as the mfhrl binary sets it; MFHRL_BENCH_PLAIN_MALLOC=1 keeps glibc's defaults, to
// measure what keep_tensor_memory() buys.
int main(int argc, char** argv) {
  const char* plain = std::getenv("MFHRL_BENCH_PLAIN_MALLOC");
  if (plain == nullptr || std::string(plain) != "1") mfhrl::learn::keep_tensor_memory();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
