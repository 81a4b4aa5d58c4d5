#include "mfhrl/core/posterior.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fixture.h"
#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

using testing::expect_throw_with;

TEST(Posterior, UniformPrior) {
  const auto p = uniform_prior(4);
  ASSERT_EQ(p.size(), 4u);
  for (double x : p) EXPECT_DOUBLE_EQ(x, 0.25);
  EXPECT_THROW(uniform_prior(0), InvariantError);
}

TEST(Posterior, ThreePoliciesByHand) {
  // Weights (1/3)·(e^0, e^-ln2, e^-ln4) = (1/3)·(1, 1/2, 1/4); the sum 7/12 normalizes to
  // (4/7, 2/7, 1/7).
  const auto p = posterior_update(uniform_prior(3), {0.0, std::log(2.0), std::log(4.0)}, 1.0);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_NEAR(p[0], 4.0 / 7.0, 1e-15);
  EXPECT_NEAR(p[1], 2.0 / 7.0, 1e-15);
  EXPECT_NEAR(p[2], 1.0 / 7.0, 1e-15);
}

TEST(Posterior, EtaScalesTheLosses) {
  // eta = 2 on losses (0, ln2/2): weights (1, e^-ln2) = (1, 1/2) -> (2/3, 1/3).
  const auto p = posterior_update({0.5, 0.5}, {0.0, std::log(2.0) / 2.0}, 2.0);
  EXPECT_NEAR(p[0], 2.0 / 3.0, 1e-15);
  EXPECT_NEAR(p[1], 1.0 / 3.0, 1e-15);
}

TEST(Posterior, NonUniformPriorAndZeroEntries) {
  // (1/2 e^-ln2, 1/4, 1/4 e^-1e4) = (1/4, 1/4, 0) -> (1/2, 1/2, 0).
  const auto p = posterior_update({0.5, 0.25, 0.25}, {std::log(2.0), 0.0, 1e4}, 1.0);
  EXPECT_NEAR(p[0], 0.5, 1e-15);
  EXPECT_NEAR(p[1], 0.5, 1e-15);
  EXPECT_EQ(p[2], 0.0);
  // A zero prior entry stays zero even with the lowest loss.
  const auto q = posterior_update({0.5, 0.5, 0.0}, {1.0, 1.0, -5.0}, 1.0);
  EXPECT_NEAR(q[0], 0.5, 1e-15);
  EXPECT_NEAR(q[1], 0.5, 1e-15);
  EXPECT_EQ(q[2], 0.0);
}

TEST(Posterior, StableForLargeLosses) {
  // exp(-1e4) underflows to 0 in double; log-sum-exp keeps the ratio e^-ln3 = 1/3 -> (3/4, 1/4).
  const auto p = posterior_update({0.5, 0.5}, {1e4, 1e4 + std::log(3.0)}, 1.0);
  EXPECT_NEAR(p[0], 0.75, 1e-9);
  EXPECT_NEAR(p[1], 0.25, 1e-9);
  // A 1e4 difference leaves a point mass, not NaN.
  const auto q = posterior_update({0.5, 0.5}, {1e4, 2e4}, 1.0);
  EXPECT_EQ(q[0], 1.0);
  EXPECT_EQ(q[1], 0.0);
  const auto r = posterior_update({0.5, 0.5}, {-1e4, 1e4}, 1.0);
  EXPECT_EQ(r[0], 1.0);
  EXPECT_EQ(r[1], 0.0);
  // One policy is always certain.
  const auto one = posterior_update({1.0}, {1e4}, 1.0);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], 1.0);
}

TEST(Posterior, EntropyKnownValues) {
  EXPECT_NEAR(entropy_nats(uniform_prior(4)), std::log(4.0), 1e-15);
  EXPECT_EQ(entropy_nats({0.0, 1.0, 0.0}), 0.0);
  // -(1/2 ln 1/2 + 2 * 1/4 ln 1/4) = 1/2 ln2 + ln2 = 1.5 ln2.
  EXPECT_NEAR(entropy_nats({0.5, 0.25, 0.25}), 1.5 * std::log(2.0), 1e-15);
}

TEST(Posterior, MapPolicyTiesToLowestIndex) {
  EXPECT_EQ(map_policy({0.2, 0.5, 0.3}), 1);
  EXPECT_EQ(map_policy({0.1, 0.45, 0.45}), 1);
  EXPECT_EQ(map_policy({0.25, 0.25, 0.25, 0.25}), 0);
}

TEST(Posterior, ThompsonDrawFollowsProbabilities) {
  const std::vector<double> p = {0.5, 0.0, 0.25, 0.25};
  Rng rng(11, Stream::kThompson, 0);
  int counts[4] = {0, 0, 0, 0};
  const int n = 40000;
  for (int i = 0; i < n; ++i) ++counts[sample_policy(p, rng)];
  EXPECT_EQ(counts[1], 0);
  EXPECT_NEAR(counts[0] / double(n), 0.5, 0.01);
  EXPECT_NEAR(counts[2] / double(n), 0.25, 0.01);
  EXPECT_NEAR(counts[3] / double(n), 0.25, 0.01);
  // Same stream, same draw.
  Rng a(3, Stream::kThompson, 7), b(3, Stream::kThompson, 7);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(sample_policy(p, a), sample_policy(p, b));
  // A point mass is always drawn.
  Rng c(1, Stream::kTest, 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sample_policy({0.0, 0.0, 1.0}, c), 2);
}

TEST(Posterior, NonFiniteLossesNameRoundAndPolicy) {
  EXPECT_NO_THROW(check_finite_losses({0.0, 1e30, -3.0}, 1));
  expect_throw_with<NumericalError>(
      [] {
        check_finite_losses({0.0, 1.0, std::nan("")}, 7);
      },
      {"round 7", "policy 2", "nan"});
  expect_throw_with<NumericalError>(
      [] { check_finite_losses({std::numeric_limits<double>::infinity()}, 3); },
      {"round 3", "policy 0", "inf"});
  expect_throw_with<NumericalError>(
      [] {
        posterior_update({0.5, 0.5}, {0.0, std::nan("")}, 1.0);
      },
      {"policy 1"});
}

TEST(Posterior, SegmentReturnLossesByHand) {
  // Segments {1, 2, 3}, {4, 6}, {-1} and an empty one: minus the means -> -2, -5, 1, 0.
  const std::vector<double> l = segment_return_losses({1, 2, 3, 4, 6, -1}, {3, 2, 1, 0});
  EXPECT_EQ(l, (std::vector<double>{-2.0, -5.0, 1.0, 0.0}));
  // The higher mean reward gets the lower loss, so the posterior moves toward it.
  const std::vector<double> p =
      posterior_update({0.5, 0.5}, segment_return_losses({0, 2}, {1, 1}), 1.0);
  EXPECT_GT(p[1], p[0]);
  EXPECT_NEAR(p[1] / p[0], std::exp(2.0), 1e-12);
  expect_throw_with<InvariantError>(
      [] {
        segment_return_losses({1, 2, 3}, {1, 1});
      },
      {"counts sum to 2", "3 rewards"});
  expect_throw_with<InvariantError>([] { segment_return_losses({1, 2}, {2, 1}); }, {"exceed"});
  expect_throw_with<InvariantError>([] { segment_return_losses({1}, {-1, 2}); }, {"segment 0"});
}

TEST(Posterior, BadInput) {
  for (double eta : {0.0, -1.0, std::nan("")}) {
    expect_throw_with<InputError>(
        [eta] {
          posterior_update({0.5, 0.5}, {0.0, 0.0}, eta);
        },
        {"posterior.eta", "> 0"});
  }
  EXPECT_THROW(posterior_update({0.5, 0.5}, {0.0}, 1.0), InvariantError);
  EXPECT_THROW(posterior_update({1.5, -0.5}, {0.0, 0.0}, 1.0), InvariantError);
  EXPECT_THROW(posterior_update({0.0, 0.0}, {0.0, 0.0}, 1.0), InvariantError);
  EXPECT_THROW(posterior_update({}, {}, 1.0), InvariantError);
  EXPECT_THROW(entropy_nats({-0.1, 1.1}), InvariantError);
  EXPECT_THROW(map_policy({}), InvariantError);
}

TEST(Posterior, TemperByHand) {
  // rho 1/2: square roots. (0.8, 0.2, 0) -> (sqrt 0.8, sqrt 0.2, 0), whose ratio is 2: (2/3, 1/3,
  // 0).
  const auto a = temper_posterior({0.8, 0.2, 0.0}, 0.5);
  EXPECT_NEAR(a[0], 2.0 / 3.0, 1e-15);
  EXPECT_NEAR(a[1], 1.0 / 3.0, 1e-15);
  EXPECT_EQ(a[2], 0.0);
  // (1/2, 1/4, 1/4) -> (1/sqrt 2, 1/2, 1/2) / (1/sqrt 2 + 1) = (1/(1 + sqrt 2), 1/(2 + sqrt 2),
  // ..).
  const auto b = temper_posterior({0.5, 0.25, 0.25}, 0.5);
  EXPECT_NEAR(b[0], 1.0 / (1.0 + std::sqrt(2.0)), 1e-15);
  EXPECT_NEAR(b[1], 1.0 / (2.0 + std::sqrt(2.0)), 1e-15);
  // rho 1 keeps every bit; a tiny rho flattens toward uniform over the support.
  const std::vector<double> p = {0.7, 0.1, 0.2};
  EXPECT_EQ(temper_posterior(p, 1.0), p);
  const auto flat = temper_posterior({0.9, 0.1}, 1e-9);
  EXPECT_NEAR(flat[0], 0.5, 1e-8);
  // Forgetting then one update: log-weights rho * log p - eta L. From (0.8, 0.2) with rho 1/2
  // and losses (0, log 2) at eta 1: (2/3, 1/3) * (1, 1/2) -> (4/5, 1/5).
  const auto c = posterior_update(temper_posterior({0.8, 0.2}, 0.5), {0.0, std::log(2.0)}, 1.0);
  EXPECT_NEAR(c[0], 0.8, 1e-15);
  for (double bad : {0.0, -0.5, 1.5, std::nan("")}) {
    EXPECT_THROW(temper_posterior(p, bad), InputError) << bad;
  }
  EXPECT_THROW(temper_posterior({0.0, 0.0}, 0.5), InvariantError);
}

}  // namespace
}  // namespace mfhrl
