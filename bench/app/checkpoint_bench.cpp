// The run's real checkpoint at the default config (configs/halfcheetah.yaml: L = 8 policies of
// 256-256 with Adam state, K = 3 discriminators, 4 env instances per level) and replay buffers
// of a spent default budget (Γ = 10000, a third per level: 33,333 + 11,111 + 3,333 rows):
//   - capture: the in-memory snapshot a run takes after every round;
//   - write: RunFile::rewrite with the trace and /checkpoint (temp file, fsync, rename);
//   - plain: the same number of bytes written sequentially with write(2) + fsync + rename.
// Prints the ratio write/plain. MFHRL_BENCH_DIR picks the directory (default: the temp dir).
// Under mpirun each rank writes its own policies and envs, as in a run. MFHRL_BENCH_REPS sets the
// number of timed checkpoint writes (default 5; more for profiling).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "common.h"
#include "mfhrl/config/load.h"
#include "mfhrl/dist/mpi_comm.h"
#include "mfhrl/io/run_file.h"
#include "mfhrl/learn/spec.h"
#include "online.h"
#include "policies.h"

namespace {

using namespace mfhrl;

Transitions synthetic(std::size_t n, std::uint64_t index) {
  Rng rng(0, Stream::kTest, index);
  Transitions t;
  t.reserve(n);
  std::vector<float> o(kObsDim), a(kActDim), o2(kObsDim);
  for (std::size_t i = 0; i < n; ++i) {
    for (auto& x : o) x = static_cast<float>(rng.normal());
    for (auto& x : a) x = static_cast<float>(rng.uniform(-1, 1));
    for (auto& x : o2) x = static_cast<float>(rng.normal());
    t.push(o.data(), a.data(), static_cast<float>(rng.normal()), o2.data(), false,
           (i + 1) % 1000 == 0);
  }
  return t;
}

template <typename F>
double median_seconds(const dist::Comm& comm, int reps, F f) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    comm.barrier();
    const auto start = std::chrono::steady_clock::now();
    f();
    comm.barrier();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// payload written in 4 MB pieces, synced, then renamed over path.
void write_plain(const std::string& path, const std::vector<std::uint8_t>& payload) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) std::abort();
  const std::size_t piece = 4u << 20;
  for (std::size_t off = 0; off < payload.size(); off += piece) {
    const std::size_t n = std::min(piece, payload.size() - off);
    if (::write(fd, payload.data() + off, n) != static_cast<ssize_t>(n)) std::abort();
  }
  if (::fsync(fd) != 0) std::abort();
  ::close(fd);
  std::rename(tmp.c_str(), path.c_str());
}

int bench_main(const dist::Comm& comm) {
  learn::init_threads();
  config::ConfigSource src;
  const Config c = config::load_config(src);  // the built-in defaults
  const Transitions offline = synthetic(10000, 1);
  const app::Levels levels = app::build_levels(c, comm);
  app::PolicySet policies(c, comm, offline);
  app::OnlineLoop loop(c, comm, levels, offline, policies);
  app::RunState& s = loop.mutable_state();
  const int K = c.num_levels();
  for (int k = 0; k < K; ++k) {
    const auto rows = static_cast<std::size_t>(c.budget_total / K / levels.cost[k]);
    s.buffers[k] = synthetic(rows, 10 + k);
    for (int m = 0; m < c.igm.history && (m + 1) * 1000 <= static_cast<int>(rows); ++m) {
      const std::size_t end = rows - static_cast<std::size_t>(m) * 1000;
      s.history[k].push_front(s.buffers[k].slice(end - 1000, end));
    }
  }
  std::vector<TraceRow> trace;
  for (int r = 1; r <= 100; ++r) {
    TraceRow row;
    row.round = r;
    row.level = 1;
    row.information_gain.assign(K, 0.1);
    row.ig_per_cost.assign(K, 0.01);
    row.posterior.assign(c.offline.policies, 1.0 / c.offline.policies);
    row.policy_losses.assign(c.offline.policies, 1.0);
    row.policy_returns.assign(c.offline.policies, 0.0);
    trace.push_back(row);
  }
  const io::RunFileMeta meta = app::run_file_meta(c);
  const std::string dir = std::getenv("MFHRL_BENCH_DIR") ? std::getenv("MFHRL_BENCH_DIR")
                                                         : std::filesystem::temp_directory_path();
  const std::string path = dir + "/mfhrl_bench_checkpoint.h5";

  app::Checkpoint ck;
  const double capture = median_seconds(
      comm, 5, [&] { ck = app::capture_checkpoint(c, s, policies, levels.cost, 42); });
  const int reps = std::getenv("MFHRL_BENCH_REPS") ? std::atoi(std::getenv("MFHRL_BENCH_REPS")) : 5;
  const double write = median_seconds(comm, std::max(reps, 1), [&] {
    io::RunFile::rewrite(path, comm, meta, trace, false,
                         [&](io::H5File& f) { app::write_checkpoint(f, ck); });
  });
  const double file_mb = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
  const double empty = median_seconds(
      comm, 5, [&] { io::RunFile::rewrite(path, comm, meta, trace, false, nullptr); });
  // Bytes of the whole checkpoint: shared ones once, owned ones summed over ranks.
  std::size_t shared_bytes = 0;
  for (const auto& b : ck.shared) shared_bytes += b.bytes.size();
  std::vector<double> owned{static_cast<double>(ck.bytes() - shared_bytes)};
  comm.allreduce_sum(owned);
  const double total = static_cast<double>(shared_bytes) + owned[0];

  double plain = 0.0;
  if (comm.rank() == 0) {
    std::vector<std::uint8_t> payload(static_cast<std::size_t>(total), 0x5a);
    const dist::SerialComm serial;
    plain = median_seconds(serial, 5, [&] { write_plain(path + ".bin", payload); });
    std::remove((path + ".bin").c_str());
  }
  comm.barrier();
  if (comm.rank() == 0) {
    const double mb = total / 1e6;
    std::printf(
        "checkpoint at the default config on %d rank(s): %.1f MB of tensors "
        "(%.1f MB of policies and envs, %.1f MB shared: buffers, discriminators), "
        "file %.1f MB\n",
        comm.size(), mb, owned[0] / 1e6, shared_bytes / 1e6, file_mb);
    std::printf("capture (every round) %.1f ms\n", 1e3 * capture);
    std::printf("write (rewrite + fsync + rename) %.1f ms, %.0f MB/s\n", 1e3 * write, mb / write);
    std::printf("  of which %.1f ms for the file without /checkpoint (config, 100 trace rows)\n",
                1e3 * empty);
    std::printf("plain sequential write + fsync %.1f ms, %.0f MB/s\n", 1e3 * plain, mb / plain);
    std::printf("ratio checkpoint write / plain write: %.2f\n", write / plain);
  }
  std::remove(path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (dist::launched_under_mpi()) {
    dist::MpiComm comm(&argc, &argv);
    return bench_main(comm);
  }
  const dist::SerialComm comm;
  return bench_main(comm);
}
