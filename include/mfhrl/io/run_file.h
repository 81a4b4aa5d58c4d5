// The run file: one HDF5 file per run holding the resolved config, the regret trace (one row per
// round, flushed as it is appended) and checkpoint tensors (DESIGN §6).
//
// Layout (readable with h5py / h5dump, no mfhrl code needed):
//   /  attributes: mfhrl_version (str), finished (i64 0/1), rounds_completed (i64)
//   /config  scalar variable-length UTF-8 string: the resolved config YAML
//            attributes: seed (u64), strategy (str), levels (i64, K), policies (i64, L),
//            budget_total (f64), config_hash (str)
//   /trace/  one chunked dataset per TraceRow field, unlimited first axis, row r-1 = round r:
//            round i64 (R); level i32 (R); cost, budget_spent, threshold, eval_return_mean,
//            eval_return_std, normalized_score, regret, cumulative_regret, cost_weighted_regret,
//            wall_seconds f64 (R); information_gain, ig_per_cost f64 (R,K); posterior f64 (R,L);
//            deployed_policy, rollout_policy i32 (R)
//   /checkpoint/...  the state to resume from (written by the app through rewrite(); see README)
//   /policies/...    the final policies of a finished run
// e.g. h5py: f["trace/regret"][:], f["config"][()].decode(), f.attrs["rounds_completed"].
//
// Parallel rules: every call is collective over comm and every rank passes identical rows; rank 0
// alone selects data in the collective writes. create() and rewrite() write /config with rank 0
// alone (serial driver, so no variable-length data is written in parallel) into a temp file, which
// all ranks then open to add the rest before it is renamed into place.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mfhrl/core/trace.h"
#include "mfhrl/io/h5file.h"

namespace mfhrl::io {

struct RunFileMeta {
  std::string config_yaml;  // the resolved config, as printed
  std::uint64_t seed = 0;
  std::string strategy;
  int levels = 0;    // K: width of information_gain / ig_per_cost
  int policies = 0;  // L: width of posterior
  double budget_total = 0.0;
  std::string config_hash;
};

class RunFile {
 public:
  // Collective over comm: creates path with /config and an empty /trace (rewrite() with no rows).
  // An existing path is refused (InputError naming it and `--force`) unless force.
  static RunFile create(const std::string& path, const dist::Comm& comm, const RunFileMeta& meta,
                        bool force);
  // Collective over comm: opens an existing run file for appending (e.g. to resume).
  static RunFile open_rw(const std::string& path, const dist::Comm& comm);
  // Collective over comm: opens an existing run file read-only (e.g. `mfhrl info`).
  static RunFile open_read(const std::string& path, const dist::Comm& comm);

  // Collective over comm: appends row (round must be rounds_completed()+1) to every column and
  // flushes, so every completed round survives a crash.
  void append(const TraceRow& row);
  // Collective over comm: writes a complete new run file for path -- /config from meta, the trace
  // `rows` (rounds 1..n), the `finished` attribute, then whatever `fill` adds (a /checkpoint, the
  // final /policies) -- as path.tmp, syncs it to disk and only then renames it over path. A crash
  // or kill at any point before the rename leaves the previous file at path whole. If fill throws
  // (alike on every rank) the temp file is removed and path is untouched. Given `later`, rank 0
  // queues the sync and rename there instead (finish_commits reports their failure).
  static void rewrite(const std::string& path, const dist::Comm& comm, const RunFileMeta& meta,
                      const std::vector<TraceRow>& rows, bool finished,
                      const std::function<void(H5File&)>& fill, DeferredCommits* later = nullptr);

  // Every row of the trace, in round order.
  std::vector<TraceRow> read_trace() const;
  // Collective over comm: sets the root attribute `finished` and flushes.
  void set_finished(bool finished);
  bool finished() const;
  std::int64_t rounds_completed() const { return rounds_; }
  const RunFileMeta& meta() const { return meta_; }
  // The underlying file, for checkpoint tensors (write_blobs / read_blobs).
  H5File& file() { return file_; }
  const H5File& file() const { return file_; }
  // Collective over comm: closes the file; InputError if writing it out fails.
  void close() { file_.close(); }

 private:
  RunFile(H5File file, RunFileMeta meta, std::int64_t rounds)
      : file_(std::move(file)), meta_(std::move(meta)), rounds_(rounds) {}
  static RunFile open_existing(const std::string& path, const dist::Comm& comm, bool writable);
  void resize_trace(std::int64_t rounds);
  // Appends consecutive rows (no flush).
  void append_rows(const std::vector<TraceRow>& rows);

  H5File file_;
  RunFileMeta meta_;
  std::int64_t rounds_ = 0;
};

}  // namespace mfhrl::io
