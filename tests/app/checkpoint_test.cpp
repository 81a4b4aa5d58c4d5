// Checkpoints without files: a loop restored from another loop's capture continues bit for bit;
// bad entries are named; the offline digest; the stop-signal counter.
#include "checkpoint.h"

#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "fixture.h"
#include "learn/toy.h"
#include "mfhrl/config/load.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/posterior.h"
#include "mfhrl/learn/spec.h"
#include "signals.h"

namespace mfhrl::app {
namespace {

Config tiny_config() {
  config::ConfigSource src;
  src.overrides = {"budget.total=200",
                   "offline.policies=3",
                   "online.batch_transitions=60",
                   "online.updates_per_round=12",
                   "online.envs=3",
                   "env.episode_steps=40",
                   "network.hidden=[16,16]",
                   "network.batch_size=16",
                   "h2o.disc_hidden=[8,8]",
                   "h2o.disc_steps_per_update=1",
                   "igm.history=2",
                   "igm.threshold_scale=0.05",
                   "eval.episodes=2"};
  return config::load_config(src);
}

Transitions offline_rows(int n) {
  Rng rng(3, Stream::kTest, 0);
  return learn::toy::random_batch(rng, kObsDim, kActDim, n);
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

void expect_same_row(const TraceRow& a, const TraceRow& b) {
  EXPECT_EQ(a.round, b.round);
  EXPECT_EQ(a.level, b.level);
  EXPECT_EQ(a.rollout_policy, b.rollout_policy);
  EXPECT_EQ(a.deployed_policy, b.deployed_policy);
  EXPECT_TRUE(same_bits(a.budget_spent, b.budget_spent));
  EXPECT_TRUE(same_bits(a.information_gain, b.information_gain));
  EXPECT_TRUE(same_bits(a.posterior, b.posterior));
  EXPECT_TRUE(same_bits(a.policy_losses, b.policy_losses));
  EXPECT_TRUE(same_bits(a.policy_returns, b.policy_returns));
  EXPECT_TRUE(same_bits(a.eval_return_mean, b.eval_return_mean));
  EXPECT_TRUE(same_bits(a.cumulative_regret, b.cumulative_regret));
  EXPECT_TRUE(same_bits(a.cost_weighted_regret, b.cost_weighted_regret));
}

// The plain-data part of the run state, field by field (what a capture's bytes cannot show: a
// field the checkpoint never saves).
void expect_same_state(const RunState& a, const RunState& b) {
  EXPECT_EQ(a.round, b.round);
  EXPECT_TRUE(same_bits(a.budget.total, b.budget.total));
  EXPECT_TRUE(same_bits(a.budget.spent, b.budget.spent));
  EXPECT_TRUE(same_bits(a.eta, b.eta));
  EXPECT_TRUE(same_bits(a.posterior, b.posterior));
  EXPECT_TRUE(same_bits(a.spent_per_level, b.spent_per_level));
  EXPECT_EQ(a.regret.rounds, b.regret.rounds);
  EXPECT_TRUE(same_bits(a.regret.cumulative, b.regret.cumulative));
  EXPECT_TRUE(same_bits(a.regret.cost_weighted, b.regret.cost_weighted));
  ASSERT_EQ(a.buffers.size(), b.buffers.size());
  ASSERT_EQ(a.history.size(), b.history.size());
  for (std::size_t k = 0; k < a.buffers.size(); ++k) {
    EXPECT_EQ(a.buffers[k].size(), b.buffers[k].size());
    EXPECT_EQ(a.buffers[k].obs, b.buffers[k].obs);
    EXPECT_EQ(a.buffers[k].rew, b.buffers[k].rew);
    EXPECT_EQ(a.history[k].size(), b.history[k].size());
    for (std::size_t m = 0; m < a.history[k].size() && m < b.history[k].size(); ++m) {
      EXPECT_EQ(a.history[k][m].obs, b.history[k][m].obs);
    }
  }
  EXPECT_EQ(a.rows_collected, b.rows_collected);
  EXPECT_TRUE(same_bits(a.level_cost, b.level_cost));
  EXPECT_EQ(a.offline_digest, b.offline_digest);
  ASSERT_EQ(a.policy_rngs.size(), b.policy_rngs.size());
  for (std::size_t l = 0; l < a.policy_rngs.size(); ++l) {
    EXPECT_EQ(a.policy_rngs[l].state(), b.policy_rngs[l].state());
  }
  ASSERT_EQ(a.disc_rngs.size(), b.disc_rngs.size());
  for (std::size_t k = 0; k < a.disc_rngs.size(); ++k) {
    EXPECT_EQ(a.disc_rngs[k].state(), b.disc_rngs[k].state());
  }
  EXPECT_EQ(a.policies.block().begin, b.policies.block().begin);
  EXPECT_EQ(a.policies.block().end, b.policies.block().end);
}

// Everything a resume reads: the checkpoint and the buffers' rows (which a run keeps in segments).
TensorBlobs all_blobs(const Checkpoint& ck, const RunState& s) {
  TensorBlobs all = ck.shared;
  all.insert(all.end(), ck.owned.begin(), ck.owned.end());
  const TensorBlobs rows = buffer_blobs(s);
  all.insert(all.end(), rows.begin(), rows.end());
  return all;
}

using learn::toy::same_blobs;

struct Fixture {
  Config c = tiny_config();
  dist::SerialComm comm;
  Transitions data = offline_rows(400);
  Levels levels = build_levels(c, comm);
};

TEST(Checkpoint, RestoredLoopContinuesBitIdentically) {
  learn::init_threads();
  Fixture f;
  f.c.posterior.eta_auto = true;  // the calibrated eta is part of the state
  OnlineLoop a(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
  a.calibrate_eta();
  EXPECT_NE(a.state().eta, f.c.posterior.eta);
  a.round();
  a.round();
  const Checkpoint ck = capture_checkpoint(f.c, a.state());
  EXPECT_EQ(ck.round, 2);
  EXPECT_GT(ck.bytes(), 0u);
  const TensorBlobs saved = all_blobs(ck, a.state());

  OnlineLoop b(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
  b.restore(saved, "ck.h5");
  EXPECT_EQ(b.state().eta, a.state().eta);
  EXPECT_EQ(a.state().regret.rounds, 2);
  expect_same_state(a.state(), b.state());
  // The restored state captures to the same bytes...
  const Checkpoint again = capture_checkpoint(f.c, b.state());
  EXPECT_TRUE(same_blobs(saved, all_blobs(again, b.state())));
  // ... and the next rounds are the same to the bit.
  // tiny_config's budget (200 at 60 rows a round, costs 0.1-1) lasts at least 4 rounds.
  int compared = 0;
  for (int r = 3; r <= 4; ++r) {
    ASSERT_FALSE(a.done()) << "the budget ran out before round " << r;
    expect_same_row(a.round(), b.round());
    ++compared;
  }
  EXPECT_EQ(compared, 2);
  expect_same_state(a.state(), b.state());
  EXPECT_TRUE(same_blobs(all_blobs(capture_checkpoint(f.c, a.state()), a.state()),
                         all_blobs(capture_checkpoint(f.c, b.state()), b.state())));
}

TEST(Checkpoint, ReturnStatisticSetsEtaOnTheFirstBatchAndResumes) {
  learn::init_threads();
  Fixture f;
  f.c.posterior.loss = PosteriorLoss::kReturn;  // 3 policies on 3 instances, 20 rows each per batch
  f.c.posterior.eta_auto = true;
  OnlineLoop a(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
  a.calibrate_eta();
  EXPECT_EQ(a.state().eta, 0.0);  // pending until a batch carries the policies' returns
  const TensorBlobs at0 = all_blobs(capture_checkpoint(f.c, a.state()), a.state());
  const TraceRow r1 = a.round();
  EXPECT_EQ(r1.rollout_policy, -1);
  EXPECT_GT(a.state().eta, 0.0);
  // The round's losses are minus each policy's mean reward over its 20 rows of the batch.
  const Transitions& batch = a.state().history[static_cast<std::size_t>(r1.level - 1)].back();
  ASSERT_EQ(batch.size(), 60u);
  EXPECT_EQ(r1.policy_losses, segment_return_losses(batch.rew, {20, 20, 20}));
  // A resume from the round-0 checkpoint (eta still pending) repeats round 1 to the bit.
  OnlineLoop b(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
  b.restore(at0, "ck.h5");
  expect_same_row(r1, b.round());
  EXPECT_TRUE(same_bits(a.state().eta, b.state().eta));
}

class LevelTrustKinds : public ::testing::TestWithParam<LevelTrust> {};

TEST_P(LevelTrustKinds, LiveBoundedAndResumes) {
  learn::init_threads();
  Fixture f;
  f.c.igm.trust = GetParam();
  f.c.strategy = "uniform";  // round robin, so every level has history from round 4 on
  OnlineLoop a(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
  a.calibrate_eta();
  a.round();
  a.round();
  // Rounds 1 and 2 went to levels 1 and 2; the top level has no batch yet.
  if (GetParam() == LevelTrust::kPooled) {
    EXPECT_EQ(a.trust(), (std::vector<double>{0.0, 0.0, 1.0}));
  }
  const TensorBlobs ck = all_blobs(capture_checkpoint(f.c, a.state()), a.state());
  OnlineLoop b(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
  b.restore(ck, "ck.h5");
  for (int r = 3; r <= 5; ++r) {
    ASSERT_FALSE(a.done());
    const TraceRow row = a.round();
    expect_same_row(row, b.round());  // trust is recomputed from the restored state
    const std::vector<double>& w = a.trust();
    ASSERT_EQ(w.size(), 3u);
    EXPECT_EQ(w[2], 1.0);  // the top level trusts itself
    for (double x : w) {
      EXPECT_GE(x, 0.0);
      EXPECT_LE(x, 1.0);
    }
    EXPECT_EQ(a.trust(), b.trust());
  }
  // By round 5 every level has history. Batch by batch the coarse level's ranking differs from
  // the top level's (agreement 0.75 with this seed): the weights are computed, not the all-1
  // default. Summed over the remembered batches every level orders the 3 policies as the top
  // level does, so pooled trusts both fully.
  if (GetParam() == LevelTrust::kAgreement) {
    EXPECT_LT(a.trust()[0], 1.0);
  } else {
    EXPECT_EQ(a.trust(), (std::vector<double>{1.0, 1.0, 1.0}));
  }
}

INSTANTIATE_TEST_SUITE_P(Checkpoint, LevelTrustKinds,
                         ::testing::Values(LevelTrust::kAgreement, LevelTrust::kPooled));

TEST(Checkpoint, TrustExploreChoosesOptimisticallyButLeavesThePosteriorAndResumes) {
  learn::init_threads();
  // Pooled trust, uniform strategy: rounds 1 and 2 go to levels 1 and 2 before the top level has a
  // batch, so their trust is 0. Round 3's IG of those levels is 0 without exploration and computed
  // with trust 0 + 0.5 / sqrt(1) with it; in both the posterior has not moved.
  TraceRow plain3, explored3;
  TensorBlobs at2;
  for (double explore : {0.0, 0.5}) {
    Fixture f;
    f.c.igm.trust = LevelTrust::kPooled;
    f.c.igm.trust_explore = explore;
    f.c.strategy = "uniform";
    OnlineLoop a(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
    a.calibrate_eta();
    a.round();
    const TraceRow r2 = a.round();
    EXPECT_EQ(r2.posterior, uniform_prior(3));
    if (explore > 0.0) at2 = all_blobs(capture_checkpoint(f.c, a.state()), a.state());
    (explore > 0.0 ? explored3 : plain3) = a.round();
    EXPECT_EQ(a.trust(), (std::vector<double>{0.0, 0.0, 1.0}));  // the posterior's weights
    if (explore > 0.0) {
      OnlineLoop b(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
      b.restore(at2, "ck.h5");
      expect_same_row(explored3, b.round());
      for (int r = 4; r <= 5 && !a.done(); ++r) expect_same_row(a.round(), b.round());
    }
  }
  EXPECT_EQ(plain3.information_gain[0], 0.0);
  EXPECT_EQ(plain3.information_gain[1], 0.0);
  EXPECT_GT(explored3.information_gain[0], 0.0);
  EXPECT_GT(explored3.information_gain[1], 0.0);
  // The top level has no batch before round 3: its IG is H(p) either way.
  EXPECT_EQ(plain3.information_gain[2], explored3.information_gain[2]);
}

TEST(Checkpoint, ForgetTempersThePosteriorBeforeEachUpdateAndResumes) {
  learn::init_threads();
  Fixture f;
  f.c.posterior.forget = 0.5;
  OnlineLoop a(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
  a.calibrate_eta();
  const TraceRow r1 = a.round();
  const TensorBlobs ck = all_blobs(capture_checkpoint(f.c, a.state()), a.state());
  const TraceRow r2 = a.round();
  // p_2 ∝ p_1^0.5 exp(-eta L(B_2)), to the bit, and not the update of p_1 itself.
  const double eta = a.state().eta;
  EXPECT_EQ(r2.posterior,
            posterior_update(temper_posterior(r1.posterior, 0.5), r2.policy_losses, eta));
  EXPECT_NE(r2.posterior, posterior_update(r1.posterior, r2.policy_losses, eta));
  OnlineLoop b(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
  b.restore(ck, "ck.h5");
  expect_same_row(r2, b.round());
}

TEST(Checkpoint, DeployedReturnIsTheMapRowInAllPolicyRounds) {
  learn::init_threads();
  Fixture f;
  f.c.eval_all_every = 2;
  OnlineLoop loop(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
  for (int r = 1; r <= 2; ++r) {
    const TraceRow row = loop.round();
    if (r == 1) {
      EXPECT_TRUE(std::isnan(row.policy_returns[0]));  // not an all-policy round
    } else {
      // The deployed return is the MAP policy's row of the all-policy evaluation, to the bit.
      EXPECT_TRUE(same_bits(row.eval_return_mean,
                            row.policy_returns[static_cast<std::size_t>(row.deployed_policy)]));
    }
  }
}

TEST(Checkpoint, HeaderAndBadEntriesAreNamed) {
  Fixture f;
  OnlineLoop loop(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
  const TensorBlobs good = all_blobs(capture_checkpoint(f.c, loop.state()), loop.state());
  const CheckpointHeader h = checkpoint_header(good, 3, 3, "ck.h5");
  EXPECT_EQ(h.round, 0);
  EXPECT_EQ(h.level_cost, f.levels.cost);  // the state's own costs and digest
  EXPECT_EQ(f.levels.cost, (std::vector<double>{0.1, 0.3, 1.0}));
  EXPECT_EQ(h.offline_digest, offline_digest(f.data));
  testing::expect_throw_with<InputError>([&] { checkpoint_header(good, 3, 5, "ck.h5"); },
                                         {"ck.h5", "'/checkpoint/posterior'", "expected f64 (5)"});

  for (const char* name : {"level_2/buffer/rewards", "policy_1/online_rng", "level_3/env_2/qpos",
                           "level_1/discriminator/d_sa/0.weight", "policy_2/actor/0.weight"}) {
    TensorBlobs bad = good;
    bad.erase(
        std::find_if(bad.begin(), bad.end(), [&](const TensorBlob& b) { return b.name == name; }));
    OnlineLoop other(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
    testing::expect_throw_with<InputError>([&] { other.restore(bad, "ck.h5"); },
                                           {"ck.h5", "checkpoint entry '/checkpoint/"});
  }
  TensorBlobs wrong = good;
  for (auto& b : wrong) {
    if (b.name == "level_1/history_rows") {
      b.shape = {1};
      const std::int64_t rows = 1000;  // more rows than the (empty) buffer holds
      b.bytes.assign(reinterpret_cast<const std::uint8_t*>(&rows),
                     reinterpret_cast<const std::uint8_t*>(&rows) + sizeof rows);
    }
  }
  testing::expect_throw_with<InputError>([&] { loop.restore(wrong, "ck.h5"); },
                                         {"'/checkpoint/level_1/history_rows' does not fit"});
}

// The buffers' rows of blobs (level_k/buffer/...), for comparing what the segments give back.
TensorBlobs buffer_part(const TensorBlobs& blobs) {
  TensorBlobs out;
  for (const auto& b : blobs) {
    if (b.name.find("/buffer/") != std::string::npos) out.push_back(b);
  }
  return out;
}

int files_in(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

TEST(BufferLog, SegmentsHoldEveryBufferRowOnceAndAreDroppedWhenEvicted) {
  learn::init_threads();
  Fixture f;
  f.c.strategy = "fixed:1";          // every batch (60 rows) at level 1
  f.c.online.buffer_capacity = 120;  // 2 batches: round 3 evicts round 1's rows
  f.c.online.updates_per_round = 1;
  const std::string path = ::testing::TempDir() + "mfhrl_bufferlog_run.h5";
  const std::string dir = buffers_dir(path);
  BufferLog log(path, f.comm, 3, f.c.online.buffer_capacity);
  std::filesystem::create_directories(dir);
  std::FILE* stale = std::fopen((dir + "/round_000000001.h5").c_str(), "w");  // an earlier run's
  std::fclose(stale);
  log.start_fresh();
  EXPECT_FALSE(std::filesystem::exists(dir));
  OnlineLoop loop(f.c, f.comm, f.levels, f.data, PolicySet(f.c, f.comm, f.data));
  // One row is 2 * 17 + 6 + 1 floats and 2 flags, 166 bytes; a segment adds first_row (8).
  const std::size_t row_bytes = (2 * kObsDim + kActDim + 1) * 4 + 2;
  for (int r = 1; r <= 4; ++r) {
    loop.round();
    log.note(loop.state());
    EXPECT_EQ(log.write(r), 60 * row_bytes + 8) << "round " << r;  // the new rows alone
    log.committed(r);
    TensorBlobs blobs = capture_checkpoint(f.c, loop.state()).shared;
    read_buffer_rows(path, 3, blobs, "ck");
    EXPECT_TRUE(same_blobs(buffer_part(blobs), buffer_blobs(loop.state()))) << "round " << r;
    // Only the segments whose rows are still in the buffer remain: 1, 2, then always 2.
    EXPECT_EQ(files_in(dir), std::min(r, 2)) << "round " << r;
  }
  EXPECT_EQ(loop.state().rows_collected, (std::vector<std::int64_t>{240, 0, 0}));
  // Two rounds between writes (checkpoint.every = 2): one segment with both rounds' rows.
  for (int r = 5; r <= 6; ++r) {
    loop.round();
    log.note(loop.state());
  }
  EXPECT_EQ(log.write(6), 120 * row_bytes + 8);
  log.committed(6);
  TensorBlobs blobs = capture_checkpoint(f.c, loop.state()).shared;
  read_buffer_rows(path, 3, blobs, "ck");
  EXPECT_TRUE(same_blobs(buffer_part(blobs), buffer_blobs(loop.state())));
  EXPECT_EQ(files_in(dir), 1);
  // A segment of a later checkpoint that never landed is not read...
  loop.round();
  log.note(loop.state());
  log.write(7);
  TensorBlobs at6 = capture_checkpoint(f.c, loop.state()).shared;
  for (auto& b : at6) {
    const std::int64_t v = b.name == "round" ? 6 : b.name == "level_1/rows_collected" ? 360 : -1;
    if (v >= 0) std::memcpy(b.bytes.data(), &v, sizeof v);
  }
  TensorBlobs read6 = at6;
  read_buffer_rows(path, 3, read6, "ck");
  EXPECT_TRUE(same_blobs(buffer_part(read6), buffer_part(blobs)));
  // ... and rows missing from the directory are named.
  log.remove_all();
  EXPECT_FALSE(std::filesystem::exists(dir));
  testing::expect_throw_with<InputError>([&] { read_buffer_rows(path, 3, at6, "ck.h5"); },
                                         {"ck.h5", "level 1 (rows 240..359)", "is not all", dir});
}

TEST(Checkpoint, OfflineDigestSeesEveryColumn) {
  const Transitions d = offline_rows(50);
  EXPECT_EQ(offline_digest(d), offline_digest(offline_rows(50)));
  EXPECT_NE(offline_digest(d), offline_digest(offline_rows(49)));
  // One ulp in one element of each float column, one flag in each byte column.
  for (std::vector<float> Transitions::*col :
       {&Transitions::obs, &Transitions::act, &Transitions::rew, &Transitions::next_obs}) {
    Transitions t = d;
    float& x = (t.*col)[7];
    x = std::nextafter(x, 2.0f);
    EXPECT_NE(offline_digest(d), offline_digest(t));
  }
  for (std::vector<std::uint8_t> Transitions::*col :
       {&Transitions::terminal, &Transitions::timeout}) {
    Transitions t = d;
    (t.*col)[3] = static_cast<std::uint8_t>(1 - (t.*col)[3]);
    EXPECT_NE(offline_digest(d), offline_digest(t));
  }
}

TEST(StopSignals, CountedNotFatalAndAgreed) {
  install_stop_signals();
  const dist::SerialComm comm;
  EXPECT_EQ(stop_signals_received(), 0);
  std::raise(SIGUSR1);
  EXPECT_EQ(stop_signals_received(), 1);
  EXPECT_EQ(stop_signals_agreed(comm), 1);
  std::raise(SIGTERM);  // the process lives on: counted, not fatal (a third would end it)
  EXPECT_EQ(stop_signals_received(), 2);
  EXPECT_EQ(stop_signals_agreed(comm), 2);
}

}  // namespace
}  // namespace mfhrl::app
