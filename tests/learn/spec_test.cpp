// AgentSpec validation and FLOP accounting.
#include "mfhrl/learn/spec.h"

#include <functional>

#include "fixture.h"
#include "mfhrl/core/error.h"

namespace mfhrl::learn {
namespace {

TEST(SpecTest, DefaultsAreValid) {
  EXPECT_NO_THROW(validate(AgentSpec{}));
  Config c;
  c.network.hidden = {64, 64};
  c.cql.actions = 4;
  const AgentSpec s = agent_spec(c);
  EXPECT_EQ(s.net.hidden, (std::vector<int>{64, 64}));
  EXPECT_EQ(s.cql.actions, 4);
  EXPECT_EQ(s.obs_dim, kObsDim);
}

TEST(SpecTest, BadValuesNameTheirKey) {
  const std::vector<std::pair<std::function<void(AgentSpec&)>, std::string>> cases = {
      {[](AgentSpec& s) { s.net.hidden = {}; }, "network.hidden"},
      {[](AgentSpec& s) {
         s.net.hidden = {32, 0};
       },
       "network.hidden"},
      {[](AgentSpec& s) { s.net.actor_lr = 0; }, "network.actor_lr"},
      {[](AgentSpec& s) { s.net.critic_lr = -1; }, "network.critic_lr"},
      {[](AgentSpec& s) { s.net.alpha_lr = 0; }, "network.alpha_lr"},
      {[](AgentSpec& s) { s.net.init_alpha = 0; }, "network.init_alpha"},
      {[](AgentSpec& s) { s.net.batch_size = 0; }, "network.batch_size"},
      {[](AgentSpec& s) { s.net.gamma = 1.5; }, "network.gamma"},
      {[](AgentSpec& s) { s.net.tau = 0; }, "network.tau"},
      {[](AgentSpec& s) { s.cql.actions = 0; }, "cql.actions"},
      {[](AgentSpec& s) { s.cql.weight = -1; }, "cql.weight"},
      {[](AgentSpec& s) { s.h2o.penalty = -0.1; }, "h2o.penalty"},
      {[](AgentSpec& s) { s.h2o.input_noise = -1; }, "h2o.input_noise"},
      {[](AgentSpec& s) { s.h2o.disc_hidden = {}; }, "h2o.disc_hidden"},
      {[](AgentSpec& s) { s.h2o.disc_lr = 0; }, "h2o.disc_lr"},
      {[](AgentSpec& s) { s.h2o.ratio_min = 0; }, "h2o.ratio_min"},
      {[](AgentSpec& s) { s.h2o.ratio_max = 1e-6; }, "h2o.ratio_max"},
      {[](AgentSpec& s) { s.act_dim = 0; }, "act_dim"},
  };
  for (const auto& [mutate, key] : cases) {
    AgentSpec s;
    mutate(s);
    testing::expect_throw_with<InputError>([&] { validate(s); }, {key, "expected"});
  }
}

// Hand count for obs 1, act 1, hidden {2}: actor 2*(1*2) + 2*(2*2) = 12, critic 2*(2*2) + 2*(2*1)
// = 12 FLOPs per row.
TEST(SpecTest, UpdateFlopsKnownAnswer) {
  AgentSpec s;
  s.obs_dim = 1;
  s.act_dim = 1;
  s.net.hidden = {2};
  s.cql.actions = 10;
  // SAC, 1 row: target 12 + 24, critics 3 * 24, actor 3 * 12 + 2 * 24 = 192.
  EXPECT_DOUBLE_EQ(update_flops(s, UpdateKind::kSac, 1), 192.0);
  // CQL's penalty: the actor once for pi(s) and once for pi(s') (2 * 12), then per critic its 30
  // action rows without the state column (forward 2*(1*2) + 2*(2*1) = 8, weight gradients 8,
  // input gradients of the second layer 4: 20 a row) and the state column once (4 forward, 4
  // weight gradient): 24 + 2 * (30 * 20 + 8) = 1240.
  EXPECT_DOUBLE_EQ(update_flops(s, UpdateKind::kCql, 1), 1432.0);
  // H2O with the gap term: the SAC part on 2 rows (384); the term reuses the critics' Q.
  EXPECT_DOUBLE_EQ(update_flops(s, UpdateKind::kH2o, 1), 384.0);
  // H2O with h2o.conservative: sampled_actions adds the penalty on the simulated row (1240).
  s.h2o.conservative = Conservative::kSampledActions;
  EXPECT_DOUBLE_EQ(update_flops(s, UpdateKind::kH2o, 1), 1624.0);
  // h2o.real_penalty adds the same penalty on the real row (1240 more).
  s.h2o.real_penalty = 5.0;
  EXPECT_DOUBLE_EQ(update_flops(s, UpdateKind::kH2o, 1), 2864.0);
  s.h2o.conservative = Conservative::kGap;
  EXPECT_DOUBLE_EQ(update_flops(s, UpdateKind::kH2o, 1), 1624.0);
  s.h2o.real_penalty = 0.0;
  // Critics of {2, 2} (critic_hidden; the actor keeps {2}): q = 2*(2*2) + 2*(2*2) + 2*(2*1) = 20,
  // so SAC is (12 + 40) + 3 * 40 + (3 * 12 + 2 * 40) = 288.
  s.critic_hidden = {2, 2};
  EXPECT_DOUBLE_EQ(update_flops(s, UpdateKind::kSac, 1), 288.0);
  // CQL with those critics: the action columns' forward 2*(1*2) + 2*(2*2) + 2*(2*1) = 16, so a
  // penalty row costs 16 + 16 + (16 - 4) = 44 per critic; 24 + 2 * (30 * 44 + 8) = 2680.
  EXPECT_DOUBLE_EQ(update_flops(s, UpdateKind::kCql, 1), 2968.0);
}

TEST(SpecTest, CriticHiddenShapesOnlyTheCritics) {
  AgentSpec s;
  s.net.hidden = {8, 8};
  s.critic_hidden = {4, 4, 4};
  EXPECT_EQ(s.critic_widths(), (std::vector<int>{4, 4, 4}));
  s.critic_hidden.clear();
  EXPECT_EQ(s.critic_widths(), (std::vector<int>{8, 8}));
  s.critic_hidden = {4, 0};
  testing::expect_throw_with<InputError>([&] { validate(s); }, {"critic_hidden", "widths >= 1"});
}

}  // namespace
}  // namespace mfhrl::learn
