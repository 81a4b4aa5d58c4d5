#include "mfhrl/core/regret.h"

#include <gtest/gtest.h>

namespace mfhrl {
namespace {

TEST(Regret, InstantRegret) {
  EXPECT_EQ(instant_regret(1000.0, 400.0), 600.0);
  EXPECT_EQ(instant_regret(1000.0, 1200.0), -200.0);  // can beat the reference
}

TEST(Regret, AccumulatorByHand) {
  // (regret, cost): (600, 10), (200, 30), (-50, 5)
  // cumulative 600 + 200 - 50 = 750; cost-weighted 6000 + 6000 - 250 = 11750.
  RegretAccumulator acc;
  acc.add(600.0, 10.0);
  acc.add(200.0, 30.0);
  acc.add(-50.0, 5.0);
  EXPECT_EQ(acc.rounds, 3);
  EXPECT_DOUBLE_EQ(acc.cumulative, 750.0);
  EXPECT_DOUBLE_EQ(acc.cost_weighted, 11750.0);
  // Rebuilt from its three fields (what a checkpoint stores), the next round adds to them:
  // (10, 2) -> 4 rounds, 760, 11770.
  RegretAccumulator resumed{acc.rounds, acc.cumulative, acc.cost_weighted};
  resumed.add(10.0, 2.0);
  EXPECT_EQ(resumed.rounds, 4);
  EXPECT_DOUBLE_EQ(resumed.cumulative, 760.0);
  EXPECT_DOUBLE_EQ(resumed.cost_weighted, 11770.0);
}

TEST(Regret, D4rlNormalizedScore) {
  EXPECT_NEAR(d4rl_normalized_score(-280.178953), 0.0, 1e-12);
  EXPECT_NEAR(d4rl_normalized_score(12135.0), 100.0, 1e-12);
  // 100 * 280.178953 / 12415.178953 and 100 * 6280.178953 / 12415.178953.
  EXPECT_NEAR(d4rl_normalized_score(0.0), 2.2567451831396887, 1e-12);
  EXPECT_NEAR(d4rl_normalized_score(6000.0), 50.58468328789139, 1e-12);
}

}  // namespace
}  // namespace mfhrl
