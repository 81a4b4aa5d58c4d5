// Parallel HDF5 under mpirun -np 2: the run file trace and owner-written checkpoint blobs written
// collectively read back exactly on every rank. Its own main (MpiComm), registered with mpiexec.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "mfhrl/dist/mpi_comm.h"
#include "mfhrl/io/h5file.h"
#include "mfhrl/io/run_file.h"
#include "mpi_test_main.h"

namespace mfhrl::io {
namespace {

const dist::Comm* g_comm = nullptr;

// A directory shared by all ranks: rank 0 makes it and broadcasts its name.
std::string shared_dir() {
  std::vector<std::uint8_t> name;
  if (g_comm->rank() == 0) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mfhrl_mpi_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    name.assign(tmpl.begin(), tmpl.end());
  }
  g_comm->broadcast(name, 0);
  return std::string(name.begin(), name.end());
}

TraceRow row_for(std::int64_t r) {
  TraceRow row;
  row.round = r;
  row.level = static_cast<int>(r);
  row.cost = 0.5 * static_cast<double>(r);
  row.information_gain = {1.0 / static_cast<double>(r), 2.0};
  row.ig_per_cost = {3.0, -1.0 * static_cast<double>(r)};
  row.posterior = {0.25, 0.25, 0.125, 0.375};
  row.policy_losses = {1.0, 2.0, 3.0, static_cast<double>(r)};
  row.policy_returns = {-1.0, 0.0, 1.0, static_cast<double>(r)};
  row.deployed_policy = 3;
  row.regret = 100.0 - static_cast<double>(r);
  return row;
}

TensorBlobs policy_blobs(int p) {
  TensorBlob w;
  w.name = "actor/0.weight";
  w.shape = {2, 2};
  const float v[4] = {static_cast<float>(p), 1.5f, -2.0f, 0.25f};
  w.bytes.resize(sizeof v);
  std::memcpy(w.bytes.data(), v, sizeof v);
  TensorBlob step;
  step.name = "step";
  step.dtype = DType::kI64;
  const std::int64_t s = 1000 + p;
  step.bytes.resize(8);
  std::memcpy(step.bytes.data(), &s, 8);
  return {w, step};
}

TEST(MpiIo, RunFileAndOwnedBlobsAreCollective) {
  ASSERT_EQ(g_comm->size(), 2);
  const std::string dir = shared_dir();
  RunFileMeta meta;
  meta.config_yaml = "seed: 1\n";
  meta.levels = 2;
  meta.policies = 4;
  {
    RunFile rf = RunFile::create(dir + "/run.h5", *g_comm, meta, false);
    for (int r = 1; r <= 3; ++r) rf.append(row_for(r));
    rf.set_finished(true);
    rf.close();
  }
  const RunFile rf = RunFile::open_read(dir + "/run.h5", *g_comm);
  const auto rows = rf.read_trace();
  ASSERT_EQ(rows.size(), 3u);
  for (int r = 1; r <= 3; ++r) {
    const TraceRow want = row_for(r);
    EXPECT_EQ(rows[r - 1].round, r);
    EXPECT_EQ(rows[r - 1].cost, want.cost);
    EXPECT_EQ(rows[r - 1].information_gain, want.information_gain);
    EXPECT_EQ(rows[r - 1].ig_per_cost, want.ig_per_cost);
    EXPECT_EQ(rows[r - 1].posterior, want.posterior);
    EXPECT_EQ(rows[r - 1].policy_losses, want.policy_losses);
    EXPECT_EQ(rows[r - 1].policy_returns, want.policy_returns);
    EXPECT_EQ(rows[r - 1].regret, want.regret);
  }
  EXPECT_TRUE(rf.finished());

  // Policy p is owned by rank p % 2, which alone holds its tensors.
  const std::string ck = dir + "/checkpoint.h5";
  write_file_atomically(ck, *g_comm, [&](H5File& f) {
    for (int p = 0; p < 4; ++p) {
      const int owner = p % 2;
      const TensorBlobs mine = g_comm->rank() == owner ? policy_blobs(p) : TensorBlobs{};
      f.write_blobs_owned("checkpoint/policy_" + std::to_string(p), mine, owner);
    }
  });
  const H5File f = H5File::open(ck, *g_comm, false);
  for (int p = 0; p < 4; ++p) {
    const TensorBlobs got = f.read_blobs("checkpoint/policy_" + std::to_string(p));
    const TensorBlobs want = policy_blobs(p);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].name, want[i].name);
      EXPECT_EQ(got[i].shape, want[i].shape);
      EXPECT_EQ(got[i].bytes, want[i].bytes) << "policy " << p << " " << got[i].name;
    }
  }
  g_comm->barrier();
  if (g_comm->rank() == 0) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mfhrl::io

int main(int argc, char** argv) {
  return mfhrl::testing::run_mpi_tests(argc, argv, mfhrl::io::g_comm);
}
