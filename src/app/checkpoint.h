// Checkpoints (DESIGN §6): the RunState after round r, saved. The small part (posterior, budget,
// RNG streams, env instances, discriminators, policies) goes under /checkpoint of the run file;
// the replay buffers' rows go, append-only, to segment files beside it (BufferLog), so a
// checkpoint costs what changed since the last one.
//
// Layout under /checkpoint (levels 1-based as in the trace, policies and instances 0-based):
//   round i64, budget_spent f64, posterior_eta f64, posterior f64 (L), spent_per_level f64 (K),
//   level_cost f64 (K), regret f64 (2: cumulative, cost-weighted), regret_rounds i64,
//   offline_digest i64 (of the offline dataset)
//   level_k/rows_collected i64   rows ever collected at level k (row indices 0 .. this - 1)
//   level_k/buffer_rows i64      its replay buffer: the newest this many of them (FIFO)
//   level_k/history_rows i64 (h) rows of the last h batches (the buffer's tail)
//   level_k/discriminator/...  level_k/discriminator_rng i64 (4)
//   level_k/env_i/{qpos, qvel, qacc_warmstart f64 (9), time f64, step i64, live u8, rng i64 (4),
//                  rollout_rng i64 (4)}            online env instance i of level k
//   policy_l/...  (agent state, as under /policies)   policy_l/online_rng i64 (4)
// Segments, <run file>.buffers/round_<r>.h5 (r zero-padded to 9 digits), one per checkpoint that
// had new rows: level_k/first_row i64 and level_k/{observations (n,17), actions (n,6), rewards,
// next_observations (n,17)} f32, level_k/{terminals, timeouts} u8 (D4RL names): rows first_row ..
// first_row + n - 1 of level k. (Checkpoints of builds before the segments held
// level_k/buffer/... under /checkpoint instead; they still resume.)
// RNG states are xoshiro256** words stored bit for bit as i64. Everything is keyed by level,
// instance or policy, never by rank, so a run may resume on a different number of ranks.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "mfhrl/core/tensor_blob.h"
#include "mfhrl/dist/comm.h"
#include "mfhrl/io/h5file.h"
#include "online.h"

namespace mfhrl::app {

struct Checkpoint {
  std::int64_t round = -1;  // -1: none
  TensorBlobs shared;       // identical on every rank (rank 0 writes them)
  TensorBlobs owned;        // this rank's policies and env instances (each rank writes its own)
  std::size_t bytes() const;
};

// The state after round s.round, in memory, without the buffers' rows (BufferLog keeps those).
// Local (no communication).
Checkpoint capture_checkpoint(const Config& c, const RunState& s);

// Collective over f's comm: writes ck under /checkpoint, shared blobs by rank 0, owned blobs by
// each rank in turn.
void write_checkpoint(io::H5File& f, const Checkpoint& ck);

// What a resume checks before it builds anything: read from /checkpoint of f (collective).
struct CheckpointHeader {
  std::int64_t round = 0;
  std::vector<double> level_cost;  // (K) the costs the run selected with (measured ones included)
  std::uint64_t offline_digest = 0;
};

// Collective over f's comm: every blob under /checkpoint. InputError naming the file if missing.
TensorBlobs read_checkpoint(const io::H5File& f);
// The header of blobs from read_checkpoint; InputError naming `what` (the file) on a missing or
// ill-shaped entry.
CheckpointHeader checkpoint_header(const TensorBlobs& blobs, int num_levels, int num_policies,
                                   const std::string& what);
// Restores s (sized for this rank by OnlineLoop's constructor), its policies included, from blobs
// that hold the buffers' rows as level_k/buffer/... (read_buffer_rows adds them). InputError
// naming `what` and the entry on anything missing or of the wrong shape.
void restore_checkpoint(const Config& c, const TensorBlobs& blobs, RunState& s,
                        const std::string& what);

// s's buffers as the blobs restore_checkpoint reads (level_k/buffer/...), in memory.
TensorBlobs buffer_blobs(const RunState& s);

// The directory of a run file's buffer segments: "<run_path>.buffers".
std::string buffers_dir(const std::string& run_path);

// True when blobs (of read_checkpoint) keep the buffers' rows in segments (level_k/rows_collected),
// false for an older build's checkpoint that holds them itself.
bool buffers_in_segments(const TensorBlobs& blobs);

// Adds to blobs the rows of each level's buffer that they describe (level_k/rows_collected,
// level_k/buffer_rows), read from the segments of checkpoints up to blobs' round (later ones are
// left over from a checkpoint that never landed), as level_k/buffer/.... Every rank reads (no
// communication). InputError naming `what` and the directory when rows are missing.
void read_buffer_rows(const std::string& run_path, int num_levels, TensorBlobs& blobs,
                      const std::string& what);

// The replay buffers' rows on disk, append-only: checkpoint r writes the rows the levels gained
// since the previous checkpoint once, as one segment (temp file, synced, renamed) before the run
// file that refers to them is committed; a segment is deleted only once every row in it has left
// its level's buffer. A kill at any moment leaves the last committed checkpoint whole.
class BufferLog {
 public:
  BufferLog(std::string run_path, const dist::Comm& comm, int num_levels, std::int64_t capacity);

  // A fresh run: removes what an earlier run left at this path. Collective.
  void start_fresh();
  // Resumed into s; `in_segments` as buffers_in_segments (false: the next checkpoint writes the
  // whole buffers). Removes segments later than s.round (of a checkpoint that never landed).
  // Collective.
  void start_resumed(const RunState& s, bool in_segments);
  // After every completed round: keeps the rows s's buffers gained since the last call.
  void note(const RunState& s);
  // Rank 0 writes the kept rows as the segment of checkpoint `round` (the state last noted), if
  // there are any; call it before committing the run file. Returns the bytes of rows written (on
  // every rank). Collective; InputError on every rank if rank 0 cannot write. Given `later`, rank
  // 0 queues the segment's sync and rename there. `in_temp` (a test hook) runs on rank 0 once the
  // rows are in the temp file, before it is renamed.
  std::size_t write(std::int64_t round, io::DeferredCommits* later = nullptr,
                    const std::function<void()>& in_temp = nullptr);
  // The run file holding checkpoint `round` is in place (or queued in `later` behind the segment):
  // forgets the kept rows and deletes the segments no longer needed (given `later`, queues their
  // removal after the run file's rename). Collective.
  void committed(std::int64_t round, io::DeferredCommits* later = nullptr);
  // The run finished (its file has no checkpoint): deletes the directory. Collective.
  void remove_all();

 private:
  struct Segment {
    std::int64_t round;
    std::vector<std::int64_t> end;  // (K) one past its last row of each level (0: none)
  };
  std::string segment_path(std::int64_t round) const;

  std::string dir_;
  const dist::Comm& comm_;
  int K_;
  std::size_t capacity_;
  std::vector<Transitions> kept_;          // (K) rows gained since the last committed write
  std::vector<std::int64_t> noted_total_;  // (K) rows_collected when last noted
  std::vector<std::int64_t> noted_size_;   // (K) buffer sizes when last noted
  std::vector<Segment> segments_;          // on disk, oldest first (rank 0's list)
};

}  // namespace mfhrl::app
