// AgentStack: several agents updated as one stacked computation end bit-identical to the same
// agents updated one at a time.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mfhrl/core/error.h"
#include "mfhrl/learn/agent.h"
#include "toy.h"

namespace mfhrl::learn {
namespace {

constexpr int kObs = 17, kAct = 6;  // HalfCheetah's sizes: biases of 12 and 1 are not whole steps

bool same_stats(const UpdateStats& x, const UpdateStats& y) {
  return x.critic_loss == y.critic_loss && x.actor_loss == y.actor_loss && x.alpha == y.alpha &&
         x.cql_penalty == y.cql_penalty && x.q_mean == y.q_mean;
}

// n agents with indices 0..n-1; agent 1 standardises its inputs, so stacked rows must be
// standardised per agent.
std::vector<Agent> make_agents(const AgentSpec& s, int n) {
  std::vector<Agent> out;
  for (int i = 0; i < n; ++i) out.emplace_back(s, 11, static_cast<std::uint64_t>(i));
  if (n > 1) {
    std::vector<float> mean(kObs, 0.1f), sd(kObs, 0.5f);
    out[1].set_obs_normalization(mean, sd);
  }
  return out;
}

std::vector<Agent*> pointers(std::vector<Agent>& v) {
  std::vector<Agent*> p;
  for (auto& a : v) p.push_back(&a);
  return p;
}

struct Case {
  const char* name;
  int agents, rows;  // rows: of a CQL minibatch; H2O takes rows / 2 real and rows / 2 simulated
  Conservative conservative;
  bool ratios, gaps;
  // expected: more than one agent, every row count a multiple of 32, activations under 2^17
  bool stacked;
  double real_penalty = 0.0;  // h2o.real_penalty
  int actions = 3;            // cql.actions
};

class StackTest : public ::testing::TestWithParam<Case> {};

// CQL steps, then H2O steps, through the stack against one agent at a time: the stats of every
// step, then every blob of every agent (networks, targets, temperature, Adam moments and steps,
// noise streams), then acting and a further update after store().
TEST_P(StackTest, MatchesUpdatesOneAtATimeBitForBit) {
  const Case& c = GetParam();
  AgentSpec s = toy::small_spec(kObs, kAct);
  s.cql.actions = c.actions;
  s.h2o.conservative = c.conservative;
  s.h2o.real_penalty = c.real_penalty;
  std::vector<Agent> alone = make_agents(s, c.agents), together = make_agents(s, c.agents);
  Rng rng(4, Stream::kTest, 0);
  AgentStack stack(pointers(together));
  ASSERT_EQ(stack.size(), static_cast<std::size_t>(c.agents));
  for (int step = 0; step < 3; ++step) {
    std::vector<Transitions> mbs;
    for (int i = 0; i < c.agents; ++i) mbs.push_back(toy::random_batch(rng, kObs, kAct, c.rows));
    const auto got = stack.cql_update(mbs);
    EXPECT_EQ(stack.last_update_stacked(), c.stacked);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(c.agents));
    for (int i = 0; i < c.agents; ++i) {
      EXPECT_TRUE(same_stats(alone[i].cql_update(mbs[i]), got[i])) << "cql step " << step;
    }
  }
  const int half = c.rows / 2;
  for (int step = 0; step < 3; ++step) {
    std::vector<Transitions> real, sim;
    std::vector<SimRowWeights> w(static_cast<std::size_t>(c.agents));
    for (int i = 0; i < c.agents; ++i) {
      real.push_back(toy::random_batch(rng, kObs, kAct, half));
      sim.push_back(toy::random_batch(rng, kObs, kAct, half));
      for (int r = 0; r < half; ++r) {
        if (c.ratios) w[i].ratio.push_back(static_cast<float>(rng.uniform(0.1, 2.0)));
        if (c.gaps) w[i].gap.push_back(static_cast<float>(rng.uniform(0.0, 3.0)));
      }
    }
    const auto got = stack.h2o_update(real, sim, w);
    EXPECT_EQ(stack.last_update_stacked(), c.stacked);
    for (int i = 0; i < c.agents; ++i) {
      EXPECT_TRUE(same_stats(alone[i].h2o_update(real[i], sim[i], w[i]), got[i]))
          << "h2o step " << step;
    }
  }
  stack.store();
  for (int i = 0; i < c.agents; ++i) {
    const TensorBlobs x = alone[i].state(), y = together[i].state();
    EXPECT_TRUE(toy::same_blobs(x, y)) << "agent " << i;
    for (std::size_t k = 0; k < x.size() && k < y.size(); ++k) {
      EXPECT_EQ(x[k].bytes, y[k].bytes) << "agent " << i << " blob " << x[k].name;
    }
    std::vector<float> obs(kObs, 0.2f), a(kAct), b(kAct);
    alone[i].act(obs.data(), a.data(), true, nullptr);
    together[i].act(obs.data(), b.data(), true, nullptr);
    EXPECT_EQ(a, b);
    const Transitions mb = toy::random_batch(rng, kObs, kAct, c.rows);
    EXPECT_TRUE(same_stats(alone[i].cql_update(mb), together[i].cql_update(mb)));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StackTest,
    ::testing::Values(
        Case{"gap_3x64", 3, 64, Conservative::kGap, true, true, true},
        Case{"gap_uniform_8x64", 8, 64, Conservative::kGap, false, false, true},
        Case{"sampled_actions_8x64", 8, 64, Conservative::kSampledActions, true, false, true},
        Case{"gap_2x128", 2, 128, Conservative::kGap, true, true, true},
        Case{"gap_real_penalty_3x64", 3, 64, Conservative::kGap, true, true, true, 2.0},
        Case{"sampled_actions_real_penalty_2x64", 2, 64, Conservative::kSampledActions, true, false,
             true, 0.5},
        // 32 real rows x 150 penalty actions x width 32 passes 2^17 floats: the real-row term
        // alone makes the H2O steps loop (without it, 64 rows would stack)
        Case{"gap_real_penalty_too_wide_2x64", 2, 64, Conservative::kGap, true, true, false, 1.0,
             50},
        // 24 rows (12 and 12 for H2O): one agent at a time, same bits
        Case{"sampled_actions_3x24", 3, 24, Conservative::kSampledActions, true, false, false},
        Case{"one_agent", 1, 64, Conservative::kGap, true, true, false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(StackTest, RefusesMismatchedInputs) {
  const AgentSpec s = toy::small_spec(3, 2);
  AgentSpec wide = s;
  wide.net.hidden = {16, 16};
  Agent a(s, 1, 0), b(s, 1, 1), c(wide, 1, 2);
  EXPECT_THROW(AgentStack({}), InvariantError);
  EXPECT_THROW(AgentStack({&a, &c}), InvariantError);
  Rng rng(6, Stream::kTest, 0);
  // Different step counts cannot share one optimiser state.
  a.cql_update(toy::random_batch(rng, 3, 2, 32));
  EXPECT_THROW(AgentStack({&a, &b}), InvariantError);
  b.cql_update(toy::random_batch(rng, 3, 2, 32));
  AgentStack stack({&a, &b});
  EXPECT_THROW(stack.cql_update({toy::random_batch(rng, 3, 2, 32)}), InvariantError);
  EXPECT_THROW(
      stack.cql_update({toy::random_batch(rng, 3, 2, 32), toy::random_batch(rng, 3, 2, 64)}),
      InvariantError);
}

}  // namespace
}  // namespace mfhrl::learn
