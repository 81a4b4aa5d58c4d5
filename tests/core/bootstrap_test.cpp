#include "mfhrl/core/bootstrap.h"

#include <gtest/gtest.h>

#include <cmath>

#include "fixture.h"
#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

using testing::expect_throw_with;

double mean(const std::vector<float>& w) {
  double s = 0.0;
  for (float x : w) s += x;
  return s / static_cast<double>(w.size());
}

TEST(Bootstrap, ParseGoodSpecs) {
  EXPECT_EQ(parse_bootstrap("poisson").kind, BootstrapSpec::Kind::kPoisson);
  const auto b = parse_bootstrap("bernoulli:0.5");
  EXPECT_EQ(b.kind, BootstrapSpec::Kind::kBernoulli);
  EXPECT_EQ(b.p, 0.5);
  EXPECT_EQ(parse_bootstrap("bernoulli:1").p, 1.0);
  EXPECT_EQ(parse_bootstrap("bernoulli:1e-3").p, 1e-3);
}

TEST(Bootstrap, ParseBadSpecsNameTheKey) {
  for (const char* bad : {"", "Poisson", "poisson ", "bernoulli", "bernoulli:", "bernoulli:0",
                          "bernoulli:1.5", "bernoulli:-0.1", "bernoulli:abc", "bernoulli:0.5x",
                          "bernoulli:nan", "bernoulli: 0.5", "bernoulli:inf"}) {
    expect_throw_with<InputError>(
        [bad] { parse_bootstrap(bad); },
        {"offline.bootstrap", "'" + std::string(bad) + "'", "poisson", "bernoulli:p"});
  }
}

TEST(Bootstrap, PoissonWeightsHaveMeanOne) {
  const auto w = bootstrap_weights(parse_bootstrap("poisson"), 100000, 0, 0);
  ASSERT_EQ(w.size(), 100000u);
  EXPECT_NEAR(mean(w), 1.0, 0.02);
  int zeros = 0;
  for (float x : w) {
    ASSERT_GE(x, 0.0f);
    ASSERT_EQ(x, std::floor(x));  // counts
    zeros += x == 0.0f;
  }
  EXPECT_NEAR(zeros / 100000.0, std::exp(-1.0), 0.01);  // P(Poisson(1) = 0)
}

TEST(Bootstrap, SameKeySameWeightsOtherPolicyOrSeedDiffer) {
  const auto spec = parse_bootstrap("poisson");
  const auto a = bootstrap_weights(spec, 10000, 5, 3);
  EXPECT_EQ(a, bootstrap_weights(spec, 10000, 5, 3));
  for (const auto& other :
       {bootstrap_weights(spec, 10000, 5, 4), bootstrap_weights(spec, 10000, 6, 3)}) {
    int differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) differ += a[i] != other[i];
    EXPECT_GT(differ, 5000);  // independent Poisson(1) pairs differ ~ 63% of the time
  }
}

TEST(Bootstrap, BernoulliGivesZeroOrOne) {
  const auto w = bootstrap_weights(parse_bootstrap("bernoulli:0.5"), 100000, 1, 2);
  for (float x : w) ASSERT_TRUE(x == 0.0f || x == 1.0f);
  EXPECT_NEAR(mean(w), 0.5, 0.01);
  const auto all = bootstrap_weights(parse_bootstrap("bernoulli:1"), 1000, 1, 2);
  EXPECT_EQ(mean(all), 1.0);
}

TEST(Bootstrap, AllZeroDrawKeepsOneRowDeterministically) {
  const auto spec = parse_bootstrap("bernoulli:1e-12");
  const auto w = bootstrap_weights(spec, 5, 9, 1);
  EXPECT_EQ(mean(w) * 5, 1.0);
  EXPECT_EQ(w, bootstrap_weights(spec, 5, 9, 1));
  EXPECT_THROW(bootstrap_weights(spec, 0, 9, 1), InvariantError);
}

TEST(WeightedSampler, NeverDrawsZeroWeightAndFollowsWeights) {
  const std::vector<float> w = {0.0f, 3.0f, 0.0f, 1.0f, 0.0f, 0.0f};
  const WeightedSampler sampler(w);
  EXPECT_EQ(sampler.size(), 6u);
  EXPECT_EQ(sampler.total_weight(), 4.0);
  Rng rng(2, Stream::kMinibatch, 0);
  const auto idx = sampler.sample(40000, rng);
  ASSERT_EQ(idx.size(), 40000u);
  int counts[6] = {0, 0, 0, 0, 0, 0};
  for (auto i : idx) ++counts[i];
  EXPECT_EQ(counts[0] + counts[2] + counts[4] + counts[5], 0);
  EXPECT_NEAR(counts[1] / 40000.0, 0.75, 0.01);
  EXPECT_NEAR(counts[3] / 40000.0, 0.25, 0.01);
}

TEST(WeightedSampler, BootstrapRowsWithZeroWeightAreNeverDrawn) {
  const auto w = bootstrap_weights(parse_bootstrap("poisson"), 1000, 0, 1);
  const WeightedSampler sampler(w);
  Rng rng(0, Stream::kMinibatch, 1);
  std::vector<std::size_t> buf(256);
  for (int step = 0; step < 100; ++step) {
    sampler.sample_into(buf, rng);
    for (auto i : buf) ASSERT_GT(w[i], 0.0f) << "row " << i;
  }
}

TEST(WeightedSampler, SameStreamSameDraws) {
  const WeightedSampler sampler({1.0f, 2.0f, 3.0f});
  Rng a(4, Stream::kMinibatch, 2), b(4, Stream::kMinibatch, 2);
  EXPECT_EQ(sampler.sample(100, a), sampler.sample(100, b));
}

TEST(WeightedSampler, BadWeights) {
  EXPECT_THROW(WeightedSampler({0.0f, 0.0f}), InvariantError);
  EXPECT_THROW(WeightedSampler({1.0f, -1.0f}), InvariantError);
  EXPECT_THROW(WeightedSampler({1.0f, NAN}), InvariantError);
  EXPECT_THROW(WeightedSampler(std::vector<float>{}), InvariantError);
}

}  // namespace
}  // namespace mfhrl
