#include "mfhrl/core/information_gain.h"

#include <gtest/gtest.h>

#include <cmath>

#include "mfhrl/core/error.h"
#include "mfhrl/core/posterior.h"

namespace mfhrl {
namespace {

const double kLn2 = std::log(2.0);

// Prior (1/2, 1/4, 1/4): H = 1.5 bits. Five batches, with eta = 1 (1e4 acts as "excluded"):
//   2 x (ln2, 0, 1e4)   -> (1/4, 1/4, 0) -> (1/2, 1/2, 0)   H = 1 bit
//   2 x (ln2, 1e4, 0)   -> (1/4, 0, 1/4) -> (1/2, 0, 1/2)   H = 1 bit
//   1 x (1e4, 1e4, 0)   -> (0, 0, 1)                         H = 0
// Mean H = 4/5 = 0.8 bits, so IG = 1.5 - 0.8 = 0.7 bits = 0.7 ln2 nats.
std::vector<std::vector<double>> five_batches() {
  return {{kLn2, 0.0, 1e4}, {kLn2, 0.0, 1e4}, {kLn2, 1e4, 0.0}, {kLn2, 1e4, 0.0}, {1e4, 1e4, 0.0}};
}

const std::vector<double> kPrior = {0.5, 0.25, 0.25};

TEST(InformationGain, HandExampleInNats) {
  EXPECT_NEAR(level_information_gain(kPrior, five_batches(), 1.0), 0.7 * kLn2, 1e-12);
}

TEST(InformationGain, EmptyHistoryIsOptimistic) {
  EXPECT_NEAR(level_information_gain(kPrior, {}, 1.0), 1.5 * kLn2, 1e-15);
}

TEST(InformationGain, UninformativeBatchesGainNothing) {
  // Equal losses leave the posterior at the prior: H - H = 0.
  EXPECT_NEAR(level_information_gain(kPrior, {{3.0, 3.0, 3.0}, {0.0, 0.0, 0.0}}, 1.0), 0.0, 1e-15);
}

TEST(InformationGain, PerLevel) {
  const LevelLossHistory history = {five_batches(), {}, {{1.0, 1.0, 1.0}}};
  const auto ig = information_gain(kPrior, history, 1.0);
  ASSERT_EQ(ig.size(), 3u);
  EXPECT_NEAR(ig[0], 0.7 * kLn2, 1e-12);
  EXPECT_NEAR(ig[1], 1.5 * kLn2, 1e-15);
  EXPECT_NEAR(ig[2], 0.0, 1e-15);
}

TEST(IgLossMatrix, LayoutIsRowMajorPolicyLevelBatch) {
  IgLossMatrix m(2, 3, 2);
  EXPECT_EQ(m.size(), 12u);
  for (std::size_t i = 0; i < m.size(); ++i) EXPECT_EQ(m.data()[i], 0.0);
  m.at(1, 2, 1) = 5.0;  // 1*(3*2) + 2*2 + 1 = 11
  m.at(0, 1, 0) = 7.0;  // 0 + 1*2 + 0 = 2
  EXPECT_EQ(m.data()[11], 5.0);
  EXPECT_EQ(m.data()[2], 7.0);
  EXPECT_EQ(m.count(0), 0);
  m.set_count(2, 2);
  EXPECT_EQ(m.count(2), 2);
  EXPECT_THROW(m.at(2, 0, 0), InvariantError);
  EXPECT_THROW(m.at(0, 3, 0), InvariantError);
  EXPECT_THROW(m.at(0, 0, 2), InvariantError);
  EXPECT_THROW(m.set_count(0, 3), InvariantError);
}

TEST(IgLossMatrix, TwoRanksSumToTheWholeAndUnpack) {
  // 3 policies, 2 levels, M = 2; level 1 has one batch. Rank 0 owns policy 0, rank 1 owns 1..2.
  const LevelLossHistory history = {{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, {{7.0, 8.0, 9.0}}};
  const IgLossMatrix whole = pack_ig_losses(history, 3, 2, 0, 3);
  IgLossMatrix sum = pack_ig_losses(history, 3, 2, 0, 1);
  const IgLossMatrix part1 = pack_ig_losses(history, 3, 2, 1, 3);
  EXPECT_EQ(sum.at(1, 0, 0), 0.0);  // not rank 0's policy
  EXPECT_EQ(part1.at(0, 0, 0), 0.0);
  for (std::size_t i = 0; i < sum.size(); ++i) sum.data()[i] += part1.data()[i];  // allreduce
  for (std::size_t i = 0; i < sum.size(); ++i) EXPECT_EQ(sum.data()[i], whole.data()[i]);
  EXPECT_EQ(whole.at(2, 1, 0), 9.0);
  EXPECT_EQ(whole.at(2, 1, 1), 0.0);  // padding
  EXPECT_EQ(whole.count(0), 2);
  EXPECT_EQ(whole.count(1), 1);
  EXPECT_EQ(unpack_ig_losses(sum), history);
}

TEST(IgLossMatrix, PackRefusesInconsistentHistory) {
  EXPECT_THROW(pack_ig_losses({{{1.0, 2.0}}}, 3, 2, 0, 3), InvariantError);  // 2 losses for 3
  EXPECT_THROW(pack_ig_losses({{{1.0}, {2.0}, {3.0}}}, 1, 2, 0, 1), InvariantError);  // > M
  EXPECT_THROW(pack_ig_losses({{}}, 2, 2, 1, 3), InvariantError);  // policies out of range
}

TEST(InformationGain, TrustScalesEachLevelsEta) {
  const std::vector<double> prior{0.5, 0.5};
  const LevelLossHistory h = {{{0.0, 2.0}}, {{0.0, 2.0}}, {{0.0, 2.0}}, {}};
  const std::vector<double> ig = information_gain(prior, h, 1.0, {1.0, 0.5, 0.0, 0.0});
  EXPECT_EQ(ig[0], level_information_gain(prior, h[0], 1.0));  // full trust: eta
  EXPECT_EQ(ig[1], level_information_gain(prior, h[1], 0.5));  // half trust: eta / 2
  EXPECT_LT(ig[1], ig[0]);
  EXPECT_EQ(ig[2], 0.0);            // no trust: the batch cannot move the posterior
  EXPECT_EQ(ig[3], std::log(2.0));  // no history: optimistic H(p) whatever the trust
  EXPECT_THROW(information_gain(prior, h, 1.0, {1.0}), InvariantError);
  EXPECT_THROW(information_gain(prior, h, 1.0, {1.0, 1.0, 1.0, 1.5}), InvariantError);
}

}  // namespace
}  // namespace mfhrl
