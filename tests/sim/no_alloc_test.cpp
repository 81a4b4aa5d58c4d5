// The step loop allocates nothing: global operator new is counted in this test binary, and
// MuJoCo's own allocations through its mju_user_malloc hook.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include <mujoco/mujoco.h>

#include "mfhrl/sim/env.h"
#include "mfhrl/sim/env_group.h"
#include "sim_fixture.h"

namespace {
std::atomic<long> g_news{0};
std::atomic<long> g_mj_mallocs{0};

// MuJoCo requires 8-byte alignment; its default allocator uses 64 and frees with free().
void* counting_mj_malloc(std::size_t n) {
  ++g_mj_mallocs;
  return std::aligned_alloc(64, (n + 63) / 64 * 64);
}

// Routes MuJoCo's allocations through the counter while alive.
struct MujocoAllocCounter {
  MujocoAllocCounter() {
    mju_user_malloc = counting_mj_malloc;
    mju_user_free = std::free;
  }
  ~MujocoAllocCounter() {
    mju_user_malloc = nullptr;
    mju_user_free = nullptr;
  }
  long count() const { return g_mj_mallocs.load(); }
};
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

namespace mfhrl::sim {
namespace {

void policy(int rows, const float*, float* action, Rng* const* rngs) {
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < kActDim; ++j)
      action[i * kActDim + j] = static_cast<float>(rngs[i]->uniform(-1.0, 1.0));
}

TEST(NoAlloc, MujocoCounterIsLive) {
  MujocoAllocCounter counter;
  const long before = counter.count();
  void* p = mju_malloc(100);
  mju_free(p);
  EXPECT_EQ(counter.count() - before, 1);
}

TEST(NoAlloc, EnvStepAndResetAllocateNothing) {
  Env env(testing::level_model("coarse"), 0, 0, 50);
  Rng rng(0, Stream::kTest, 0);
  float next[kObsDim];
  MujocoAllocCounter counter;
  const long mj_before = counter.count();
  const long before = g_news.load();
  env.reset();
  for (int s = 0; s < 120; ++s) {
    if (!env.live()) env.reset();
    const auto a = testing::random_action(rng);
    env.step(a.data(), next);
  }
  EXPECT_EQ(g_news.load() - before, 0);
  EXPECT_EQ(counter.count() - mj_before, 0);
}

TEST(NoAlloc, CollectAllocatesOnlyTheOutputOnce) {
  EnvGroup group(testing::level_model("real"), 0, 0, 2, 50);
  MujocoAllocCounter counter;
  const long mj_before = counter.count();
  long before = g_news.load();
  group.collect({5, 5}, policy);
  const long small = g_news.load() - before;
  before = g_news.load();
  group.collect({200, 200}, policy);
  EXPECT_GT(small, 0);                        // the counter sees the output buffers, so it is live
  EXPECT_EQ(g_news.load() - before, small);   // independent of the number of steps
  EXPECT_EQ(counter.count() - mj_before, 0);  // MuJoCo allocates nothing while collecting
}

}  // namespace
}  // namespace mfhrl::sim
