#include "mfhrl/sim/env.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "fixture.h"
#include "mfhrl/core/error.h"
#include "sim_fixture.h"

namespace mfhrl::sim {
namespace {

using testing::expect_throw_with;
using testing::level_model;
using testing::random_action;

// Observations and rewards of `steps` random-action steps after a reset.
struct Trajectory {
  std::vector<float> obs;
  std::vector<double> rew;
};

Trajectory run(Env& env, int steps, std::uint64_t action_seed) {
  Trajectory t;
  const Observation o0 = env.reset();
  t.obs.assign(o0.begin(), o0.end());
  Rng rng(action_seed, Stream::kTest, 0);
  float next[kObsDim];
  for (int s = 0; s < steps; ++s) {
    const auto a = random_action(rng);
    t.rew.push_back(env.step(a.data(), next).reward);
    t.obs.insert(t.obs.end(), next, next + kObsDim);
  }
  return t;
}

void expect_layout(const Env& env, const float* obs) {
  for (int i = 1; i < kNq; ++i) EXPECT_EQ(obs[i - 1], static_cast<float>(env.qpos()[i])) << i;
  for (int i = 0; i < kNv; ++i) EXPECT_EQ(obs[8 + i], static_cast<float>(env.qvel()[i])) << i;
}

TEST(Env, ObservationIsQposWithoutRootxThenQvel) {
  Env env(level_model("real"), 1, 0);
  const Observation obs = env.reset();
  static_assert(std::tuple_size<Observation>::value == 17);
  expect_layout(env, obs.data());
  float next[kObsDim];
  const float act[kActDim] = {0.5f, -0.5f, 1.0f, 0.0f, 0.25f, -1.0f};
  env.step(act, next);
  expect_layout(env, next);
}

TEST(Env, ResetDrawsFromTheInstanceStream) {
  for (std::uint64_t inst = 0; inst < 5; ++inst) {
    Env env(level_model("real"), 7, inst);
    env.reset();
    // Known answer: qpos0 is zero, so qpos is exactly the stream's uniforms, qvel 0.1x its normals.
    Rng rng(7, Stream::kEnvReset, inst);
    for (int i = 0; i < kNq; ++i) EXPECT_EQ(env.qpos()[i], rng.uniform(-0.1, 0.1)) << i;
    for (int i = 0; i < kNv; ++i) EXPECT_EQ(env.qvel()[i], 0.1 * rng.normal()) << i;
    for (int i = 0; i < kNq; ++i) EXPECT_LE(std::abs(env.qpos()[i]), 0.1);
    for (int i = 0; i < kNv; ++i) EXPECT_LE(std::abs(env.qvel()[i]), 0.6);  // 6 sigma
  }
}

TEST(Env, RewardIsForwardSpeedMinusControlCost) {
  Env env(level_model("real"), 3, 2);
  env.reset();
  Rng rng(3, Stream::kTest, 0);
  float next[kObsDim];
  for (int s = 0; s < 20; ++s) {
    auto a = random_action(rng);
    a[s % kActDim] = 3.0f;  // clipped to 1 before it counts
    const double x_before = env.qpos()[0];
    const double reward = env.step(a.data(), next).reward;
    double ctrl = 0.0;
    for (float x : a) ctrl += std::min(1.0, double{x}) * std::min(1.0, double{x});
    EXPECT_DOUBLE_EQ(reward, (env.qpos()[0] - x_before) / 0.05 - 0.1 * ctrl) << s;
  }
}

TEST(Env, NoisyLevelChargesTheAppliedAction) {
  Env env(level_model("coarse"), 3, 2);
  env.reset();
  const float act[kActDim] = {0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.9f};
  float next[kObsDim];
  const double x_before = env.qpos()[0];
  const double reward = env.step(act, next).reward;
  double ctrl = 0.0;
  for (int j = 0; j < kActDim; ++j) {
    const double a = env.applied_action()[j];
    EXPECT_LE(std::abs(a), 1.0);
    EXPECT_NE(a, double{act[j]}) << j;  // noise std 0.1 moved it
    ctrl += a * a;
  }
  EXPECT_DOUBLE_EQ(reward, (env.qpos()[0] - x_before) / 0.05 - 0.1 * ctrl);
}

TEST(Env, SameSeedAndInstanceGiveBitIdenticalTrajectories) {
  for (const char* level : {"coarse", "real"}) {
    Env a(level_model(level), 11, 3);
    Env b(level_model(level), 11, 3);
    Env other_seed(level_model(level), 12, 3);
    Env other_instance(level_model(level), 11, 4);
    const Trajectory ta = run(a, 50, 1);
    const Trajectory tb = run(b, 50, 1);
    EXPECT_EQ(ta.obs, tb.obs) << level;
    EXPECT_EQ(ta.rew, tb.rew) << level;
    EXPECT_NE(ta.obs, run(other_seed, 50, 1).obs) << level;
    EXPECT_NE(ta.obs, run(other_instance, 50, 1).obs) << level;
  }
}

TEST(Env, LevelsDifferInDynamicsAndPhysicsSteps) {
  const char* names[] = {"coarse", "medium", "real"};
  const std::uint64_t per_step[] = {2, 3, 5};
  std::vector<std::vector<float>> next(3, std::vector<float>(kObsDim));
  std::vector<Observation> first(3);
  for (int k = 0; k < 3; ++k) {
    Env env(level_model(names[k]), 5, 0);
    first[k] = env.reset();
    const float act[kActDim] = {0.5f, -0.3f, 0.2f, 0.7f, -0.6f, 0.1f};
    for (int s = 0; s < 10; ++s) env.step(act, next[k].data());
    EXPECT_EQ(env.physics_steps(), 10 * per_step[k]) << names[k];
  }
  EXPECT_EQ(first[0], first[2]);  // same reset stream, so only the dynamics differ
  EXPECT_NE(next[0], next[1]);
  EXPECT_NE(next[1], next[2]);
  EXPECT_NE(next[0], next[2]);
}

TEST(Env, TimeoutExactlyAtTheLimit) {
  Env env(level_model("real"), 1, 0);
  env.reset();
  float next[kObsDim];
  const float zero[kActDim] = {};
  for (int s = 1; s < 1000; ++s) {
    const StepResult r = env.step(zero, next);
    ASSERT_FALSE(r.timeout) << s;
    ASSERT_FALSE(r.terminal) << s;
  }
  const StepResult last = env.step(zero, next);
  EXPECT_TRUE(last.timeout);
  EXPECT_FALSE(last.terminal);
  EXPECT_FALSE(env.live());
  expect_throw_with<InvariantError>([&] { env.step(zero, next); }, {"reset()"});

  Env short_env(level_model("coarse"), 1, 0, 3);
  short_env.reset();
  EXPECT_FALSE(short_env.step(zero, next).timeout);
  EXPECT_FALSE(short_env.step(zero, next).timeout);
  EXPECT_TRUE(short_env.step(zero, next).timeout);
  short_env.reset();
  EXPECT_EQ(short_env.episode_step(), 0);
  EXPECT_FALSE(short_env.step(zero, next).timeout);
}

TEST(Env, OutOfRangeActionsAreClipped) {
  Env big(level_model("real"), 2, 1);
  Env unit(level_model("real"), 2, 1);
  big.reset();
  unit.reset();
  const float a_big[kActDim] = {5.0f, -7.0f, 1e6f, 0.3f, -1.5f, 2.0f};
  const float a_unit[kActDim] = {1.0f, -1.0f, 1.0f, 0.3f, -1.0f, 1.0f};
  float n_big[kObsDim];
  float n_unit[kObsDim];
  for (int s = 0; s < 5; ++s) {
    EXPECT_EQ(big.step(a_big, n_big).reward, unit.step(a_unit, n_unit).reward);
    for (int i = 0; i < kObsDim; ++i) EXPECT_EQ(n_big[i], n_unit[i]);
  }
}

TEST(Env, NonFiniteActionNamesInstanceAndLevel) {
  Env env(level_model("medium"), 2, 7);
  env.reset();
  float next[kObsDim];
  float act[kActDim] = {0, 0, std::numeric_limits<float>::quiet_NaN(), 0, 0, 0};
  expect_throw_with<NumericalError>([&] { env.step(act, next); },
                                    {"instance 7", "level 'medium'", "action[2]"});
  act[2] = std::numeric_limits<float>::infinity();
  expect_throw_with<NumericalError>([&] { env.step(act, next); }, {"instance 7", "action[2]"});
}

TEST(Env, StateRoundTripContinuesBitForBit) {
  Env a(level_model("coarse"), 21, 0);
  run(a, 10, 4);
  const EnvState saved = a.state();
  Env b(level_model("coarse"), 99, 5);
  b.set_state(saved);
  EXPECT_EQ(b.state().qpos, saved.qpos);
  Rng rng(8, Stream::kTest, 0);
  float na[kObsDim];
  float nb[kObsDim];
  for (int s = 0; s < 30; ++s) {
    const auto act = random_action(rng);
    ASSERT_EQ(a.step(act.data(), na).reward, b.step(act.data(), nb).reward) << s;
    for (int i = 0; i < kObsDim; ++i) ASSERT_EQ(na[i], nb[i]) << s;
  }
  EXPECT_EQ(a.rng_state(), b.rng_state());
  EXPECT_EQ(a.episode_step(), 40);
  EXPECT_EQ(b.episode_step(), 40);
  EnvState bad = saved;
  bad.qvel.pop_back();
  expect_throw_with<InvariantError>([&] { b.set_state(bad); }, {"qvel 8"});
}

TEST(Env, DivergedPhysicsIsANumericalError) {
  Env env(level_model("real"), 1, 4);
  env.reset();
  EnvState s = env.state();
  s.qvel[3] = 1e12;  // beyond MuJoCo's mjMAXVAL: it warns and resets the state
  env.set_state(s);
  float next[kObsDim];
  const float zero[kActDim] = {};
  testing::ExpectLogged expected;
  expect_throw_with<NumericalError>([&] { env.step(zero, next); },
                                    {"instance 4", "level 'real'", "non-finite or huge"});
  EXPECT_FALSE(env.live());
}

TEST(Env, RandomRolloutsAreStableOnEveryDefaultLevel) {
  // The fixture fails on any MuJoCo warning (bad qacc, ...); the env throws on bad numbers.
  for (const char* level : {"coarse", "medium", "real"}) {
    for (std::uint64_t inst = 0; inst < 3; ++inst) {
      Env env(level_model(level), 0, inst);
      const Trajectory t = run(env, 1000, 100 + inst);
      for (float x : t.obs) ASSERT_TRUE(std::isfinite(x)) << level;
      for (float x : t.obs) ASSERT_LT(std::abs(x), 100.0f) << level;
    }
  }
}

}  // namespace
}  // namespace mfhrl::sim
