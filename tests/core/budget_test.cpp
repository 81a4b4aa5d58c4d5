#include "mfhrl/core/budget.h"

#include <gtest/gtest.h>

#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

TEST(Budget, LastRoundIsTruncated) {
  // Total 1.0 at 0.3 a round: 0.3, 0.3, 0.3, then only 0.1 is left.
  Budget b{1.0, 0.0};
  EXPECT_DOUBLE_EQ(b.remaining(), 1.0);
  const double expected[] = {0.3, 0.3, 0.3, 0.1};
  for (double e : expected) {
    ASSERT_FALSE(b.exhausted());
    EXPECT_NEAR(b.charge(0.3, 1), e, 1e-12);
    EXPECT_LE(b.spent, b.total);
  }
  EXPECT_EQ(b.spent, 1.0);
  EXPECT_EQ(b.remaining(), 0.0);
  EXPECT_TRUE(b.exhausted());
  EXPECT_THROW(b.charge(0.3, 1), InvariantError);
}

TEST(Budget, RoundingLeftoverCountsAsSpent) {
  // 0.3 + 0.3 + 0.3 = 0.8999999999999999 in double: no fourth round of 1e-16.
  Budget b{0.9, 0.0};
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(b.charge(0.03, 10), 0.3, 1e-12);
  EXPECT_TRUE(b.exhausted());
}

TEST(Budget, NeverExceedsTotalOverMixedRounds) {
  // Costs per transition of three levels, n = 7; every charge sums to exactly the total.
  Budget b{100.0, 0.0};
  const double costs[] = {0.1, 0.3, 1.0};
  double charged = 0.0;
  int rounds = 0;
  while (!b.exhausted()) {
    charged += b.charge(costs[rounds % 3], 7);
    ASSERT_LE(b.spent, b.total);
    ++rounds;
  }
  EXPECT_EQ(b.spent, 100.0);
  EXPECT_NEAR(charged, 100.0, 1e-9);
  // Each cycle of three rounds costs 9.8: 10 cycles (98) + 0.7 + 1.3 truncated from 2.1 = 32.
  EXPECT_EQ(rounds, 32);
}

TEST(Budget, UpdatesScaleWithTheRoundsCost) {
  // The demo's levels: 0.1, 0.3 and 1.0 a transition, n = 200, 100 steps per top-level round.
  EXPECT_EQ(updates_for_cost(100, 20.0, 200.0), 10);
  EXPECT_EQ(updates_for_cost(100, 60.0, 200.0), 30);
  EXPECT_EQ(updates_for_cost(100, 200.0, 200.0), 100);
  // A last round truncated to 50 of 200: a quarter of the steps; 1 of 200 gives 0.5 -> 1.
  EXPECT_EQ(updates_for_cost(100, 50.0, 200.0), 25);
  EXPECT_EQ(updates_for_cost(100, 1.0, 200.0), 1);
  EXPECT_EQ(updates_for_cost(100, 0.9, 200.0), 0);
  EXPECT_EQ(updates_for_cost(20, 20.0, 200.0), 2);
  EXPECT_EQ(updates_for_cost(0, 200.0, 200.0), 0);
  EXPECT_THROW(updates_for_cost(100, 20.0, 0.0), InvariantError);
  EXPECT_THROW(updates_for_cost(-1, 20.0, 200.0), InvariantError);
  EXPECT_THROW(updates_for_cost(100, -1.0, 200.0), InvariantError);
}

TEST(Budget, BadCharge) {
  Budget b{1.0, 0.0};
  EXPECT_THROW(b.charge(0.0, 1), InvariantError);
  EXPECT_THROW(b.charge(0.1, 0), InvariantError);
  EXPECT_EQ(b.spent, 0.0);
}

}  // namespace
}  // namespace mfhrl
