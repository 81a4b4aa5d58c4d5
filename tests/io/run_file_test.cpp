// The run file: config and trace round trips, reopening, refusal, damage, and external readers.
#include "mfhrl/io/run_file.h"

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "fixture.h"
#include "io_test_util.h"
#include "mfhrl/core/error.h"
#include "mfhrl/io/dataset.h"

namespace mfhrl::io {
namespace {

using testing::expect_throw_with;
using testing::TempDir;

RunFileMeta sample_meta() {
  RunFileMeta m;
  m.config_yaml = "seed: 7\nstrategy: igm\nbudget:\n  total: 1000.5\n# héllo\n";
  m.seed = (1ULL << 63) + 5;  // above the i64 range: the attribute must be unsigned
  m.strategy = "igm";
  m.levels = 3;
  m.policies = 4;
  m.budget_total = 1000.5;
  m.config_hash = "9f86d081884c7d65";
  return m;
}

// Round r with values distinct per column and per round.
TraceRow sample_row(std::int64_t r) {
  const double x = static_cast<double>(r);
  TraceRow row;
  row.round = r;
  row.level = static_cast<int>(r % 3) + 1;
  row.cost = 100.0 * x;
  row.budget_spent = 100.0 * x * (x + 1) / 2;
  row.information_gain = {0.1 * x, 0.2 * x, 0.3 * x};
  row.ig_per_cost = {1e-3 * x, 2e-3 * x, -0.0};
  row.threshold = r == 1 ? std::numeric_limits<double>::infinity() : 1.0 / x;
  row.posterior = {0.25, 0.5 - 0.01 * x, 0.125, 0.125 + 0.01 * x};
  row.policy_losses = {x, -2.0 * x, 0.5, 1e-9 * x};
  // Rows that did not evaluate every policy hold NaN (eval.all_every).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  row.policy_returns = r % 2 == 0 ? std::vector<double>{10 * x, 20 * x, -30 * x, 0.0}
                                  : std::vector<double>{nan, nan, nan, nan};
  row.deployed_policy = static_cast<int>(r % 4);
  row.rollout_policy = 3 - static_cast<int>(r % 4);
  row.eval_return_mean = 4000.0 + x;
  row.eval_return_std = 12.5 * x;
  row.normalized_score = 34.5 + x;
  row.regret = 500.0 - x;
  row.cumulative_regret = 500.0 * x;
  row.cost_weighted_regret = 5e4 * x;
  row.wall_seconds = 1.75 * x;
  return row;
}

void expect_rows_equal(const std::vector<TraceRow>& got, std::int64_t rounds) {
  ASSERT_EQ(got.size(), static_cast<std::size_t>(rounds));
  for (std::int64_t r = 1; r <= rounds; ++r) {
    const TraceRow& a = got[static_cast<std::size_t>(r - 1)];
    const TraceRow b = sample_row(r);
    EXPECT_EQ(a.round, b.round);
    EXPECT_EQ(a.level, b.level);
    EXPECT_EQ(a.cost, b.cost);
    EXPECT_EQ(a.budget_spent, b.budget_spent);
    EXPECT_EQ(a.information_gain, b.information_gain);
    EXPECT_EQ(a.ig_per_cost, b.ig_per_cost);
    EXPECT_EQ(a.threshold, b.threshold);
    EXPECT_EQ(a.posterior, b.posterior);
    EXPECT_EQ(a.policy_losses, b.policy_losses);
    ASSERT_EQ(a.policy_returns.size(), b.policy_returns.size());
    for (std::size_t l = 0; l < b.policy_returns.size(); ++l) {
      if (std::isnan(b.policy_returns[l])) {
        EXPECT_TRUE(std::isnan(a.policy_returns[l])) << "round " << r << " policy " << l;
      } else {
        EXPECT_EQ(a.policy_returns[l], b.policy_returns[l]) << "round " << r << " policy " << l;
      }
    }
    EXPECT_EQ(a.deployed_policy, b.deployed_policy);
    EXPECT_EQ(a.rollout_policy, b.rollout_policy);
    EXPECT_EQ(a.eval_return_mean, b.eval_return_mean);
    EXPECT_EQ(a.eval_return_std, b.eval_return_std);
    EXPECT_EQ(a.normalized_score, b.normalized_score);
    EXPECT_EQ(a.regret, b.regret);
    EXPECT_EQ(a.cumulative_regret, b.cumulative_regret);
    EXPECT_EQ(a.cost_weighted_regret, b.cost_weighted_regret);
    EXPECT_EQ(a.wall_seconds, b.wall_seconds);
  }
}

void expect_meta_equal(const RunFileMeta& a, const RunFileMeta& b) {
  EXPECT_EQ(a.config_yaml, b.config_yaml);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.strategy, b.strategy);
  EXPECT_EQ(a.levels, b.levels);
  EXPECT_EQ(a.policies, b.policies);
  EXPECT_EQ(a.budget_total, b.budget_total);
  EXPECT_EQ(a.config_hash, b.config_hash);
}

TEST(RunFile, TraceRoundTripSurvivesReopening) {
  TempDir dir;
  const dist::SerialComm comm;
  const std::string path = dir.file("run.h5");
  {
    RunFile rf = RunFile::create(path, comm, sample_meta(), false);
    EXPECT_EQ(rf.rounds_completed(), 0);
    EXPECT_TRUE(rf.read_trace().empty());
    for (int r = 1; r <= 3; ++r) rf.append(sample_row(r));
    expect_rows_equal(rf.read_trace(), 3);
    rf.close();
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"run.h5"});
  {
    RunFile rf = RunFile::open_rw(path, comm);
    expect_meta_equal(rf.meta(), sample_meta());
    EXPECT_EQ(rf.rounds_completed(), 3);
    EXPECT_FALSE(rf.finished());
    expect_rows_equal(rf.read_trace(), 3);
    rf.append(sample_row(4));
    rf.set_finished(true);
  }
  const RunFile rf = RunFile::open_read(path, comm);
  expect_rows_equal(rf.read_trace(), 4);
  EXPECT_TRUE(rf.finished());
}

TEST(RunFile, AppendChecksRoundAndWidths) {
  TempDir dir;
  const dist::SerialComm comm;
  RunFile rf = RunFile::create(dir.file("run.h5"), comm, sample_meta(), false);
  expect_throw_with<InvariantError>([&] { rf.append(sample_row(2)); }, {"round 2 after 0 rounds"});
  TraceRow row = sample_row(1);
  row.posterior.pop_back();
  expect_throw_with<InvariantError>([&] { rf.append(row); }, {"posterior", "3 values, expected 4"});
  EXPECT_EQ(rf.rounds_completed(), 0);
  EXPECT_TRUE(rf.read_trace().empty());
}

TEST(RunFile, RewriteReplacesTheWholeFile) {
  TempDir dir;
  const dist::SerialComm comm;
  const std::string path = dir.file("run.h5");
  RunFile::create(path, comm, sample_meta(), false).append(sample_row(1));
  std::vector<TraceRow> rows;
  for (int r = 1; r <= 5; ++r) rows.push_back(sample_row(r));
  const TensorBlob mark{"round", DType::kI64, {}, std::vector<std::uint8_t>(8, 0)};
  RunFile::rewrite(path, comm, sample_meta(), rows, false,
                   [&](H5File& f) { f.write_blobs("checkpoint", {mark}); });
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"run.h5"});
  {
    RunFile rf = RunFile::open_rw(path, comm);
    expect_meta_equal(rf.meta(), sample_meta());
    expect_rows_equal(rf.read_trace(), 5);
    EXPECT_FALSE(rf.finished());
    EXPECT_EQ(rf.file().read_blobs("checkpoint").size(), 1u);
    rf.append(sample_row(6));  // appends continue after a rewrite
  }
  RunFile::rewrite(path, comm, sample_meta(), {}, true, nullptr);
  const RunFile rf = RunFile::open_read(path, comm);
  EXPECT_EQ(rf.rounds_completed(), 0);
  EXPECT_TRUE(rf.finished());
  EXPECT_FALSE(rf.file().has("checkpoint"));
}

// A rewrite that fails part-way (here: in fill) leaves the old file byte for byte and no temp.
TEST(RunFile, FailedRewriteLeavesTheOldFile) {
  TempDir dir;
  const dist::SerialComm comm;
  const std::string path = dir.file("run.h5");
  RunFile::create(path, comm, sample_meta(), false).append(sample_row(1));
  const auto before = testing::file_bytes(path);
  expect_throw_with<InputError>(
      [&] {
        RunFile::rewrite(path, comm, sample_meta(), {sample_row(1), sample_row(2)}, false,
                         [](H5File&) { throw InputError("disk full (simulated)"); });
      },
      {"disk full"});
  EXPECT_EQ(testing::file_bytes(path), before);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"run.h5"});
  // rows must start at round 1
  expect_throw_with<InvariantError>(
      [&] { RunFile::rewrite(path, comm, sample_meta(), {sample_row(2)}, false, nullptr); },
      {"round 2 after 0 rounds"});
  EXPECT_EQ(testing::file_bytes(path), before);
}

TEST(RunFile, ExistingFileRefusedWithoutForce) {
  TempDir dir;
  const dist::SerialComm comm;
  const std::string path = dir.file("run.h5");
  RunFile::create(path, comm, sample_meta(), false).append(sample_row(1));
  const auto before = testing::file_bytes(path);
  expect_throw_with<InputError>([&] { RunFile::create(path, comm, sample_meta(), false); },
                                {path, "--force"});
  EXPECT_EQ(testing::file_bytes(path), before);
  RunFile rf = RunFile::create(path, comm, sample_meta(), true);
  EXPECT_EQ(rf.rounds_completed(), 0);
}

TEST(RunFile, DamagedOrForeignFilesRefused) {
  TempDir dir;
  const dist::SerialComm comm;
  expect_throw_with<InputError>([&] { RunFile::open_rw(dir.file("absent.h5"), comm); },
                                {"absent.h5", "no such file"});
  testing::write_bytes(dir.file("text.h5"), {'h', 'i'});
  expect_throw_with<InputError>([&] { RunFile::open_read(dir.file("text.h5"), comm); },
                                {"text.h5", "not an HDF5 file"});
  Dataset ds;
  write_dataset(dir.file("data.h5"), ds, false);
  expect_throw_with<InputError>([&] { RunFile::open_read(dir.file("data.h5"), comm); },
                                {"data.h5", "missing '/config'"});
  {
    RunFile rf = RunFile::create(dir.file("run.h5"), comm, sample_meta(), false);
    for (int r = 1; r <= 40; ++r) rf.append(sample_row(r));
  }
  auto bytes = testing::file_bytes(dir.file("run.h5"));
  bytes.resize(bytes.size() * 2 / 3);
  testing::write_bytes(dir.file("cut.h5"), bytes);
  expect_throw_with<InputError>([&] { RunFile::open_read(dir.file("cut.h5"), comm); }, {"cut.h5"});
}

// Runs a command and returns its exit status.
int run(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(RunFile, H5pyAndH5dumpReadOurFiles) {
  TempDir dir;
  const dist::SerialComm comm;
  {
    RunFile rf = RunFile::create(dir.file("run.h5"), comm, sample_meta(), false);
    for (int r = 1; r <= 2; ++r) rf.append(sample_row(r));
  }
  Dataset ds;
  const float o[17] = {1.5f}, a[6] = {-0.25f}, o2[17] = {0, 2.5f};
  ds.data.push(o, a, 3.0f, o2, false, true);
  ds.data.push(o2, a, -1.0f, o, true, false);
  ds.env_name = "HalfCheetah";
  write_dataset(dir.file("data.h5"), ds, false);
  const std::string script = dir.file("check.py");
  std::ofstream(script) << R"(import sys, h5py, numpy as np
run = h5py.File(sys.argv[1], "r")
t = run["trace"]
assert run.attrs["rounds_completed"] == 2 and run.attrs["finished"] == 0
assert run["config"][()].decode().startswith("seed: 7"), run["config"][()]
assert run["config"].attrs["seed"] == 2**63 + 5 and run["config"].attrs["levels"] == 3
assert list(t["round"][:]) == [1, 2] and list(t["level"][:]) == [2, 3]
assert t["posterior"].shape == (2, 4) and t["posterior"][1, 1] == 0.5 - 0.01 * 2
assert np.isinf(t["threshold"][0]) and t["threshold"][1] == 0.5
assert t["information_gain"][1, 2] == 0.3 * 2 and t["wall_seconds"][1] == 3.5
d = h5py.File(sys.argv[2], "r")
assert d["terminals"].dtype == np.bool_ and d["timeouts"].dtype == np.bool_
assert list(d["terminals"][:]) == [False, True] and list(d["timeouts"][:]) == [True, False]
assert d["observations"].shape == (2, 17) and d["observations"][0, 0] == 1.5
assert d["next_observations"][0, 1] == 2.5 and list(d["rewards"][:]) == [3.0, -1.0]
assert d.attrs["env"] == "HalfCheetah" and d.attrs["mfhrl_version"].count(".") == 2
)";
  EXPECT_EQ(
      run("/usr/bin/python3 " + script + " " + dir.file("run.h5") + " " + dir.file("data.h5")), 0);
  EXPECT_EQ(run("h5dump -H " + dir.file("run.h5") + " > " + dir.file("dump.txt")), 0);
  std::ifstream dump(dir.file("dump.txt"));
  const std::string text((std::istreambuf_iterator<char>(dump)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("DATASET \"posterior\""), std::string::npos);
  EXPECT_NE(text.find("H5S_UNLIMITED"), std::string::npos);
}

}  // namespace
}  // namespace mfhrl::io
