// Checkpoints (DESIGN §6): the whole state of a run after round r as named tensors, written under
// /checkpoint of the run file and read back by `mfhrl run --resume`.
//
// Layout under /checkpoint (levels 1-based as in the trace, policies and instances 0-based):
//   round i64, budget_spent f64, posterior f64 (L), spent_per_level f64 (K), level_cost f64 (K),
//   regret f64 (2: cumulative, cost-weighted), offline_digest i64 (of the offline dataset)
//   level_k/buffer/{observations (N,17), actions (N,6), rewards (N), next_observations (N,17)} f32,
//   level_k/buffer/{terminals, timeouts} u8 (N)      the replay buffer of level k (D4RL names)
//   level_k/history_rows i64 (h)                      rows of the last h batches (the buffer's
//   tail) level_k/discriminator/...  level_k/discriminator_rng i64 (4) level_k/env_i/{qpos, qvel,
//   qacc_warmstart f64 (9), time f64, step i64, live u8, rng i64 (4),
//                  rollout_rng i64 (4)}            online env instance i of level k
//   policy_l/...  (agent state, as under /policies)   policy_l/online_rng i64 (4)
// RNG states are xoshiro256** words stored bit for bit as i64. Everything is keyed by level,
// instance or policy, never by rank, so a run may resume on a different number of ranks.
#pragma once

#include <cstdint>
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

// A content digest of the offline data (FNV-1a over every column), so a resume refuses a dataset
// that changed under the same path.
std::uint64_t offline_digest(const Transitions& data);

// The state after round s.round, in memory. Local (no communication).
Checkpoint capture_checkpoint(const Config& c, const RunState& s, const PolicySet& policies,
                              const std::vector<double>& level_cost, std::uint64_t digest);

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
// Restores s (sized for this rank by OnlineLoop's constructor) and this rank's policies from
// blobs. InputError naming `what` and the entry on anything missing or of the wrong shape.
void restore_checkpoint(const Config& c, const TensorBlobs& blobs, RunState& s, PolicySet& policies,
                        const std::string& what);

}  // namespace mfhrl::app
