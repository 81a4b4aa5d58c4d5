#include "mfhrl/core/transitions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

Transitions make(int n) {
  Transitions t;
  t.obs_dim = 2;
  t.act_dim = 1;
  for (int i = 0; i < n; ++i) {
    const float o[2] = {float(i), float(-i)};
    const float a[1] = {0.5f * i};
    const float o2[2] = {float(i + 1), float(-i - 1)};
    t.push(o, a, float(10 * i), o2, i == 2, i == 3);
  }
  return t;
}

TEST(Transitions, PushSliceGatherAppend) {
  const Transitions t = make(5);
  EXPECT_EQ(t.size(), 5u);
  t.check_consistent();
  const Transitions s = t.slice(1, 3);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.rew[0], 10.0f);
  EXPECT_EQ(s.obs[2], 2.0f);
  EXPECT_EQ(s.terminal[1], 1);
  const Transitions g = t.gather({4, 0});
  EXPECT_EQ(g.rew[0], 40.0f);
  EXPECT_EQ(g.next_obs[3], -1.0f);
  Transitions a = s;
  a.append(g);
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a.timeout[1], 0);
  EXPECT_THROW(t.slice(3, 9), InvariantError);
  EXPECT_THROW(t.gather({5}), InvariantError);
}

TEST(Transitions, ResizeThenSetFillsRowsInAnyOrder) {
  const Transitions ref = make(4);
  Transitions t;
  t.obs_dim = 2;
  t.act_dim = 1;
  t.resize(4);
  t.check_consistent();
  EXPECT_EQ(t.rew, std::vector<float>(4, 0.0f));
  for (std::size_t i : {3u, 0u, 2u, 1u}) {
    t.set(i, &ref.obs[2 * i], &ref.act[i], ref.rew[i], &ref.next_obs[2 * i], ref.terminal[i] != 0,
          ref.timeout[i] != 0);
  }
  EXPECT_EQ(t.obs, ref.obs);
  EXPECT_EQ(t.act, ref.act);
  EXPECT_EQ(t.rew, ref.rew);
  EXPECT_EQ(t.next_obs, ref.next_obs);
  EXPECT_EQ(t.terminal, ref.terminal);
  EXPECT_EQ(t.timeout, ref.timeout);
  EXPECT_THROW(t.set(4, &ref.obs[0], &ref.act[0], 0.0f, &ref.obs[0], false, false), InvariantError);
}

// make(5): row 3 ends in a timeout (row 2 in a terminal, which stays).
TEST(Transitions, DropTimeoutsKeepsTheOtherRowsInOrder) {
  const Transitions t = drop_timeouts(make(5));
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t.rew, (std::vector<float>{0.0f, 10.0f, 20.0f, 40.0f}));
  EXPECT_EQ(t.terminal, (std::vector<std::uint8_t>{0, 0, 1, 0}));
  EXPECT_EQ(t.next_obs[6], 5.0f);  // row 4's next observation (4 + 1)
}

// make(4) observations: dim 0 = 0,1,2,3 (mean 1.5, var 1.25), dim 1 = its negation.
TEST(Transitions, ObservationStatsKnownAnswer) {
  std::vector<float> mean, std;
  observation_stats(make(4), 0.001, &mean, &std);
  ASSERT_EQ(mean.size(), 2u);
  EXPECT_FLOAT_EQ(mean[0], 1.5f);
  EXPECT_FLOAT_EQ(mean[1], -1.5f);
  EXPECT_FLOAT_EQ(std[0], static_cast<float>(std::sqrt(1.25) + 0.001));
  EXPECT_FLOAT_EQ(std[1], static_cast<float>(std::sqrt(1.25) + 0.001));
  observation_stats(make(0), 0.5, &mean, &std);
  EXPECT_EQ(mean, (std::vector<float>{0.0f, 0.0f}));
  EXPECT_EQ(std, (std::vector<float>{0.5f, 0.5f}));
}

TEST(Transitions, KeepNewestDropsTheOldestRows) {
  Transitions t = make(5);
  keep_newest(t, 10);
  EXPECT_EQ(t.size(), 5u);
  keep_newest(t, 2);
  t.check_consistent();
  EXPECT_EQ(t.rew, (std::vector<float>{30.0f, 40.0f}));
  EXPECT_EQ(t.obs, (std::vector<float>{3.0f, -3.0f, 4.0f, -4.0f}));
  EXPECT_EQ(t.act, (std::vector<float>{1.5f, 2.0f}));
  EXPECT_EQ(t.timeout, (std::vector<std::uint8_t>{1, 0}));
}

}  // namespace
}  // namespace mfhrl
