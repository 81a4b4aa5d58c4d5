#include "mfhrl/core/rng.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mfhrl {
namespace {

TEST(Rng, SameKeySameSequenceDifferentKeyDifferent) {
  Rng a(7, Stream::kTest, 3), b(7, Stream::kTest, 3), c(7, Stream::kTest, 4),
      d(8, Stream::kTest, 3);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    EXPECT_NE(x, c.next_u64());
    EXPECT_NE(x, d.next_u64());
  }
}

TEST(Rng, StreamsOfDifferentPurposeDiffer) {
  EXPECT_NE(stream_key(0, Stream::kBootstrap, 0), stream_key(0, Stream::kEnvReset, 0));
  EXPECT_NE(stream_key(0, Stream::kBootstrap, 1), stream_key(0, Stream::kBootstrap, 0, 1));
}

TEST(Rng, StateRoundTripContinuesIdentically) {
  Rng a(1, Stream::kTest, 0);
  for (int i = 0; i < 10; ++i) a.normal();
  Rng b(999);
  b.set_state(a.state());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a.normal(), b.normal());
}

TEST(Rng, MomentsOfDistributions) {
  Rng r(3, Stream::kTest, 0);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0, sp = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    const double z = r.normal();
    sn += z;
    sn2 += z * z;
    sp += r.poisson(1.0);
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.01);
  EXPECT_NEAR(sp / n, 1.0, 0.01);
}

TEST(Rng, BelowIsInRangeAndCoversAll) {
  Rng r(5, Stream::kTest, 0);
  int seen[7] = {0};
  for (int i = 0; i < 7000; ++i) {
    const auto x = r.below(7);
    ASSERT_LT(x, 7u);
    ++seen[x];
  }
  for (int c : seen) EXPECT_GT(c, 800);
}

}  // namespace
}  // namespace mfhrl
