#include "mfhrl/sim/env_group.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "fixture.h"
#include "mfhrl/core/error.h"
#include "sim_fixture.h"

namespace mfhrl::sim {
namespace {

using testing::expect_throw_with;
using testing::level_model;

// Exploration as a real policy does it: actions from the instance's own stream.
void random_policy(int rows, const float* /*obs*/, float* action, Rng* const* rngs) {
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < kActDim; ++j)
      action[i * kActDim + j] = static_cast<float>(rngs[i]->uniform(-1.2, 1.2));
}

// A policy that reads its observation: a fixed linear map of it plus the stream's noise.
void observing_policy(int rows, const float* obs, float* action, Rng* const* rngs) {
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < kActDim; ++j)
      action[i * kActDim + j] = 0.3f * obs[i * kObsDim + j] - 0.2f * obs[i * kObsDim + 8 + j] +
                                0.1f * static_cast<float>(rngs[i]->normal());
}

void expect_same(const Transitions& a, const Transitions& b) {
  EXPECT_EQ(a.obs, b.obs);
  EXPECT_EQ(a.act, b.act);
  EXPECT_EQ(a.rew, b.rew);
  EXPECT_EQ(a.next_obs, b.next_obs);
  EXPECT_EQ(a.terminal, b.terminal);
  EXPECT_EQ(a.timeout, b.timeout);
}

TEST(SplitCounts, SpreadsTheRemainderOverTheFirstInstances) {
  EXPECT_EQ(split_counts(10, 4), (std::vector<int>{3, 3, 2, 2}));
  EXPECT_EQ(split_counts(8, 4), (std::vector<int>{2, 2, 2, 2}));
  EXPECT_EQ(split_counts(3, 4), (std::vector<int>{1, 1, 1, 0}));
  EXPECT_EQ(split_counts(0, 1), (std::vector<int>{0}));
  expect_throw_with<InvariantError>([] { split_counts(5, 0); }, {"envs"});
  expect_throw_with<InvariantError>([] { split_counts(-1, 2); }, {"n must be"});
}

TEST(EnvGroup, CollectReturnsCountsGroupedByInstance) {
  EnvGroup group(level_model("medium"), 4, 10, 4);
  std::vector<int> calls;
  const Transitions t =
      group.collect({3, 1, 0, 2}, [&](int rows, const float* o, float* a, Rng* const* rngs) {
        calls.push_back(rows);
        random_policy(rows, o, a, rngs);
      });
  t.check_consistent();
  ASSERT_EQ(t.size(), 6u);
  // Lockstep: one call per step for the instances that still owe rows (10, 11, 13; 10, 13; 10).
  EXPECT_EQ(calls, (std::vector<int>{3, 2, 1}));
  // Within an instance each row starts where the previous one ended.
  for (std::size_t r : {0u, 1u, 4u}) {
    for (int i = 0; i < kObsDim; ++i)
      EXPECT_EQ(t.next_obs[r * kObsDim + i], t.obs[(r + 1) * kObsDim + i]);
  }
  for (float a : t.act) EXPECT_LE(std::abs(a), 1.0f);  // stored clipped
  expect_throw_with<InvariantError>(
      [&] {
        group.collect({1, 2}, random_policy);
      },
      {"2 counts for 4 instances"});
}

TEST(EnvGroup, SplittingInstancesOverGroupsChangesNothing) {
  EnvGroup whole(level_model("coarse"), 9, 0, 4);
  EnvGroup left(level_model("coarse"), 9, 0, 2);
  EnvGroup right(level_model("coarse"), 9, 2, 2);
  for (int round = 0; round < 3; ++round) {
    const std::vector<int> counts = split_counts(30 + round, 4);
    const Transitions all = whole.collect(counts, random_policy);
    Transitions joined = left.collect({counts[0], counts[1]}, random_policy);
    joined.append(right.collect({counts[2], counts[3]}, random_policy));
    ASSERT_EQ(all.size(), static_cast<std::size_t>(30 + round));
    expect_same(all, joined);
  }
}

TEST(EnvGroup, LockstepRowsEqualOneInstanceAtATime) {
  // Four instances stepped together give the rows each instance gives alone, bit for bit.
  EnvGroup together(level_model("medium"), 3, 5, 4, 12);
  const std::vector<int> counts = {9, 30, 0, 17};
  const Transitions all = together.collect(counts, observing_policy);
  Transitions alone;
  for (int i = 0; i < 4; ++i) {
    EnvGroup one(level_model("medium"), 3, 5 + static_cast<std::uint64_t>(i), 1, 12);
    alone.append(one.collect({counts[static_cast<std::size_t>(i)]}, observing_policy));
  }
  ASSERT_EQ(all.size(), 56u);
  expect_same(all, alone);
}

TEST(EnvGroup, EpisodesContinueAcrossCallsAndResetAfterTimeout) {
  EnvGroup group(level_model("real"), 1, 0, 1, 5);
  const Transitions a = group.collect({7}, random_policy);
  ASSERT_EQ(a.size(), 7u);
  for (std::size_t r = 0; r < 7; ++r) EXPECT_EQ(a.timeout[r], r == 4 ? 1 : 0) << r;
  EXPECT_NE(a.next_obs[4 * kObsDim], a.obs[5 * kObsDim]);  // a fresh reset, not a continuation
  const Transitions b = group.collect({3}, random_policy);
  EXPECT_EQ(b.timeout, (std::vector<std::uint8_t>{0, 0, 1}));
  for (int i = 0; i < kObsDim; ++i) EXPECT_EQ(a.next_obs[6 * kObsDim + i], b.obs[i]);
}

TEST(EnvGroup, StateRoundTripRepeatsTheNextBatch) {
  EnvGroup group(level_model("coarse"), 2, 3, 2, 20);
  group.collect({15, 4}, random_policy);
  const EnvGroupState saved = group.state();
  const Transitions first = group.collect({10, 10}, random_policy);
  EnvGroup restored(level_model("coarse"), 2, 3, 2, 20);
  restored.set_state(saved);
  expect_same(first, restored.collect({10, 10}, random_policy));
}

TEST(Evaluate, EpisodesComeFromTheirOwnEvalStreams) {
  const auto zero = [](int rows, const float*, float* a) {
    for (int j = 0; j < rows * kActDim; ++j) a[j] = 0.0f;
  };
  const std::vector<double> r = evaluate(level_model("real"), 6, 2, zero, 20);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_NE(r[0], r[1]);
  // Known answer: episode 1 recomputed by hand from Rng(6, kEval, 1).
  Env env(level_model("real"), 0, 0, 20);
  env.set_rng_state(Rng(6, Stream::kEval, 1).state());
  env.reset();
  const float act[kActDim] = {};
  float next[kObsDim];
  double ret = 0.0;
  for (int s = 0; s < 20; ++s) ret += env.step(act, next).reward;
  EXPECT_EQ(r[1], ret);
  // A rank evaluating only episode 1 gets the same number.
  EXPECT_EQ(evaluate(level_model("real"), 6, 1, zero, 20, 1), std::vector<double>{ret});
}

TEST(Evaluate, LockstepEpisodesEqualOneAtATime) {
  // A policy that reads its observation, so a row mix-up would show in the returns.
  const auto pd = [](int rows, const float* obs, float* a) {
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < kActDim; ++j)
        a[i * kActDim + j] = std::tanh(0.5f * obs[i * kObsDim + j] - obs[i * kObsDim + 8 + j]);
  };
  std::vector<int> rows_seen;
  const auto counting = [&](int rows, const float* obs, float* a) {
    rows_seen.push_back(rows);
    pd(rows, obs, a);
  };
  const std::vector<double> all = evaluate(level_model("medium"), 4, 3, counting, 25, 2);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(rows_seen, std::vector<int>(25, 3));  // three episodes per call, 25 steps
  for (int e = 0; e < 3; ++e)
    EXPECT_EQ(evaluate(level_model("medium"), 4, 1, pd, 25, 2 + e), std::vector<double>{all[e]});
  EXPECT_NE(all[0], all[1]);
}

}  // namespace
}  // namespace mfhrl::sim
