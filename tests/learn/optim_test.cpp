// The optimiser loops (src/learn/optim.h): Adam's first step, the fused multiply-adds of the
// moments and of Polyak averaging against exact arithmetic, and independence from position.
#include "optim.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mfhrl/core/rng.h"

namespace mfhrl::learn {
namespace {

// a * b + c rounded once to float. The operands are chosen within a factor of 4 of each other,
// so the long double sum (64-bit significand) of the exact 48-bit product and c is exact.
float fused(float a, float b, float c) {
  return static_cast<float>(static_cast<long double>(a) * b + c);
}

TEST(OptimTest, AdamConstantsAreTorchsFloats) {
  const AdamStep c = adam_step_constants(1e-3, 1);
  EXPECT_EQ(c.beta1, 0.9f);
  EXPECT_EQ(c.one_minus_beta1, static_cast<float>(1.0 - 0.9));
  EXPECT_EQ(c.beta2, 0.999f);
  EXPECT_EQ(c.sqrt_bias2, static_cast<float>(std::sqrt(1.0 - 0.999)));
  EXPECT_EQ(c.eps, 1e-8f);
  EXPECT_EQ(c.step_size, static_cast<float>(-1e-3 / (1.0 - 0.9)));
  // Step 2: bias corrections 1 - 0.9^2 = 0.19 and 1 - 0.999^2 = 0.001999.
  const AdamStep c2 = adam_step_constants(1e-3, 2);
  EXPECT_EQ(c2.step_size, static_cast<float>(-1e-3 / 0.19));
  EXPECT_EQ(c2.sqrt_bias2, static_cast<float>(std::sqrt(1.0 - 0.999 * 0.999)));
}

TEST(OptimTest, AdamFirstStepMovesEachParameterByTheLearningRate) {
  // From zero moments, step 1 gives m = 0.1 g, v = 0.001 g^2, and the bias-corrected step
  // -lr m / 0.1 / (sqrt(v / 0.001) + eps) = -lr sign(g) (up to eps).
  std::vector<float> p = {0.5f, -2.0f, 3.0f}, g = {2.0f, -0.25f, 1e-3f}, m(3, 0.0f), v(3, 0.0f);
  adam_update(p.data(), g.data(), m.data(), v.data(), 3, adam_step_constants(0.01, 1));
  EXPECT_NEAR(p[0], 0.49f, 1e-6);
  EXPECT_NEAR(p[1], -1.99f, 1e-6);
  EXPECT_NEAR(p[2], 2.99f, 1e-5);  // |g| = 1e-3: eps is 1e-5 of sqrt(v / 0.001)
  EXPECT_FLOAT_EQ(m[0], 0.2f);
  EXPECT_FLOAT_EQ(v[0], 0.004f);
  EXPECT_FLOAT_EQ(m[1], -0.025f);
  EXPECT_FLOAT_EQ(v[1], 6.25e-5f);
}

TEST(OptimTest, AdamMomentsAreFusedMultiplyAdds) {
  Rng rng(0, Stream::kTest, 7);
  const std::size_t n = 1000;
  std::vector<float> p(n, 1.0f), g(n), m(n), v(n);
  for (std::size_t i = 0; i < n; ++i) {
    g[i] = static_cast<float>(rng.uniform(0.5, 1.0));
    m[i] = static_cast<float>(rng.uniform(0.5, 1.0));
    v[i] = static_cast<float>(rng.uniform(0.5, 1.0)) * 1e-3f;
  }
  const std::vector<float> m0 = m, v0 = v;
  const AdamStep c = adam_step_constants(1e-3, 5);
  adam_update(p.data(), g.data(), m.data(), v.data(), n, c);
  int unfused_differs = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float want_m = fused(c.one_minus_beta1, g[i], m0[i] * c.beta1);
    const float want_v = fused(c.one_minus_beta2 * g[i], g[i], v0[i] * c.beta2);
    ASSERT_EQ(m[i], want_m) << "element " << i;
    ASSERT_EQ(v[i], want_v) << "element " << i;
    const float unfused_m = m0[i] * c.beta1 + c.one_minus_beta1 * g[i];
    if (unfused_m != want_m) ++unfused_differs;
  }
  // The check can tell the two apart: separate rounding gives other bits for some elements.
  EXPECT_GT(unfused_differs, 10);
}

TEST(OptimTest, PolyakIsOneFusedMultiplyAdd) {
  std::vector<float> dst = {1.0f}, src = {3.0f};
  polyak_update(dst.data(), src.data(), 1, 0.5);
  EXPECT_EQ(dst[0], 2.0f);

  Rng rng(0, Stream::kTest, 8);
  const std::size_t n = 1000;
  std::vector<float> d(n), s(n);
  for (std::size_t i = 0; i < n; ++i) {
    d[i] = static_cast<float>(rng.uniform(0.5, 1.0));
    s[i] = static_cast<float>(rng.uniform(0.5, 1.0)) * 200.0f;  // tau s near (1 - tau) d
  }
  const std::vector<float> d0 = d;
  const double tau = 0.005;
  polyak_update(d.data(), s.data(), n, tau);
  const auto keep = static_cast<float>(1.0 - tau), take = static_cast<float>(tau);
  int unfused_differs = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(d[i], fused(s[i], take, d0[i] * keep)) << "element " << i;
    if (d0[i] * keep + s[i] * take != d[i]) ++unfused_differs;
  }
  EXPECT_GT(unfused_differs, 10);
}

TEST(OptimTest, AnElementsBitsDoNotDependOnItsPosition) {
  // A stack of 7 policies' 9-element tensors stepped at once against each policy's slice alone.
  Rng rng(0, Stream::kTest, 9);
  const std::size_t per = 9, S = 7, n = per * S;
  std::vector<float> p(n), g(n), m(n), v(n);
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = static_cast<float>(rng.normal());
    g[i] = static_cast<float>(rng.normal());
    m[i] = static_cast<float>(rng.normal()) * 0.1f;
    v[i] = static_cast<float>(rng.uniform(0.0, 1e-2));
  }
  std::vector<float> p1 = p, m1 = m, v1 = v, t1 = p;
  const AdamStep c = adam_step_constants(3e-4, 3);
  adam_update(p.data(), g.data(), m.data(), v.data(), n, c);
  polyak_update(t1.data(), p.data(), n, 0.005);
  std::vector<float> t2 = p1;
  for (std::size_t s = 0; s < S; ++s) {
    const std::size_t o = s * per;
    adam_update(p1.data() + o, g.data() + o, m1.data() + o, v1.data() + o, per, c);
    polyak_update(t2.data() + o, p1.data() + o, per, 0.005);
  }
  EXPECT_EQ(p, p1);
  EXPECT_EQ(m, m1);
  EXPECT_EQ(v, v1);
  EXPECT_EQ(t1, t2);
}

}  // namespace
}  // namespace mfhrl::learn
