// What a learner is made of (sizes, rates, CQL and H2O settings) and what an update reports.
// Torch-free: callers of the learn module never see torch.
#pragma once

#include <cstdint>
#include <vector>

#include "mfhrl/core/config.h"
#include "mfhrl/core/transitions.h"

namespace mfhrl::learn {

struct AgentSpec {
  int obs_dim = kObsDim;
  int act_dim = kActDim;
  NetworkConfig net;
  // The critics' hidden widths when they differ from the actor's (net.hidden); empty: the same.
  // No config key sets it: it is for comparing with CORL's 3x256 critics (the learn benchmark).
  std::vector<int> critic_hidden;
  const std::vector<int>& critic_widths() const {
    return critic_hidden.empty() ? net.hidden : critic_hidden;
  }
  CqlConfig cql;
  H2oConfig h2o;
};

// Losses are means over the twin critics; the critics minimise the sum of both, i.e.
// 2 * (critic_loss + weight * cql_penalty), plus 2 * h2o.real_penalty * (the CQL(H) term at the
// real rows' states) in H2O, which is not in these stats.
struct UpdateStats {
  double critic_loss = 0.0;  // Bellman MSE (importance-weighted on simulated rows for H2O)
  double actor_loss = 0.0;   // E[alpha * log pi(a|s) - min_j Q_j(s, a)]
  double alpha = 0.0;        // entropy temperature used in this step (before its own update)
  double cql_penalty = 0.0;  // unweighted conservative penalty (0 for plain SAC)
  double q_mean = 0.0;       // mean Q_1 on the (real) minibatch
};

enum class UpdateKind { kSac, kCql, kH2o };

// What H2O knows of each simulated row of a minibatch, from the discriminators of its level:
// ratio = w = P_real/P_sim(s'|s,a) in [h2o.ratio_min, h2o.ratio_max], and gap = u(s,a) >= 0, the
// dynamics gap behind the conservative term's omega = u / sum(u). Empty vectors mean w = 1 and
// uniform omega (a level without a gap, or h2o.dynamics_ratio: one).
struct SimRowWeights {
  std::vector<float> ratio;  // (n_sim) or empty
  std::vector<float> gap;    // (n_sim) or empty
};

// The learner part of a run configuration.
AgentSpec agent_spec(const Config& config);

// Throws InputError naming the config key (e.g. `network.hidden`) of the first bad value.
void validate(const AgentSpec& spec);

// Sets torch (and OpenBLAS through it) to `threads` intra-op threads. Only 1 keeps results
// bit-identical across rank counts: at the demo's sizes 2 threads change the last bits of the
// updates (bench/README.md).
void init_threads(int threads = 1);

// Keeps freed tensor memory in the process's heap (glibc malloc: blocks up to 32 MB from the heap
// instead of fresh mmap pages, the heap trimmed only above 512 MB free) so that each update's
// activations reuse pages already mapped. A 256-256 CQL update was about 9% faster
// (bench/README.md); no result changes. Call once at process start; a no-op on other C libraries.
void keep_tensor_memory();

// Matmul FLOPs of one update at minibatch `batch` (H2O: `batch` real + `batch` simulated rows);
// a backward pass is counted as twice its forward pass.
double update_flops(const AgentSpec& spec, UpdateKind kind, int batch);

// Seconds per torch::mm of (m x k) * (k x n) float matrices, best of `reps` (for FLOP/s baselines).
double matmul_seconds(int m, int k, int n, int reps);

}  // namespace mfhrl::learn
