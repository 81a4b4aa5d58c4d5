#include "mfhrl/core/footprint.h"

#include <gtest/gtest.h>

#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

TEST(Footprint, RowBytes) {
  // obs 17 + next_obs 17 + act 6 + rew 1 floats, terminal and timeout bytes: 41 * 4 + 2.
  EXPECT_EQ(kTransitionRowBytes, 166);
}

TEST(Footprint, ImpliedRoundsAtTheCheapestLevel) {
  // 10,000 / (0.1 * 1,000) = 100 rounds at the coarse level.
  EXPECT_EQ(implied_rounds(10000.0, {0.3, 0.1, 1.0}, 1000), 100.0);
  EXPECT_EQ(implied_rounds(1.0, {0.5}, 3), 1.0);  // 1 / 1.5 rounds up to 1
  EXPECT_EQ(implied_rounds(3.1, {1.0}, 1), 4.0);  // 3.1 rounds up to 4
  EXPECT_GT(implied_rounds(1e308, {0.1}, 1), kMaxRounds);
  EXPECT_THROW(implied_rounds(1.0, {}, 1), InvariantError);
  EXPECT_THROW(implied_rounds(1.0, {0.0}, 1), InvariantError);
  EXPECT_THROW(implied_rounds(1.0, {1.0}, 0), InvariantError);
}

TEST(Footprint, RoundsBoundViolationNamesTheFigures) {
  EXPECT_EQ(rounds_bound_violation(10000.0, {0.1, 1.0}, 1000), "");  // 100 rounds
  EXPECT_EQ(rounds_bound_violation(100000.0, {0.5, 1.0}, 2), "");    // exactly 100,000
  // 250,000 / (0.5 * 2) = 250,000 rounds.
  EXPECT_EQ(rounds_bound_violation(250000.0, {1.0, 0.5}, 2),
            "250000 buys 250000 rounds of online.batch_transitions = 2 at the cheapest level's "
            "cost 0.5; expected at most 100000 rounds");
}

TEST(Footprint, MlpParametersByHand) {
  // (17 + 1) * 64 + (64 + 1) * 64 + (64 + 1) * 12 = 1152 + 4160 + 780.
  EXPECT_EQ(mlp_parameters(17, {64, 64}, 12), 6092);
  EXPECT_EQ(mlp_parameters(3, {}, 2), 8);  // no hidden layer: (3 + 1) * 2
}

TEST(Footprint, MemoryEstimateByHand) {
  Config c;
  LevelConfig only;
  only.cost = 1.0;
  c.levels = {only};
  c.budget_total = 100.0;  // buys 100 rows at cost 1
  c.online.batch_transitions = 10;
  c.online.buffer_capacity = 1000;
  c.igm.history = 2;
  c.offline.policies = 3;
  c.network.hidden = {4};
  c.network.batch_size = 2;
  c.cql.actions = 1;
  c.h2o.disc_hidden = {2};
  const MemoryEstimate m = estimate_memory(c, 10, 2);
  EXPECT_EQ(m.offline, 10 * 166.0);
  EXPECT_EQ(m.buffers, 100 * 166.0);  // min(capacity 1000, 100 affordable rows)
  EXPECT_EQ(m.history, 20 * 166.0);   // M * n = 20 rows
  // actor 18*4 + 5*12 = 132, critic 24*4 + 5 = 101: a policy (4*132 + 8*101 + 2*101) * 4 = 6152
  // bytes; 2 of 3 policies on the rank, one broadcast actor (528) and the discriminators
  // (24*2 + 3*2 = 54, 41*2 + 3*2 = 88) * 4 copies * 4 bytes = 2272.
  EXPECT_EQ(m.networks, 2 * 6152.0 + 528.0 + 2272.0);
  // 2 sources * batch 2 * (1 + 3 * 1) actions * width 4 * 1 layer * 2 * 3 * 4 bytes.
  EXPECT_EQ(m.work, 1536.0);
  EXPECT_EQ(m.checkpoint, 10 * 166.0);  // checkpoint.every 1: one round's n = 10 rows
  EXPECT_EQ(m.total(), 1660.0 + 16600.0 + 3320.0 + 15104.0 + 1536.0 + 1660.0);
  EXPECT_EQ(describe_memory(m).substr(0, 15), "0.0 MB per rank");
  c.checkpoint_every = 50;  // 500 rows gained between checkpoints, but the buffers hold 100
  EXPECT_EQ(estimate_memory(c, 10, 2).checkpoint, 100 * 166.0);
  c.checkpoint_every = 4;
  EXPECT_EQ(estimate_memory(c, 10, 2).checkpoint, 40 * 166.0);
}

}  // namespace
}  // namespace mfhrl
