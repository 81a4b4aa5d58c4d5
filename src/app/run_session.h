// One `mfhrl run` (DESIGN §3, §6): the offline phase or a checkpoint's state, then rounds until the
// budget is spent or a stop signal, with the run file holding the trace and a checkpoint at all
// times.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "common.h"
#include "mfhrl/core/tensor_blob.h"
#include "mfhrl/core/trace.h"

namespace mfhrl::app {

// Where a resumed run continues: the trace up to its checkpoint and the checkpoint itself.
struct ResumePoint {
  std::vector<TraceRow> rows;       // rounds 1..checkpoint round
  std::int64_t file_rounds = 0;     // rounds in the file (more when it crashed between checkpoints)
  TensorBlobs checkpoint;           // the buffers' rows included (read_buffer_rows)
  bool buffers_in_segments = true;  // false: an older build's checkpoint, buffers inside it
  CheckpointHeader header;          // of `checkpoint`: round, level costs in use, offline digest
};

// Checks run file `path` for --resume without writing to it: InputError naming the file when it
// is missing, unreadable, finished, of another config (checkpoint.every aside) or L, or without a
// usable checkpoint.
// Returns the config to continue with (the file's own when opts has no --config; overrides
// apply) and fills *point. Collective over comm.
Config prepare_resume(const std::string& path, const ConfigOptions& opts, const dist::Comm& comm,
                      ResumePoint* point);

// Runs to the end of the budget or to a stop signal (then exit 0 with a resume line); `resume`
// null starts afresh (offline phase, or `pretrained` when not empty). Collective over comm.
void run_session(const Config& c, const dist::Comm& comm, const std::string& path,
                 const std::string& pretrained, const ResumePoint* resume);

}  // namespace mfhrl::app
