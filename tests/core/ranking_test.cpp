#include "mfhrl/core/ranking.h"

#include <gtest/gtest.h>

#include <cmath>

#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

TEST(Ranking, AverageRanksShareTies) {
  // 5 < 10 < 20 = 20: ranks 1 and 2, then positions 3 and 4 share (3 + 4) / 2.
  const auto r = average_ranks({10.0, 20.0, 20.0, 5.0});
  ASSERT_EQ(r.size(), 4u);
  EXPECT_DOUBLE_EQ(r[0], 2.0);
  EXPECT_DOUBLE_EQ(r[1], 3.5);
  EXPECT_DOUBLE_EQ(r[2], 3.5);
  EXPECT_DOUBLE_EQ(r[3], 1.0);
}

TEST(Ranking, SpearmanByHand) {
  EXPECT_DOUBLE_EQ(spearman_correlation({1, 2, 3}, {3, 2, 1}), -1.0);
  EXPECT_DOUBLE_EQ(spearman_correlation({0.1, 0.5, 0.2}, {-7, 9, 0}), 1.0);
  // Ranks (1,2,3) and (1,3,2): deviations (-1,0,1) and (-1,1,0), sum of products 1, sums of
  // squares 2 and 2 -> 1/2.
  EXPECT_DOUBLE_EQ(spearman_correlation({1, 2, 3}, {10, 30, 20}), 0.5);
  // x ranks (1, 2.5, 2.5): deviations (-1, .5, .5); y deviations (-1, 0, 1): 1.5 / sqrt(1.5 * 2).
  EXPECT_NEAR(spearman_correlation({1, 2, 2}, {1, 2, 3}), 1.5 / std::sqrt(3.0), 1e-15);
}

TEST(Ranking, SpearmanOfAConstantIsNaN) {
  EXPECT_TRUE(std::isnan(spearman_correlation({0.25, 0.25, 0.25}, {1, 2, 3})));
  EXPECT_THROW(spearman_correlation({1}, {1}), InvariantError);
  EXPECT_THROW(spearman_correlation({1, 2}, {1, NAN}), InvariantError);
}

TEST(Ranking, ArgmaxAndBest) {
  EXPECT_EQ(argmax_index({1, 3, 3, 2}), 1);
  EXPECT_TRUE(is_best({1, 3, 3, 2}, 2));  // a tie for the best counts as best
  EXPECT_FALSE(is_best({1, 3, 3, 2}, 3));
  EXPECT_THROW(argmax_index({}), InvariantError);
  EXPECT_THROW(is_best({1, 2}, 2), InvariantError);
}

TEST(Ranking, EtaFromTheMedianSpread) {
  // Spreads (population std over policies): {0,2} -> 1, {1,1} -> 0, {0,4} -> 2; median 1.
  EXPECT_DOUBLE_EQ(eta_from_loss_spread({{0, 2}, {1, 1}, {0, 4}}, 0.5), 0.5);
  // Two batches, spreads 1 and 3: median 2 -> eta = 1 / 2.
  EXPECT_DOUBLE_EQ(eta_from_loss_spread({{0, 2}, {-3, 3}}, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(eta_from_loss_spread({{1, 1}, {2, 2}}, 1.0), 0.0);
  EXPECT_THROW(eta_from_loss_spread({{1}}, 1.0), InvariantError);
  EXPECT_THROW(eta_from_loss_spread({{0, 2}}, 0.0), InvariantError);
}

TEST(Ranking, LevelTrustByHand) {
  // Top level (index 5) orders the three policies 1 < 2 < 3.
  const std::vector<std::vector<std::vector<double>>> history = {
      {{1, 2, 3}, {2, 4, 6}},  // the same order twice: rho 1, 1 -> 1
      {{1, 3, 2}},             // ranks (1, 3, 2) against (1, 2, 3): rho 0.5
      {},                      // no batch yet: optimistic 1
      {{5, 5, 5}},             // no order at all: rho undefined, counted as 0
      {{3, 1, 2}},             // rho -0.5, clamped to 0
      {{1, 2, 3}}};
  EXPECT_EQ(level_trust(history, 5), (std::vector<double>{1.0, 0.5, 1.0, 0.0, 0.0, 1.0}));
  // Against two top batches in opposite orders a level agrees with neither on average: 0.
  EXPECT_EQ(level_trust({{{1, 2, 3}}, {{1, 2, 3}, {3, 2, 1}}}, 1), (std::vector<double>{0.0, 1.0}));
  // A top level with no batches cannot judge anyone.
  EXPECT_EQ(level_trust({{{1, 2}}, {}}, 1), (std::vector<double>{1.0, 1.0}));
  EXPECT_THROW(level_trust({{}}, 1), InvariantError);
}

TEST(Ranking, PooledTrustSumsBatchesBeforeComparing) {
  // Level 0's batches (1,3,2) and (2,1,3) sum to (3,4,5); the top level's (1,2,4) and (1,1,0) to
  // (2,3,4): the same order, trust 1. Pair by pair they agree 0.5, 0, 0.5 and -sqrt(3)/2 (mean
  // 0.03), which is what level_trust reports. Level 1 sums to (3,2,1), the reverse: clamped to 0.
  // Level 2 has no batches: 0 until it has been compared (level_trust: 1).
  const std::vector<std::vector<std::vector<double>>> history = {
      {{1, 3, 2}, {2, 1, 3}}, {{3, 2, 1}}, {}, {{1, 2, 4}, {1, 1, 0}}};
  EXPECT_EQ(level_trust_pooled(history, 3), (std::vector<double>{1.0, 0.0, 0.0, 1.0}));
  EXPECT_EQ(level_trust(history, 3)[2], 1.0);
  EXPECT_NEAR(level_trust(history, 3)[0], (0.5 + 0.0 + 0.5 - std::sqrt(3.0) / 2) / 4, 1e-12);
  // Sums with every entry equal have no order to compare: 0.
  EXPECT_EQ(level_trust_pooled({{{1, 2}, {2, 1}}, {{1, 2}}}, 1), (std::vector<double>{0.0, 1.0}));
  // Before the top level has a batch no lower level is trusted.
  EXPECT_EQ(level_trust_pooled({{{1, 2}}, {}}, 1), (std::vector<double>{0.0, 1.0}));
  EXPECT_THROW(level_trust_pooled({{}}, 1), InvariantError);
  EXPECT_THROW(level_trust_pooled({{{1, 2, 3}}, {{1, 2}}}, 1), InvariantError);
}

TEST(Ranking, OptimisticTrustAddsABonusThatShrinksWithTheBatches) {
  // Levels: 1 batch at trust 0 -> 0 + 0.5/1; 4 batches at 0.25 -> 0.25 + 0.5/2 = 0.5; 9 batches
  // at 0.9 -> 0.9 + 0.5/3, capped at 1; no batches -> its trust (0.3) unchanged; the top level
  // (index 4) keeps 1.
  const std::vector<double> w = {0.0, 0.25, 0.9, 0.3, 1.0};
  const std::vector<int> m = {1, 4, 9, 0, 2};
  EXPECT_EQ(optimistic_trust(w, m, 4, 0.5), (std::vector<double>{0.5, 0.5, 1.0, 0.3, 1.0}));
  // 2 batches at trust 0.1 with explore 0.2: 0.1 + 0.2 / sqrt(2).
  EXPECT_NEAR(optimistic_trust({0.1, 1.0}, {2, 1}, 1, 0.2)[0], 0.1 + 0.2 / std::sqrt(2.0), 1e-15);
  // explore 0 leaves every bit of the estimate.
  EXPECT_EQ(optimistic_trust(w, m, 4, 0.0), w);
  // The top level is whichever index is named: level 0 here keeps its 0.
  EXPECT_EQ(optimistic_trust({0.0, 0.0}, {3, 1}, 0, 1.0), (std::vector<double>{0.0, 1.0}));
  EXPECT_THROW(optimistic_trust(w, {1, 1}, 4, 0.5), InvariantError);            // counts per level
  EXPECT_THROW(optimistic_trust(w, m, 5, 0.5), InvariantError);                 // top out of range
  EXPECT_THROW(optimistic_trust(w, m, 4, -0.1), InvariantError);                // explore < 0
  EXPECT_THROW(optimistic_trust({1.5, 1.0}, {1, 1}, 1, 0.5), InvariantError);   // trust > 1
  EXPECT_THROW(optimistic_trust({0.5, 1.0}, {-1, 1}, 1, 0.5), InvariantError);  // count < 0
}

}  // namespace
}  // namespace mfhrl
