// Discriminator: learns the density ratio of two Gaussians, clamps, saves and loads.
#include "mfhrl/learn/discriminator.h"

#include <cmath>

#include "fixture.h"
#include "mfhrl/core/error.h"
#include "toy.h"

namespace mfhrl::learn {
namespace {

// s ~ N(0,1), a ~ U(-1,1) at both; s' ~ N(0,1) on the real system and N(shift,1) in simulation.
Transitions gaussian_batch(Rng& rng, int n, double shift) {
  Transitions t;
  t.obs_dim = 1;
  t.act_dim = 1;
  for (int i = 0; i < n; ++i) {
    const float o = static_cast<float>(rng.normal());
    const float a = static_cast<float>(rng.uniform(-1.0, 1.0));
    const float o2 = static_cast<float>(shift + rng.normal());
    t.push(&o, &a, 0.0f, &o2, false, false);
  }
  return t;
}

// Rows (0, 0, s') for the given next states.
Transitions probe(const std::vector<float>& next) {
  Transitions t;
  t.obs_dim = 1;
  t.act_dim = 1;
  const float zero = 0.0f;
  for (float o2 : next) t.push(&zero, &zero, 0.0f, &o2, false, false);
  return t;
}

Discriminator trained(const AgentSpec& s, int steps) {
  Discriminator d(s, 1, 0);
  Rng rng(1, Stream::kTest, 1);
  for (int i = 0; i < steps; ++i) {
    const Transitions real = gaussian_batch(rng, 128, 0.0);
    const Transitions sim = gaussian_batch(rng, 128, 1.0);
    EXPECT_TRUE(std::isfinite(d.train_step(real, sim)));
  }
  return d;
}

TEST(DiscriminatorTest, RatioMatchesAnalyticGaussianRatio) {
  AgentSpec s = toy::small_spec(1, 1);
  s.h2o.disc_lr = 1e-3;
  const Discriminator d = trained(s, 1500);
  // With input noise 0.1 both s' densities have variance 1.01: log w = (1 - 2 s') / 2.02, which is
  // inside [1e-5, 1] for s' in [0.5, 12.1].
  const std::vector<float> next = {0.75f, 1.0f, 1.5f, 2.0f, 2.5f};
  const std::vector<float> w = d.dynamics_ratio(probe(next));
  ASSERT_EQ(w.size(), next.size());
  for (std::size_t i = 0; i < next.size(); ++i) {
    const double truth = std::exp((1.0 - 2.0 * next[i]) / 2.02);
    EXPECT_NEAR(std::log(w[i]), std::log(truth), 0.25) << "s' = " << next[i];
  }
  // Outside: clamped to 1 above; below, the bounded logits (2 tanh) keep log w >= -4.
  const std::vector<float> out = d.dynamics_ratio(probe({-2.0f, 40.0f}));
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_GE(out[1], std::exp(-4.0f) * 0.999f);
  EXPECT_LT(out[1], 0.05f);
}

// u(s,a) = mean over resampled s'' of log P_sim/P_real = (2 s'' - 1) / 2.02 for these Gaussians:
// about 1.98 at s' = 2.5 (the noise is symmetric and the log ratio linear), and clamped to 1e-45
// at s' = -1, where the real system is the likelier one.
TEST(DiscriminatorTest, DynamicsGapMatchesAnalyticGaussianGap) {
  AgentSpec s = toy::small_spec(1, 1);
  s.h2o.disc_lr = 1e-3;
  const Discriminator d = trained(s, 1500);
  Rng rng(3, Stream::kTest, 0);
  const SimRowWeights w = d.row_weights(probe({2.5f, -1.0f}), {0.1f}, 10, rng);
  ASSERT_EQ(w.gap.size(), 2u);
  ASSERT_EQ(w.ratio.size(), 2u);
  EXPECT_NEAR(w.gap[0], 1.98, 0.3);
  EXPECT_LT(w.gap[1], 1e-30f);
  EXPECT_GE(w.gap[1], 0.0f);
  EXPECT_EQ(w.ratio, d.dynamics_ratio(probe({2.5f, -1.0f})));
  Rng same(3, Stream::kTest, 0);
  EXPECT_EQ(d.row_weights(probe({2.5f, -1.0f}), {0.1f}, 10, same).gap, w.gap);  // keyed by rng
}

TEST(DiscriminatorTest, SaveLoadContinuesBitIdentically) {
  AgentSpec s = toy::small_spec(1, 1);
  Discriminator a = trained(s, 3);
  Discriminator b(s, 2, 3);
  b.load_state(a.state());
  EXPECT_TRUE(toy::same_blobs(a.state(), b.state()));
  Rng rng(2, Stream::kTest, 0);
  const Transitions real = gaussian_batch(rng, 32, 0.0), sim = gaussian_batch(rng, 32, 1.0);
  EXPECT_EQ(a.train_step(real, sim), b.train_step(real, sim));
  EXPECT_TRUE(toy::same_blobs(a.state(), b.state()));
  EXPECT_EQ(a.dynamics_ratio(sim), b.dynamics_ratio(sim));
  EXPECT_FALSE(toy::same_blobs(Discriminator(s, 1, 0).state(), Discriminator(s, 1, 1).state()));
  testing::expect_throw_with<InputError>([&] { b.load_state({}); }, {"missing", "d_sa/"});
}

// What the ranks of a multi-rank run exchange: a parameter snapshot gives another discriminator
// the same classifiers, bit for bit, and leaves its own Adam state and noise stream alone.
TEST(DiscriminatorTest, ParameterSnapshotGivesTheSameWeights) {
  AgentSpec s = toy::small_spec(1, 1);
  const Discriminator a = trained(s, 3);
  Discriminator b(s, 2, 3);
  const TensorBlobs before = b.state();
  Rng rng(2, Stream::kTest, 0);
  const Transitions sim = gaussian_batch(rng, 32, 1.0);
  EXPECT_NE(a.dynamics_ratio(sim), b.dynamics_ratio(sim));
  b.set_parameters(a.parameters());
  EXPECT_EQ(b.parameters(), a.parameters());
  EXPECT_EQ(a.dynamics_ratio(sim), b.dynamics_ratio(sim));
  Rng ra(5, Stream::kTest, 0), rb(5, Stream::kTest, 0);
  const SimRowWeights wa = a.row_weights(sim, {0.5f}, 4, ra),
                      wb = b.row_weights(sim, {0.5f}, 4, rb);
  EXPECT_EQ(wa.ratio, wb.ratio);
  EXPECT_EQ(wa.gap, wb.gap);
  // Only the networks moved: the Adam moments and the noise stream are b's own.
  const TensorBlobs after = b.state();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    const bool network = after[i].name.rfind("d_sa", 0) == 0;  // d_sa/... and d_sas/...
    if (!network) EXPECT_EQ(after[i].bytes, before[i].bytes) << after[i].name;
  }
  // D_sa (2 -> 32 -> 32 -> 2) holds 64+32 + 1024+32 + 64+2 = 1218 values, D_sas (3 inputs) 1250.
  EXPECT_EQ(a.parameters().size(), 2468u);
  std::vector<float> short_by_one = a.parameters();
  short_by_one.pop_back();
  EXPECT_THROW(b.set_parameters(short_by_one), InvariantError);
}

TEST(DiscriminatorTest, BadSpecIsInputError) {
  AgentSpec s = toy::small_spec(1, 1);
  s.h2o.disc_hidden = {};
  testing::expect_throw_with<InputError>([&] { Discriminator(s, 0, 0); }, {"h2o.disc_hidden"});
}

}  // namespace
}  // namespace mfhrl::learn
