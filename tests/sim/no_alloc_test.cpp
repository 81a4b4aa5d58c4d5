// The step loop allocates nothing: global operator new is counted in this test binary.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "mfhrl/sim/env.h"
#include "mfhrl/sim/env_group.h"
#include "sim_fixture.h"

namespace {
std::atomic<long> g_news{0};
}  // namespace

void* operator new(std::size_t n) {
  ++g_news;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace mfhrl {
namespace {

void policy(const float*, float* action, std::uint64_t, Rng& rng) {
  for (int j = 0; j < kActDim; ++j) action[j] = static_cast<float>(rng.uniform(-1.0, 1.0));
}

TEST(NoAlloc, EnvStepAndResetAllocateNothing) {
  Env env(testing::level_model("coarse"), 0, 0, 50);
  Rng rng(0, Stream::kTest, 0);
  float next[kObsDim];
  const long before = g_news.load();
  env.reset();
  for (int s = 0; s < 120; ++s) {
    if (!env.live()) env.reset();
    const auto a = testing::random_action(rng);
    env.step(a.data(), next);
  }
  EXPECT_EQ(g_news.load() - before, 0);
}

TEST(NoAlloc, CollectAllocatesOnlyTheOutputOnce) {
  EnvGroup group(testing::level_model("real"), 0, 0, 2, 50);
  long before = g_news.load();
  group.collect({5, 5}, policy);
  const long small = g_news.load() - before;
  before = g_news.load();
  group.collect({200, 200}, policy);
  EXPECT_GT(small, 0);  // the counter sees the output buffers, so it is live
  EXPECT_EQ(g_news.load() - before, small);  // independent of the number of steps
}

}  // namespace
}  // namespace mfhrl
