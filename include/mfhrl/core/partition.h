// Contiguous block partition over MPI ranks (DESIGN §5): rank p owns [floor(pN/P),
// floor((p+1)N/P)). Blocks depend only on (N, P, p), so every rank computes every other rank's
// block without talking.
#pragma once

#include <vector>

namespace mfhrl {

// Half-open index range [begin, end).
struct Block {
  int begin = 0;
  int end = 0;

  int size() const { return end - begin; }
  bool contains(int i) const { return begin <= i && i < end; }
};

// Block of `count` items owned by rank p of P (may be empty when P > count).
Block block_of(int count, int num_ranks, int rank);

// The policies rank p trains; ranks past L own none and only simulate.
inline Block policy_block(int num_policies, int num_ranks, int rank) {
  return block_of(num_policies, num_ranks, rank);
}

// The environment instances rank p steps.
inline Block instance_block(int num_envs, int num_ranks, int rank) {
  return block_of(num_envs, num_ranks, rank);
}

// The rank whose block holds item i of count.
int owner_of(int item, int count, int num_ranks);

// Block sizes of every rank (the counts an MPI gather-v takes).
std::vector<int> block_sizes(int count, int num_ranks);

// Intra-op threads of one process for config key `threads` (requested; 0 = auto). auto: a process
// bound to a subset of the node's cores (mpirun --bind-to core, srun --cpu-bind) uses the cores
// it is bound to; an unbound one (affinity = every online core) shares the node's cores with the
// other local_ranks processes. Always >= 1.
int resolve_threads(int requested, int affinity_cores, int online_cores, int local_ranks);

}  // namespace mfhrl
