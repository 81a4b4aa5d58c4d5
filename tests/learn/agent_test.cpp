// Agent: SAC learns a bandit, CQL is conservative, determinism, save/load, critic_loss.
#include "mfhrl/learn/agent.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "fixture.h"
#include "mfhrl/core/error.h"
#include "toy.h"

namespace mfhrl::learn {
namespace {

// One torch thread, as in the application.
class ThreadsEnv : public ::testing::Environment {
 public:
  void SetUp() override { init_threads(); }
};
const auto* const kThreadsEnv = ::testing::AddGlobalTestEnvironment(new ThreadsEnv);

// A 1-d bandit: gamma 0, every row terminal, reward -(a - 0.3)^2.
TEST(AgentTest, SacLearnsContinuousBandit) {
  AgentSpec s = toy::small_spec(1, 1);
  s.net.actor_lr = s.net.critic_lr = s.net.alpha_lr = 3e-3;
  s.net.gamma = 0.0;
  Agent agent(s, 1, 0);
  Rng rng(1, Stream::kTest, 0);
  for (int step = 0; step < 1500; ++step) {
    Transitions mb = toy::random_batch(rng, 1, 1, 64);
    std::fill(mb.terminal.begin(), mb.terminal.end(), 1);
    const UpdateStats st = agent.sac_update(mb);
    ASSERT_TRUE(std::isfinite(st.critic_loss));
    EXPECT_EQ(st.cql_penalty, 0.0);
  }
  for (float o : {-0.5f, 0.0f, 0.5f}) {
    float a = 0.0f;
    agent.act(&o, &a, true, nullptr);
    EXPECT_NEAR(a, 0.3, 0.05) << "obs " << o;
  }
  // The critic learned the reward: Q(0.3) ~ 0 and Q(-0.7) ~ -1.
  const float o = 0.0f, best = 0.3f, worse = -0.7f;
  EXPECT_NEAR(agent.q_value(&o, &best), 0.0, 0.05);
  EXPECT_NEAR(agent.q_value(&o, &worse), -1.0, 0.15);
}

// n rows at actions near -0.5 with reward 0, all terminal; at state `obs` unless it is NaN.
Transitions rows_near_minus_half(Rng& rng, int n, float obs) {
  Transitions mb = toy::random_batch(rng, 1, 1, n);
  for (auto& a : mb.act) a = static_cast<float>(-0.5 + 0.1 * (rng.uniform() - 0.5));
  if (!std::isnan(obs)) std::fill(mb.obs.begin(), mb.obs.end(), obs);
  std::fill(mb.rew.begin(), mb.rew.end(), 0.0f);
  std::fill(mb.terminal.begin(), mb.terminal.end(), 1);
  return mb;
}

// Q(o, -0.5) - Q(o, 0.8), the data action against one no row has, at each state o of `at`,
// after 400 steps with the conservative weight `weight`: CQL steps on 64 rows at random states
// (cql.weight), or H2O steps on 32 real rows at state 1 and 32 simulated rows at state -1
// (h2o.real_penalty, with the gap term off).
std::vector<double> out_of_data_gaps(UpdateKind kind, double weight, std::vector<float> at) {
  AgentSpec s = toy::small_spec(1, 1);
  s.net.actor_lr = s.net.critic_lr = 1e-3;
  s.net.gamma = 0.0;
  s.cql.weight = weight;
  s.h2o.penalty = 0.0;
  s.h2o.real_penalty = weight;
  s.cql.actions = 4;
  Agent agent(s, 2, 0);
  Rng rng(2, Stream::kTest, 0);
  const float random = std::nanf("");
  for (int step = 0; step < 400; ++step) {
    if (kind == UpdateKind::kCql) {
      const Transitions mb = rows_near_minus_half(rng, 64, random);
      EXPECT_TRUE(std::isfinite(agent.cql_update(mb).cql_penalty));
    } else {
      const Transitions real = rows_near_minus_half(rng, 32, 1.0f);
      const Transitions sim = rows_near_minus_half(rng, 32, -1.0f);
      agent.h2o_update(real, sim, SimRowWeights{});
    }
  }
  std::vector<double> gaps;
  const float in = -0.5f, out = 0.8f;
  for (float o : at) gaps.push_back(agent.q_value(&o, &in) - agent.q_value(&o, &out));
  return gaps;
}

TEST(AgentTest, CqlPenaltyPushesDownOutOfDataActions) {
  const double plain = out_of_data_gaps(UpdateKind::kCql, 0.0, {0.0f})[0];
  const double conservative = out_of_data_gaps(UpdateKind::kCql, 5.0, {0.0f})[0];
  EXPECT_LT(std::abs(plain), 0.5);
  EXPECT_GT(conservative, 1.0);
  EXPECT_GT(conservative, plain + 1.0) << "plain gap " << plain;
}

// The term applies at the real rows' states (1), not at the simulated ones (-1); the network
// carries part of it over to -1 (measured: a gap of 23 at 1 against 12 at -1, 0.004 without it).
TEST(AgentTest, H2oRealPenaltyPushesDownUnseenActionsAtTheRealStatesOnly) {
  const std::vector<double> plain = out_of_data_gaps(UpdateKind::kH2o, 0.0, {1.0f, -1.0f});
  const std::vector<double> conservative = out_of_data_gaps(UpdateKind::kH2o, 5.0, {1.0f, -1.0f});
  EXPECT_LT(std::abs(plain[0]), 0.5);
  EXPECT_LT(std::abs(plain[1]), 0.5);
  EXPECT_GT(conservative[0], 1.0);
  EXPECT_GT(conservative[0], conservative[1] + 5.0) << "at the simulated state " << conservative[1];
}

// Q(0, 0.3) after H2O steps where the simulator pays 1 less reward than the real system, all its
// rows weighted by w; no penalty. The loss minimiser is the weighted mean of the two targets,
// 0 * 1 + (-1) * w over 1 + w: 0 for w = 0 and -0.5 for w = 1.
double h2o_q_at_optimum(float w) {
  AgentSpec s = toy::small_spec(1, 1);
  s.net.actor_lr = s.net.critic_lr = s.net.alpha_lr = 3e-3;
  s.net.gamma = 0.0;
  s.h2o.penalty = 0.0;
  Agent agent(s, 3, 0);
  Rng rng(3, Stream::kTest, 0);
  for (int step = 0; step < 800; ++step) {
    Transitions real = toy::random_batch(rng, 1, 1, 64), sim = toy::random_batch(rng, 1, 1, 64);
    std::fill(real.terminal.begin(), real.terminal.end(), 1);
    std::fill(sim.terminal.begin(), sim.terminal.end(), 1);
    for (auto& r : sim.rew) r -= 1.0f;
    agent.h2o_update(real, sim, SimRowWeights{std::vector<float>(64, w), {}});
  }
  const float o = 0.0f, best = 0.3f;
  return agent.q_value(&o, &best);
}

TEST(AgentTest, H2oWeightsSimulatedRowsByTheDynamicsRatio) {
  EXPECT_NEAR(h2o_q_at_optimum(0.0f), 0.0, 0.05);   // biased simulator ignored
  EXPECT_NEAR(h2o_q_at_optimum(1.0f), -0.5, 0.05);  // equal say: half the bias
}

// Q(0, 0) after many updates on zero rewards with gamma 0.9 and no terminals: the Bellman fixed
// point is Q = 0 without the entropy backup, and the discounted entropy bonus with it.
double q_on_zero_rewards(bool backup_entropy) {
  AgentSpec s = toy::small_spec(1, 1);
  s.net.actor_lr = s.net.critic_lr = 3e-3;
  s.net.alpha_lr = 1e-12;  // alpha stays 1, so the bonus stays large
  s.net.gamma = 0.9;
  s.cql.weight = 0.0;
  s.cql.backup_entropy = backup_entropy;
  Agent agent(s, 6, 0);
  Rng rng(6, Stream::kTest, 0);
  for (int step = 0; step < 600; ++step) {
    Transitions mb = toy::random_batch(rng, 1, 1, 64);
    std::fill(mb.rew.begin(), mb.rew.end(), 0.0f);
    std::fill(mb.terminal.begin(), mb.terminal.end(), 0);
    agent.cql_update(mb);
  }
  const float o = 0.0f, a = 0.0f;
  return agent.q_value(&o, &a);
}

TEST(AgentTest, CqlTargetHasNoEntropyBonusUnlessConfigured) {
  EXPECT_NEAR(q_on_zero_rewards(false), 0.0, 0.1);
  // -alpha log pi of the initial 1-d policy (std e^-1) is about 0.9 per step; a tenth of its
  // discounted sum is already far from 0.
  EXPECT_GT(std::abs(q_on_zero_rewards(true)), 1.0);
}

// critic_hidden (CORL's 3x256 critics in the learn benchmark) shapes the four critics only.
TEST(AgentTest, CriticHiddenShapesTheCriticsOnly) {
  AgentSpec s = toy::small_spec(3, 2);  // actor and critics 32-32
  s.critic_hidden = {16, 16, 16};
  const TensorBlobs blobs = Agent(s, 7, 0).state();
  const auto shape = [&](const std::string& name) {
    const TensorBlob* b = toy::find_blob(blobs, name);
    return b == nullptr ? std::vector<std::int64_t>{} : b->shape;
  };
  for (const char* q : {"q1", "q2", "q1_target", "q2_target"}) {
    const std::string p = q;
    EXPECT_EQ(shape(p + "/0.weight"), (std::vector<std::int64_t>{16, 5})) << q;  // 3 + 2 inputs
    EXPECT_EQ(shape(p + "/4.weight"), (std::vector<std::int64_t>{16, 16})) << q;
    EXPECT_EQ(shape(p + "/6.weight"), (std::vector<std::int64_t>{1, 16})) << q;
  }
  EXPECT_EQ(shape("actor/2.weight"), (std::vector<std::int64_t>{32, 32}));
  EXPECT_EQ(shape("actor/4.weight"), (std::vector<std::int64_t>{4, 32}));
}

TEST(AgentTest, ReferenceInitHasSmallLastLayersAndLogStdOffset) {
  const AgentSpec s = toy::small_spec(3, 2);
  const Agent a(s, 7, 0);
  TensorBlobs blobs = a.state();
  auto floats = [&](const std::string& name) {
    const TensorBlob* b = toy::find_blob(blobs, name);
    EXPECT_NE(b, nullptr) << name;
    if (b == nullptr) return std::vector<float>{};
    std::vector<float> v(b->bytes.size() / sizeof(float));
    std::memcpy(v.data(), b->bytes.data(), b->bytes.size());
    return v;
  };
  // Xavier-uniform bound with gain 1e-2 for the actor's 32 -> 4 layer and a critic's 32 -> 1.
  const double actor_bound = 1e-2 * std::sqrt(6.0 / (32 + 4));
  const double critic_bound = 1e-2 * std::sqrt(6.0 / (32 + 1));
  for (float w : floats("actor/4.weight")) EXPECT_LE(std::abs(w), actor_bound);
  for (float w : floats("q1/4.weight")) EXPECT_LE(std::abs(w), critic_bound);
  for (float b : floats("actor/4.bias")) EXPECT_EQ(b, 0.0f);
  for (float b : floats("q2/4.bias")) EXPECT_EQ(b, 0.0f);
  EXPECT_EQ(floats("actor/log_std_scale"), std::vector<float>{1.0f});
  EXPECT_EQ(floats("actor/log_std_offset"), std::vector<float>{-1.0f});
  // A hidden layer keeps torch's default init (bound 1/sqrt(fan_in) = 0.577 for 3 -> 32).
  double widest = 0.0;
  for (float w : floats("actor/0.weight")) widest = std::max(widest, double(std::abs(w)));
  EXPECT_GT(widest, 0.3);
  AgentSpec torch_init = s;
  torch_init.net.init = NetInit::kTorch;
  blobs = Agent(torch_init, 7, 0).state();
  EXPECT_EQ(floats("actor/log_std_offset"), std::vector<float>{0.0f});
  double largest_bias = 0.0;
  for (float b : floats("q1/4.bias")) largest_bias = std::max(largest_bias, double(std::abs(b)));
  EXPECT_GT(largest_bias, 0.0);
}

// The H2O gap term pushes down Q where the dynamics gap u is large: simulated rows at action -0.5
// carry u = 5, those at +0.5 u = 1e-45; both have reward 0, as do the real rows (action 0).
double h2o_gap_q_difference(bool weighted) {
  AgentSpec s = toy::small_spec(1, 1);
  s.net.actor_lr = s.net.critic_lr = 1e-3;
  s.net.gamma = 0.0;
  s.h2o.penalty = 1.0;
  Agent agent(s, 8, 0);
  Rng rng(8, Stream::kTest, 0);
  for (int step = 0; step < 400; ++step) {
    Transitions real = toy::random_batch(rng, 1, 1, 32), sim = toy::random_batch(rng, 1, 1, 32);
    SimRowWeights w;
    for (int i = 0; i < 32; ++i) {
      real.act[i] = 0.0f;
      sim.act[i] = i % 2 == 0 ? -0.5f : 0.5f;
      w.gap.push_back(i % 2 == 0 ? 5.0f : 1e-45f);
    }
    std::fill(real.rew.begin(), real.rew.end(), 0.0f);
    std::fill(sim.rew.begin(), sim.rew.end(), 0.0f);
    if (!weighted) w.gap.clear();
    agent.h2o_update(real, sim, w);
  }
  const float o = 0.0f, gap = -0.5f, trusted = 0.5f;
  return agent.q_value(&o, &trusted) - agent.q_value(&o, &gap);
}

TEST(AgentTest, H2oGapTermPushesDownQWhereTheSimulatorIsUntrustworthy) {
  const double uniform = h2o_gap_q_difference(false);
  const double weighted = h2o_gap_q_difference(true);
  EXPECT_LT(std::abs(uniform), 0.1);
  EXPECT_GT(weighted, 0.3) << "uniform omega gives " << uniform;
}

TEST(AgentTest, ObservationNormalizationIsSavedAndApplied) {
  const AgentSpec s = toy::small_spec(2, 1);
  Agent a(s, 9, 0), b(s, 9, 0);
  a.set_obs_normalization({10.0f, -4.0f}, {2.0f, 0.5f});
  // a on x acts as b on the standardised x.
  const float x[2] = {12.0f, -3.0f}, z[2] = {1.0f, 2.0f};
  float ya = 0.0f, yb = 0.0f;
  a.act(x, &ya, true, nullptr);
  b.act(z, &yb, true, nullptr);
  EXPECT_EQ(ya, yb);
  Agent c(s, 1, 1);
  c.load_actor_state(a.actor_state());
  float yc = 0.0f;
  c.act(x, &yc, true, nullptr);
  EXPECT_EQ(yc, ya);
  EXPECT_THROW(a.set_obs_normalization({0.0f}, {1.0f}), InvariantError);
  EXPECT_THROW(a.set_obs_normalization({0.0f, 0.0f}, {1.0f, 0.0f}), InvariantError);
}

TEST(AgentTest, SameSeedAndIndexGiveIdenticalAgents) {
  const AgentSpec s = toy::small_spec(3, 2);
  const Agent a(s, 5, 1);
  const Agent other(s, 5, 0);  // built in between: must not disturb the next one
  const Agent b(s, 5, 1);
  EXPECT_TRUE(toy::same_blobs(a.state(), b.state()));
  EXPECT_FALSE(toy::same_blobs(a.state(), other.state()));
  EXPECT_FALSE(toy::same_blobs(a.state(), Agent(s, 6, 1).state()));
  const float obs[3] = {0.1f, -0.2f, 0.3f};
  float x[2], y[2];
  Rng ra(9, Stream::kTest, 0), rb(9, Stream::kTest, 0);
  a.act(obs, x, false, &ra);
  b.act(obs, y, false, &rb);
  EXPECT_EQ(x[0], y[0]);
  EXPECT_EQ(x[1], y[1]);
  a.act(obs, x, true, nullptr);
  EXPECT_LE(std::abs(x[0]), 1.0f);
  EXPECT_LE(std::abs(x[1]), 1.0f);
}

// Applies the same three kinds of update, so save/load covers every optimizer and noise draw.
void three_updates(Agent& agent, Rng& rng) {
  const Transitions real = toy::random_batch(rng, 3, 2, 16);
  const Transitions sim = toy::random_batch(rng, 3, 2, 16);
  agent.sac_update(real);
  agent.cql_update(real);
  agent.h2o_update(real, sim, SimRowWeights{std::vector<float>(16, 0.5f), {}});
}

bool same_stats(const UpdateStats& x, const UpdateStats& y) {
  return x.critic_loss == y.critic_loss && x.actor_loss == y.actor_loss && x.alpha == y.alpha &&
         x.cql_penalty == y.cql_penalty && x.q_mean == y.q_mean;
}

TEST(AgentTest, SaveLoadContinuesBitIdentically) {
  const AgentSpec s = toy::small_spec(3, 2);
  Agent a(s, 3, 0);
  Rng rng(3, Stream::kTest, 0);
  three_updates(a, rng);
  const TensorBlobs saved = a.state();
  Agent b(s, 4, 7);  // a different agent, overwritten by the load
  b.load_state(saved);
  EXPECT_TRUE(toy::same_blobs(b.state(), saved));
  const Transitions real = toy::random_batch(rng, 3, 2, 16);
  const Transitions sim = toy::random_batch(rng, 3, 2, 16);
  const SimRowWeights w{std::vector<float>(16, 0.25f), std::vector<float>(16, 0.5f)};
  EXPECT_TRUE(same_stats(a.sac_update(real), b.sac_update(real)));
  EXPECT_TRUE(same_stats(a.cql_update(real), b.cql_update(real)));
  EXPECT_TRUE(same_stats(a.h2o_update(real, sim, w), b.h2o_update(real, sim, w)));
  EXPECT_TRUE(toy::same_blobs(a.state(), b.state()));
  EXPECT_EQ(a.critic_loss(real, nullptr), b.critic_loss(real, nullptr));
}

// The actor alone makes another agent act exactly like the original, sampled and greedy.
TEST(AgentTest, ActorStateCarriesActing) {
  const AgentSpec s = toy::small_spec(3, 2);
  Agent a(s, 3, 0);
  Rng rng(5, Stream::kTest, 0);
  three_updates(a, rng);
  const TensorBlobs actor = a.actor_state();
  for (const auto& b : actor) EXPECT_EQ(b.name.rfind("actor/", 0), 0u) << b.name;
  EXPECT_LT(actor.size(), a.state().size());
  Agent b(s, 4, 9);
  const TensorBlobs b_before = b.state();
  b.load_actor_state(actor);
  const float obs[3] = {0.3f, -1.2f, 2.0f};
  float x[2], y[2];
  a.act(obs, x, true, nullptr);
  b.act(obs, y, true, nullptr);
  EXPECT_EQ(x[0], y[0]);
  EXPECT_EQ(x[1], y[1]);
  Rng ra(6, Stream::kTest, 1), rb(6, Stream::kTest, 1);
  a.act(obs, x, false, &ra);
  b.act(obs, y, false, &rb);
  EXPECT_EQ(x[0], y[0]);
  EXPECT_EQ(x[1], y[1]);
  // only the actor changed
  for (const auto& blob : b.state()) {
    if (blob.name.rfind("actor/", 0) == 0) continue;
    const TensorBlob* before = toy::find_blob(b_before, blob.name);
    ASSERT_NE(before, nullptr) << blob.name;
    EXPECT_EQ(before->bytes, blob.bytes) << blob.name;
  }
  TensorBlobs missing = actor;
  missing.pop_back();
  testing::expect_throw_with<InputError>([&] { b.load_actor_state(missing); }, {"missing"});
}

TEST(AgentTest, LoadRefusesIncompleteOrMismatchedState) {
  const AgentSpec s = toy::small_spec(3, 2);
  Agent a(s, 3, 0);
  TensorBlobs blobs = a.state();
  const TensorBlobs before = blobs;
  blobs.erase(blobs.begin() + 2);
  testing::expect_throw_with<InputError>([&] { a.load_state(blobs); }, {"missing", "actor/"});
  AgentSpec wide = s;
  wide.net.hidden = {16, 16};
  testing::expect_throw_with<InputError>([&] { a.load_state(Agent(wide, 3, 0).state()); },
                                         {"wrong shape"});
  EXPECT_TRUE(toy::same_blobs(a.state(), before));  // refused before anything was overwritten
}

TEST(AgentTest, CriticLossWeightsAndNoStateChange) {
  const AgentSpec s = toy::small_spec(3, 2);
  Agent a(s, 3, 0);
  Rng rng(4, Stream::kTest, 0);
  three_updates(a, rng);
  const Transitions b = toy::random_batch(rng, 3, 2, 32);
  const TensorBlobs before = a.state();
  const double plain = a.critic_loss(b, nullptr);
  const std::vector<float> ones(32, 1.0f), zeros(32, 0.0f);
  std::vector<float> half(32, 0.0f);
  std::fill(half.begin(), half.begin() + 16, 2.0f);
  EXPECT_GT(plain, 0.0);
  EXPECT_EQ(a.critic_loss(b, &ones), plain);
  EXPECT_EQ(a.critic_loss(b, &zeros), 0.0);
  EXPECT_EQ(a.critic_loss(b, nullptr), plain);  // repeatable: no noise stream consumed
  // Weight 2 on the first half and 0 on the rest = the first half's mean loss.
  EXPECT_NEAR(a.critic_loss(b, &half), a.critic_loss(b.slice(0, 16), nullptr), 1e-5 * plain);
  EXPECT_TRUE(toy::same_blobs(a.state(), before));
}

TEST(AgentTest, ValueEstimateIsTheMeanQOfTheDeterministicAction) {
  const AgentSpec s = toy::small_spec(3, 2);
  Agent a(s, 3, 0);
  Rng rng(5, Stream::kTest, 0);
  three_updates(a, rng);
  const Transitions b = toy::random_batch(rng, 3, 2, 16);
  const TensorBlobs before = a.state();
  double sum = 0.0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    float act[2];
    a.act(&b.obs[i * 3], act, true, nullptr);
    sum += a.q_value(&b.obs[i * 3], act);
  }
  const double v = a.value_estimate(b);
  EXPECT_NEAR(v, sum / 16.0, 1e-5 * (1.0 + std::fabs(v)));
  EXPECT_NE(v, 0.0);
  EXPECT_EQ(a.value_estimate(b), v);  // deterministic
  EXPECT_TRUE(toy::same_blobs(a.state(), before));
  EXPECT_THROW(a.value_estimate(Transitions{}), InvariantError);
}

// Overwrites the float blob `name` of blobs with values (sizes must agree).
void set_blob(TensorBlobs& blobs, const std::string& name, const std::vector<float>& values) {
  for (auto& b : blobs) {
    if (b.name != name) continue;
    ASSERT_EQ(b.bytes.size(), values.size() * sizeof(float)) << name;
    std::memcpy(b.bytes.data(), values.data(), b.bytes.size());
    return;
  }
  FAIL() << "no blob " << name;
}

class ActRows : public ::testing::TestWithParam<Inference> {};

TEST_P(ActRows, ComputesTheActorByHand) {
  AgentSpec s = toy::small_spec(2, 1);
  s.net.hidden = {2};
  s.net.inference = GetParam();
  Agent agent(s, 3, 0);
  TensorBlobs actor = agent.actor_state();
  set_blob(actor, "actor/0.weight", {1.0f, -1.0f, 0.5f, 2.0f});  // (out 2 x in 2), row-major
  set_blob(actor, "actor/0.bias", {0.1f, -0.2f});
  set_blob(actor, "actor/2.weight", {1.0f, 0.5f, -1.0f, 0.25f});
  set_blob(actor, "actor/2.bias", {0.0f, 0.3f});
  set_blob(actor, "actor/log_std_scale", {2.0f});
  set_blob(actor, "actor/log_std_offset", {-1.0f});
  set_blob(actor, "actor/obs_mean", {0.0f, 1.0f});
  set_blob(actor, "actor/obs_std", {1.0f, 2.0f});
  agent.load_actor_state(actor);
  // obs (0.4, 0.4) standardises to (0.4, -0.3); hidden relu(0.8, -0.6) = (0.8, 0);
  // outputs: mean 0.8, raw log std -0.8 + 0.3 = -0.5, so log std = 2 * -0.5 - 1 = -2.
  // obs (0, 1) standardises to (0, 0); hidden relu(0.1, -0.2) = (0.1, 0); mean 0.1, raw -0.1 + 0.3.
  const float obs[4] = {0.4f, 0.4f, 0.0f, 1.0f};
  float det[2];
  agent.act_rows(2, obs, det, true, nullptr);
  EXPECT_NEAR(det[0], std::tanh(0.8), 1e-6);
  EXPECT_NEAR(det[1], std::tanh(0.1), 1e-6);
  Rng r0(4, Stream::kTest, 0), r1(4, Stream::kTest, 1);
  Rng c0 = r0, c1 = r1;
  Rng* rngs[2] = {&r0, &r1};
  float smp[2];
  agent.act_rows(2, obs, smp, false, rngs);
  const double e0 = static_cast<float>(c0.normal()), e1 = static_cast<float>(c1.normal());
  EXPECT_NEAR(smp[0], std::tanh(0.8 + std::exp(-2.0) * e0), 1e-6);
  EXPECT_NEAR(smp[1], std::tanh(0.1 + std::exp(2.0 * 0.2 - 1.0) * e1), 1e-6);
  EXPECT_EQ(r0.state(), c0.state());  // one normal per action dimension, from the row's stream
}

TEST_P(ActRows, IsBitIdenticalToOneRowAtATimeAndFollowsUpdates) {
  AgentSpec s = toy::small_spec(kObsDim, kActDim);
  s.net.hidden = {64, 64};
  s.net.inference = GetParam();
  Agent agent(s, 8, 2);
  Rng data(8, Stream::kTest, 0);
  const int n = 37;  // not a multiple of any block size
  std::vector<float> obs(n * kObsDim);
  for (auto& x : obs) x = static_cast<float>(data.normal());
  auto check = [&] {
    std::vector<float> all(n * kActDim), one(kActDim);
    agent.act_rows(n, obs.data(), all.data(), true, nullptr);
    for (int i = 0; i < n; ++i) {
      agent.act(&obs[i * kObsDim], one.data(), true, nullptr);
      for (int j = 0; j < kActDim; ++j) ASSERT_EQ(one[j], all[i * kActDim + j]) << i << "," << j;
    }
    std::vector<Rng> streams, copies;
    for (int i = 0; i < n; ++i) streams.emplace_back(8, Stream::kRollout, i);
    copies = streams;
    std::vector<Rng*> ptrs;
    for (auto& r : streams) ptrs.push_back(&r);
    agent.act_rows(n, obs.data(), all.data(), false, ptrs.data());
    for (int i = 0; i < n; ++i) {
      agent.act(&obs[i * kObsDim], one.data(), false, &copies[i]);
      for (int j = 0; j < kActDim; ++j) ASSERT_EQ(one[j], all[i * kActDim + j]) << i << "," << j;
    }
  };
  check();
  std::vector<float> det_before(kActDim), det_after(kActDim);
  agent.act(obs.data(), det_before.data(), true, nullptr);
  for (int u = 0; u < 3; ++u) agent.cql_update(toy::random_batch(data, kObsDim, kActDim, 64));
  agent.act(obs.data(), det_after.data(), true, nullptr);
  EXPECT_NE(det_before, det_after);  // the inference copy follows the actor's updates
  check();
  // And a loaded actor replaces the one an agent has already acted with.
  Agent other(s, 9, 0);
  std::vector<float> mine(kActDim);
  other.act(obs.data(), mine.data(), true, nullptr);
  other.load_actor_state(agent.actor_state());
  other.act(obs.data(), mine.data(), true, nullptr);
  EXPECT_EQ(mine, det_after);
}

INSTANTIATE_TEST_SUITE_P(Inference, ActRows,
                         ::testing::Values(Inference::kTorch, Inference::kPlain),
                         [](const auto& info) { return std::string(enum_name(info.param)); });

TEST(AgentTest, PlainAndTorchInferenceAgreeToRounding) {
  AgentSpec s = toy::small_spec(kObsDim, kActDim);
  s.net.hidden = {64, 64};
  Agent torch_path(s, 4, 1);
  Rng data(4, Stream::kTest, 0);
  for (int u = 0; u < 5; ++u) torch_path.sac_update(toy::random_batch(data, kObsDim, kActDim, 64));
  s.net.inference = Inference::kPlain;
  Agent plain(s, 0, 0);
  plain.load_actor_state(torch_path.actor_state());
  const int n = 50;
  std::vector<float> obs(n * kObsDim), x(n * kActDim), y(n * kActDim);
  for (auto& o : obs) o = static_cast<float>(3.0 * data.normal());
  torch_path.act_rows(n, obs.data(), x.data(), true, nullptr);
  plain.act_rows(n, obs.data(), y.data(), true, nullptr);
  for (int i = 0; i < n * kActDim; ++i) EXPECT_NEAR(x[i], y[i], 1e-6) << i;
}

TEST(AgentTest, NonFiniteLossIsNumericalError) {
  Agent a(toy::small_spec(3, 2), 3, 0);
  Rng rng(5, Stream::kTest, 0);
  Transitions b = toy::random_batch(rng, 3, 2, 8);
  b.rew[3] = std::nanf("");
  testing::expect_throw_with<NumericalError>([&] { a.sac_update(b); }, {"critic loss"});
  testing::expect_throw_with<NumericalError>([&] { a.critic_loss(b, nullptr); }, {"critic loss"});
}

TEST(AgentTest, BadSpecIsInputError) {
  AgentSpec s = toy::small_spec(3, 2);
  s.net.hidden = {0};
  testing::expect_throw_with<InputError>([&] { Agent(s, 0, 0); }, {"network.hidden"});
}

// Sets every float of the blob `name` to v.
void fill_blob(TensorBlobs& blobs, const std::string& name, float v) {
  TensorBlob* b = toy::find_blob(blobs, name);
  ASSERT_NE(b, nullptr) << name;
  std::vector<float> f(b->bytes.size() / sizeof(float), v);
  std::memcpy(b->bytes.data(), f.data(), b->bytes.size());
}

// An agent whose critics output c for every input (last layers: weight 0, bias c) and whose actor
// has std exp(-20) (log_std clamped at its minimum).
Agent constant_critic_agent(const AgentSpec& s, std::uint64_t index, float c) {
  Agent a(s, 9, index);
  TensorBlobs blobs = a.state();
  for (const char* q : {"q1", "q2"}) {
    fill_blob(blobs, std::string(q) + "/4.weight", 0.0f);
    fill_blob(blobs, std::string(q) + "/4.bias", c);
  }
  fill_blob(blobs, "actor/log_std_scale", 0.0f);
  fill_blob(blobs, "actor/log_std_offset", -100.0f);
  a.load_state(blobs);
  return a;
}

// CQL(H) with a known answer. With constant critics c and an actor of std exp(-20), each pi(s)
// and pi(s') sample has a log-density near 19 per action dimension (38 for a = 2), so its term
// exp(c - log pi) vanishes next to a uniform sample's exp(c + a log 2) (importance weight 2^a, the
// inverse density of U(-1, 1)^a). The logsumexp over the 3N samples is then c + log(N 2^a), the
// data's mean Q is c, and the penalty is log N + a log 2 whatever c is: log 20 for N = 5 and
// a = 2. Catches a wrong uniform importance weight, a lost uniform source, a wrong sign of the pi
// terms (they would then dominate) and a wrong Q mean, alone and stacked with a different c per
// policy. It does not see the pi terms' values (their weight is about e^-30).
TEST(AgentTest, CqlPenaltyOfConstantCriticsIsLogNPlusALog2) {
  AgentSpec s = toy::small_spec(3, 2);
  s.cql.actions = 5;
  const double expected = std::log(5.0) + 2.0 * std::log(2.0);
  for (float c : {0.0f, 3.0f, -40.0f}) {
    Agent a = constant_critic_agent(s, 0, c);
    Rng rng(9, Stream::kTest, 0);
    EXPECT_NEAR(a.cql_update(toy::random_batch(rng, 3, 2, 64)).cql_penalty, expected, 1e-4)
        << "c = " << c;
  }
  Agent a0 = constant_critic_agent(s, 0, 1.0f), a1 = constant_critic_agent(s, 1, -2.0f);
  AgentStack stack({&a0, &a1});
  Rng rng(10, Stream::kTest, 0);
  const auto st =
      stack.cql_update({toy::random_batch(rng, 3, 2, 64), toy::random_batch(rng, 3, 2, 64)});
  ASSERT_EQ(st.size(), 2u);
  EXPECT_TRUE(stack.last_update_stacked());
  for (const auto& x : st) EXPECT_NEAR(x.cql_penalty, expected, 1e-4);
}

}  // namespace
}  // namespace mfhrl::learn
