#include "mfhrl/core/selection.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fixture.h"
#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

using testing::expect_throw_with;
const double kInf = std::numeric_limits<double>::infinity();

TEST(Threshold, RemainingAndSpentByHand) {
  // remaining: Gamma_r = 100 - 75 = 25 -> 1/5.  spent: Gamma_r = 75 -> 1/sqrt(75) = 0.11547005...
  EXPECT_DOUBLE_EQ(threshold_beta(1.0, 100.0, 75.0, ThresholdBudget::kRemaining), 0.2);
  EXPECT_NEAR(threshold_beta(1.0, 100.0, 75.0, ThresholdBudget::kSpent), 0.11547005383792514,
              1e-15);
  // c_beta = 2, spent 1 of 10: remaining 9 -> 2/3, spent 1 -> 2.
  EXPECT_NEAR(threshold_beta(2.0, 10.0, 1.0, ThresholdBudget::kRemaining), 2.0 / 3.0, 1e-15);
  EXPECT_DOUBLE_EQ(threshold_beta(2.0, 10.0, 1.0, ThresholdBudget::kSpent), 2.0);
}

TEST(Threshold, EntropyRateByHand) {
  // c_beta 2, H = ln 4 nats, remaining 100 - 75 = 25 cost units: 2 ln4 / 25 nats per cost unit.
  EXPECT_NEAR(
      threshold_beta_entropy_rate(2.0, std::log(4.0), 100.0, 75.0, ThresholdBudget::kRemaining),
      2.0 * std::log(4.0) / 25.0, 1e-15);
  // spent: Gamma_r = 75; a resolved posterior (H = 0) needs no information: beta 0.
  EXPECT_NEAR(threshold_beta_entropy_rate(1.0, 1.5, 100.0, 75.0, ThresholdBudget::kSpent), 0.02,
              1e-15);
  EXPECT_EQ(threshold_beta_entropy_rate(1.0, 0.0, 100.0, 75.0, ThresholdBudget::kSpent), 0.0);
  EXPECT_EQ(threshold_beta_entropy_rate(1.0, 1.0, 10.0, 10.0, ThresholdBudget::kRemaining), kInf);
  EXPECT_EQ(threshold_beta_entropy_rate(0.0, 1.0, 10.0, 10.0, ThresholdBudget::kRemaining), 0.0);
  EXPECT_THROW(threshold_beta_entropy_rate(-1.0, 1.0, 10.0, 1.0, ThresholdBudget::kRemaining),
               InputError);
  EXPECT_EQ(parse_threshold_form("paper"), ThresholdForm::kPaper);
  EXPECT_EQ(parse_threshold_form("entropy_rate"), ThresholdForm::kEntropyRate);
  expect_throw_with<InputError>([] { parse_threshold_form("sqrt"); }, {"igm.threshold", "sqrt"});
}

TEST(Threshold, EmptyBudgetFigureIsInfinite) {
  EXPECT_EQ(threshold_beta(1.0, 10.0, 10.0, ThresholdBudget::kRemaining), kInf);
  EXPECT_EQ(threshold_beta(1.0, 10.0, 0.0, ThresholdBudget::kSpent), kInf);
  // c_beta = 0 switches the threshold off whatever the budget.
  EXPECT_EQ(threshold_beta(0.0, 10.0, 10.0, ThresholdBudget::kRemaining), 0.0);
}

TEST(Threshold, BadInput) {
  expect_throw_with<InputError>(
      [] { threshold_beta(-1.0, 10.0, 0.0, ThresholdBudget::kRemaining); },
      {"igm.threshold_scale", "-1"});
  EXPECT_EQ(parse_threshold_budget("remaining"), ThresholdBudget::kRemaining);
  EXPECT_EQ(parse_threshold_budget("spent"), ThresholdBudget::kSpent);
  expect_throw_with<InputError>([] { parse_threshold_budget("left"); },
                                {"igm.threshold_budget", "left", "remaining", "spent"});
}

// Costs (0.1, 0.3, 1.0), n = 10, IG (0.5, 0.6, 0.9): ratios (0.5, 0.2, 0.09).
const std::vector<double> kCost = {0.1, 0.3, 1.0};
const std::vector<double> kIg = {0.5, 0.6, 0.9};

TEST(SelectLevel, CheapLevelWhenItClearsBeta) {
  const Selection s = select_level(kIg, kCost, 10, 0.2, true);
  EXPECT_EQ(s.level, 0);
  EXPECT_EQ(s.best_level, 0);
  EXPECT_FALSE(s.fell_back);
  EXPECT_EQ(s.beta, 0.2);
  ASSERT_EQ(s.ig_per_cost.size(), 3u);
  EXPECT_NEAR(s.ig_per_cost[0], 0.5, 1e-15);
  EXPECT_NEAR(s.ig_per_cost[1], 0.2, 1e-15);
  EXPECT_NEAR(s.ig_per_cost[2], 0.09, 1e-15);
}

TEST(SelectLevel, TopLevelWhenBestRatioIsBelowBeta) {
  const Selection s = select_level(kIg, kCost, 10, 0.6, true);
  EXPECT_EQ(s.level, 2);
  EXPECT_EQ(s.best_level, 0);
  EXPECT_TRUE(s.fell_back);
  // Without the threshold the same numbers keep k*.
  const Selection t = select_level(kIg, kCost, 10, 0.6, false);
  EXPECT_EQ(t.level, 0);
  EXPECT_FALSE(t.fell_back);
}

TEST(SelectLevel, InfiniteBetaTakesTopLevel) {
  const double beta = threshold_beta(1.0, 5.0, 5.0, ThresholdBudget::kRemaining);
  const Selection s = select_level({100.0, 0.0, 0.0}, kCost, 10, beta, true);
  EXPECT_EQ(s.level, 2);
  EXPECT_TRUE(s.fell_back);
}

TEST(SelectLevel, TiesGoToTheHigherLevel) {
  // Costs and IGs exact in binary: ratios (0.25, 0.25, 0.25) -> level 2; (0.25, 0.25, 0.125) -> 1.
  const std::vector<double> cost = {0.25, 0.5, 1.0};
  EXPECT_EQ(select_level({0.25, 0.5, 1.0}, cost, 4, 0.0, true).level, 2);
  const Selection s = select_level({0.25, 0.5, 0.5}, cost, 4, 0.0, true);
  EXPECT_EQ(s.level, 1);
  EXPECT_EQ(s.best_level, 1);
  EXPECT_FALSE(s.fell_back);
  // Ratio exactly at beta clears it (the test is "below").
  EXPECT_EQ(select_level({0.25, 0.5, 0.5}, cost, 4, 0.25, true).level, 1);
}

TEST(SelectLevel, BadInput) {
  EXPECT_THROW(select_level({0.1, 0.2}, kCost, 10, 0.0, true), InvariantError);
  EXPECT_THROW(select_level(kIg, {0.1, 0.0, 1.0}, 10, 0.0, true), InvariantError);
  EXPECT_THROW(select_level(kIg, kCost, 0, 0.0, true), InvariantError);
  expect_throw_with<NumericalError>(
      [] {
        select_level({0.1, std::nan(""), 0.2}, kCost, 10, 0.0, true);
      },
      {"level 1", "NaN"});
}

}  // namespace
}  // namespace mfhrl
