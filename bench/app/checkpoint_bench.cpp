// What a checkpoint costs as a run goes on, at the default config (configs/halfcheetah.yaml: L = 8
// policies of 256-256 with Adam state, K = 3 discriminators, 4 env instances per level), with
// n = 1000 rows collected per round, round robin over the levels, and
// online.buffer_capacity = 12000 (so the buffers fill by round 36 and then evict):
//   - each round's checkpoint as a run writes it: the buffers' new rows as a segment, then the
//     run file (config, trace, /checkpoint) anew, fsynced and renamed; bytes and time per round;
//   - "whole": what the same checkpoint would be if the buffers were rewritten in it every time
//     (the layout before segments), in bytes;
//   - plain: the last checkpoint's bytes written sequentially with write(2) + fsync + rename;
//     prints the ratio write / plain.
// MFHRL_BENCH_DIR picks the directory (default: the temp dir), MFHRL_BENCH_ROUNDS the number of
// rounds (default 60). Under mpirun each rank writes its own policies and envs, as in a run.
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

double file_bytes(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0.0 : static_cast<double>(n);
}

double dir_bytes(const std::string& dir, int* files) {
  double total = 0.0;
  *files = 0;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return 0.0;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    total += file_bytes(e.path().string());
    ++*files;
  }
  return total;
}

int bench_main(const dist::Comm& comm) {
  learn::init_threads();
  config::ConfigSource src;
  src.overrides = {"online.buffer_capacity=12000"};
  const Config c = config::load_config(src);  // the built-in defaults, smaller buffers
  const Transitions offline = synthetic(10000, 1);
  const app::Levels levels = app::build_levels(c, comm);
  app::RunState s =
      app::initial_run_state(c, comm, levels, offline, app::PolicySet(c, comm, offline));
  const int K = c.num_levels();
  const int rounds =
      std::getenv("MFHRL_BENCH_ROUNDS") ? std::atoi(std::getenv("MFHRL_BENCH_ROUNDS")) : 60;
  const std::size_t n = static_cast<std::size_t>(c.online.batch_transitions);
  const io::RunFileMeta meta = app::run_file_meta(c);
  const std::string dir = std::getenv("MFHRL_BENCH_DIR") ? std::getenv("MFHRL_BENCH_DIR")
                                                         : std::filesystem::temp_directory_path();
  const std::string path = dir + "/mfhrl_bench_checkpoint.h5";
  app::BufferLog log(path, comm, K, c.online.buffer_capacity);
  log.start_fresh();

  std::vector<TraceRow> trace;
  double total_new = 0.0, total_whole = 0.0, last_bytes = 0.0, last_seconds = 0.0;
  double last_buffer_bytes = 0.0, first_bytes = 0.0;
  if (comm.rank() == 0) {
    std::printf("checkpoint per round at the default config on %d rank(s), n = %zu, capacity %d\n",
                comm.size(), n, c.online.buffer_capacity);
    std::printf("%6s %12s %12s %14s %12s %12s %10s\n", "round", "buffer rows", "written MB",
                "KB vs round 1", "of it rows", "whole MB", "time ms");
  }
  for (int r = 1; r <= rounds; ++r) {
    const auto k = static_cast<std::size_t>(r % K);
    Transitions batch = synthetic(n, 100 + static_cast<std::uint64_t>(r));
    s.buffers[k].append(batch);
    keep_newest(s.buffers[k], static_cast<std::size_t>(c.online.buffer_capacity));
    s.history[k].push_back(std::move(batch));
    while (static_cast<int>(s.history[k].size()) > c.igm.history) s.history[k].pop_front();
    s.rows_collected[k] += static_cast<std::int64_t>(n);
    s.round = r;
    TraceRow row;
    row.round = r;
    row.level = static_cast<int>(k) + 1;
    row.information_gain.assign(K, 0.1);
    row.ig_per_cost.assign(K, 0.01);
    row.posterior.assign(c.offline.policies, 1.0 / c.offline.policies);
    row.policy_losses.assign(c.offline.policies, 1.0);
    row.policy_returns.assign(c.offline.policies, 0.0);
    trace.push_back(row);

    comm.barrier();
    const auto start = std::chrono::steady_clock::now();
    log.note(s);
    const app::Checkpoint ck = app::capture_checkpoint(c, s);
    const double rows = static_cast<double>(log.write(r));
    io::RunFile::rewrite(path, comm, meta, trace, false,
                         [&](io::H5File& f) { app::write_checkpoint(f, ck); });
    log.committed(r);
    comm.barrier();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double held = 0.0, buffer_bytes = 0.0;
    for (const auto& b : app::buffer_blobs(s)) buffer_bytes += static_cast<double>(b.bytes.size());
    for (const auto& b : s.buffers) held += static_cast<double>(b.size());
    const double written = rows + file_bytes(path);
    const double whole = file_bytes(path) + buffer_bytes;
    total_new += written;
    total_whole += whole;
    last_bytes = written;
    if (r == 1) first_bytes = written;
    last_seconds = seconds;
    last_buffer_bytes = buffer_bytes;
    if (comm.rank() == 0 && (r == 1 || r % 5 == 0 || r == rounds)) {
      std::printf("%6d %12.0f %12.3f %14.1f %12.3f %12.2f %10.1f\n", r, held, written / 1e6,
                  (written - first_bytes) / 1e3, rows / 1e6, whole / 1e6, 1e3 * seconds);
    }
  }
  int files = 0;
  const double on_disk = dir_bytes(app::buffers_dir(path), &files);

  double plain = 0.0;
  if (comm.rank() == 0) {
    std::vector<std::uint8_t> payload(static_cast<std::size_t>(last_bytes), 0x5a);
    const dist::SerialComm serial;
    plain = median_seconds(serial, 5, [&] { write_plain(path + ".bin", payload); });
    std::remove((path + ".bin").c_str());
  }
  comm.barrier();
  if (comm.rank() == 0) {
    std::printf(
        "over %d rounds: %.1f MB written, against %.1f MB with the buffers rewritten in "
        "every checkpoint (%.2fx)\n",
        rounds, total_new / 1e6, total_whole / 1e6, total_whole / total_new);
    std::printf("segments on disk at the end: %d files, %.1f MB (the buffers hold %.1f MB)\n",
                files, on_disk / 1e6, last_buffer_bytes / 1e6);
    std::printf("plain sequential write + fsync of the last checkpoint's bytes %.1f ms\n",
                1e3 * plain);
    std::printf("ratio checkpoint write / plain write: %.2f\n", last_seconds / plain);
  }
  log.remove_all();
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
