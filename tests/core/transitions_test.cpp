#include "mfhrl/core/transitions.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mfhrl
