#include "mfhrl/core/partition.h"

#include <algorithm>
#include <cstdint>

#include "mfhrl/core/error.h"

namespace mfhrl {

Block block_of(int count, int num_ranks, int rank) {
  MFHRL_CHECK(count >= 0 && num_ranks >= 1 && rank >= 0 && rank < num_ranks,
              "block_of: count " << count << ", rank " << rank << " of " << num_ranks);
  // 64-bit products: count * num_ranks may exceed int for large instance counts.
  const std::int64_t n = count, p = num_ranks;
  return {static_cast<int>(rank * n / p), static_cast<int>((rank + 1) * n / p)};
}

int owner_of(int item, int count, int num_ranks) {
  MFHRL_CHECK(num_ranks >= 1 && item >= 0 && item < count,
              "owner_of: item " << item << " of " << count << " over " << num_ranks << " ranks");
  // Smallest p with floor((p+1)N/P) > i, i.e. (p+1)N >= (i+1)P.
  const std::int64_t n = count, p = num_ranks;
  return static_cast<int>(((item + 1) * p - 1) / n);
}

std::vector<int> block_sizes(int count, int num_ranks) {
  std::vector<int> sizes(static_cast<std::size_t>(num_ranks));
  for (int r = 0; r < num_ranks; ++r)
    sizes[static_cast<std::size_t>(r)] = block_of(count, num_ranks, r).size();
  return sizes;
}

int resolve_threads(int requested, int affinity_cores, int online_cores, int local_ranks) {
  if (requested > 0) return requested;
  const int cores = std::max(1, affinity_cores);
  if (cores < online_cores) return cores;  // bound: these cores are this process's own
  return std::max(1, cores / std::max(1, local_ranks));
}

}  // namespace mfhrl
