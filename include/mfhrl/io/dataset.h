// Offline datasets in the D4RL HDF5 layout (DESIGN §6), readable by h5py and real D4RL tools.
//
// File layout (written; read accepts the D4RL variants noted):
//   /observations       (N,17) f32   (read: any numeric type, e.g. f64)
//   /actions            (N,6)  f32
//   /rewards            (N,)   f32   (read: f32 or f64 or any numeric)
//   /next_observations  (N,17) f32
//   /terminals          (N,)   bool  h5py's numpy bool: enum over int8, FALSE=0 TRUE=1
//   /timeouts           (N,)   bool  (read: enum, int8, uint8, float; values must be 0 or 1)
//   /infos/qpos         (N,9)  f64   optional
//   /infos/qvel         (N,9)  f64   optional
//   root attributes: env, level, mfhrl_version, behaviour (UTF-8 strings; absent in D4RL files:
//   read as ""), behaviour_return (f64; absent: NaN)
// Any other key (infos/action_log_probs, metadata/...) is ignored on read.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "mfhrl/core/transitions.h"

namespace mfhrl::io {

inline constexpr int kQposDim = 9;  // HalfCheetah qpos including rootx
inline constexpr int kQvelDim = 9;

struct Dataset {
  Transitions data;
  std::vector<double> qpos;  // (N, 9) row-major, or empty when absent
  std::vector<double> qvel;  // (N, 9) row-major, or empty when absent
  std::string env_name;
  std::string level_name;
  std::string behaviour;  // random | medium | medium-replay | expert ("" when unknown)
  double behaviour_return = std::numeric_limits<double>::quiet_NaN();  // its average return
};

// Writes ds to path atomically (<path>.tmp.<pid>, then rename). An existing path is refused with an
// InputError naming it and `--force` unless force. On any failure the temp file is removed and an
// old file at path is left untouched. Non-finite values are refused (NumericalError naming the
// row).
void write_dataset(const std::string& path, const Dataset& ds, bool force);

// Reads and fully validates a dataset (ours or a real D4RL file). Any problem -> InputError naming
// the file, the key and the first bad row; nothing is returned half-loaded.
Dataset read_dataset(const std::string& path);

struct DatasetSummary {
  std::size_t transitions = 0;
  std::size_t episodes = 0;          // complete episodes (ended by terminal or timeout)
  std::size_t partial_episodes = 0;  // 1 when rows after the last episode end remain, else 0
  double partial_return = 0.0;       // summed reward of that trailing partial episode
  double return_mean = 0.0;          // over complete episodes; 0 when there are none
  double return_min = 0.0;
  double return_max = 0.0;
  double normalized_score = 0.0;  // D4RL normalized score of return_mean
};

// Episode statistics: episodes split after every row with terminal or timeout set.
DatasetSummary summarize(const Dataset& ds);

}  // namespace mfhrl::io
