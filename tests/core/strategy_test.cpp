#include "mfhrl/core/strategy.h"

#include <gtest/gtest.h>

#include <limits>

#include "fixture.h"
#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

using testing::expect_throw_with;

// Costs (0.1, 0.3, 1.0), n = 10, IG (0.5, 0.6, 0.9): ratios (0.5, 0.2, 0.09).
StrategyInput input(double beta) {
  return {{0.5, 0.6, 0.9}, {0.1, 0.3, 1.0}, 10, beta, {0.0, 0.0, 0.0}};
}

TEST(Strategy, NamesRoundTrip) {
  for (const char* name : {"igm", "igm-nothreshold", "uniform", "fixed:1", "fixed:3"}) {
    EXPECT_EQ(make_strategy(name, 3)->name(), name);
  }
}

TEST(Strategy, UnknownOrOutOfRangeNamesTheKey) {
  for (const char* bad : {"foo", "IGM", "fixed", "fixed:", "fixed:x", "fixed:-1", "fixed:1.5"}) {
    expect_throw_with<InputError>(
        [bad] { make_strategy(bad, 3); },
        {"strategy", bad, "igm", "igm-nothreshold", "uniform", "fixed:k"});
  }
  expect_throw_with<InputError>([] { make_strategy("fixed:0", 3); },
                                {"strategy", "fixed:0", "[1, 3]"});
  expect_throw_with<InputError>([] { make_strategy("fixed:4", 3); },
                                {"strategy", "fixed:4", "[1, 3]"});
}

TEST(Strategy, IgmFollowsThreshold) {
  const auto s = make_strategy("igm", 3);
  Selection sel;
  EXPECT_EQ(s->choose(input(0.2), &sel), 0);
  EXPECT_FALSE(sel.fell_back);
  EXPECT_EQ(s->choose(input(0.6), &sel), 2);
  EXPECT_TRUE(sel.fell_back);
  EXPECT_EQ(sel.best_level, 0);
  EXPECT_EQ(sel.beta, 0.6);
}

TEST(Strategy, IgmNoThresholdIgnoresBeta) {
  const auto s = make_strategy("igm-nothreshold", 3);
  Selection sel;
  EXPECT_EQ(s->choose(input(std::numeric_limits<double>::infinity()), &sel), 0);
  EXPECT_FALSE(sel.fell_back);
}

TEST(Strategy, FixedNeverLeavesItsLevel) {
  const auto s = make_strategy("fixed:2", 3);
  for (double beta : {0.0, 0.1, 0.6, 1e9}) {
    for (double ig0 : {0.0, 0.5, 10.0}) {
      StrategyInput in = input(beta);
      in.ig[0] = ig0;
      Selection sel;
      EXPECT_EQ(s->choose(in, &sel), 1);
      EXPECT_EQ(sel.level, 1);
      EXPECT_FALSE(sel.fell_back);
      EXPECT_EQ(sel.ig_per_cost.size(), 3u);  // the trace still gets the ratios
    }
  }
}

TEST(Strategy, UniformSharesBudgetWithinOneRound) {
  const auto s = make_strategy("uniform", 3);
  StrategyInput in = input(0.0);
  const std::vector<double> round_cost = {1.0, 3.0, 10.0};  // lambda_k * n
  std::vector<int> first;
  for (int r = 0; r < 301; ++r) {
    const int k = s->choose(in);
    if (r < 3) first.push_back(k);
    in.spent_per_level[static_cast<std::size_t>(k)] += round_cost[static_cast<std::size_t>(k)];
    for (std::size_t a = 0; a < 3; ++a) {
      for (std::size_t b = 0; b < 3; ++b) {
        ASSERT_LE(in.spent_per_level[a] - in.spent_per_level[b], round_cost[a]) << "round " << r;
      }
    }
  }
  // All zero -> level 0 (ties low); then (1, 0, 0) -> 1; then (1, 3, 0) -> 2.
  EXPECT_EQ(first, (std::vector<int>{0, 1, 2}));
  // 30 is a multiple of every round cost and no level passes a multiple of 30 before all reach
  // it, so every 30 + 10 + 3 = 43 rounds the shares meet: 301 = 7 * 43 rounds -> 210 each.
  EXPECT_EQ(in.spent_per_level, (std::vector<double>{210.0, 210.0, 210.0}));
}

TEST(Strategy, UniformNeedsSpentPerLevel) {
  StrategyInput in = input(0.0);
  in.spent_per_level = {0.0};
  EXPECT_THROW(make_strategy("uniform", 3)->choose(in), InvariantError);
}

}  // namespace
}  // namespace mfhrl
