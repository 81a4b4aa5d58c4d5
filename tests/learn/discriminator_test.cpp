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
  // Outside: clamped exactly to the bounds.
  const std::vector<float> out = d.dynamics_ratio(probe({-2.0f, 40.0f}));
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], static_cast<float>(1e-5));
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

TEST(DiscriminatorTest, BadSpecIsInputError) {
  AgentSpec s = toy::small_spec(1, 1);
  s.h2o.disc_hidden = {};
  testing::expect_throw_with<InputError>([&] { Discriminator(s, 0, 0); }, {"h2o.disc_hidden"});
}

}  // namespace
}  // namespace mfhrl::learn
