// What a config costs before it runs: the rounds its budget implies and the memory one rank
// holds. Plain arithmetic on the config, so a user's mistake (a budget of 1e308, a history of
// 1e8 batches) is refused or priced at start instead of when a node runs out of memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mfhrl/core/config.h"
#include "mfhrl/core/transitions.h"

namespace mfhrl {

// Bytes of one Transitions row: obs, act, rew, next_obs as float32, terminal and timeout bytes.
constexpr std::int64_t kTransitionRowBytes =
    (2 * kObsDim + kActDim + 1) * static_cast<std::int64_t>(sizeof(float)) + 2;

// Most online rounds a run may have (each writes a trace row and takes well over 0.1 s, so this
// is days of wall time): a budget implying more is refused as budget.total.
constexpr double kMaxRounds = 100000.0;

// Rounds the budget lasts at the cheapest level: total / (min_k cost_k * n), rounded up.
// InvariantError on an empty cost list, a cost <= 0 or n < 1.
double implied_rounds(double total, const std::vector<double>& cost_per_transition, int n);

// Empty when the budget buys at most kMaxRounds rounds; otherwise why not, for an error naming
// budget.total: "1e+308 buys 5e+306 rounds of online.batch_transitions = 200 at the cheapest
// level's cost 0.1; expected at most 100000 rounds".
std::string rounds_bound_violation(double total, const std::vector<double>& cost_per_transition,
                                   int n);

// Weights and biases of an MLP in -> hidden... -> out.
std::int64_t mlp_parameters(int in, const std::vector<int>& hidden, int out);

// An upper estimate of one rank's resident memory, by part.
struct MemoryEstimate {
  double offline = 0.0;   // the offline dataset (every rank holds all of it)
  double buffers = 0.0;   // the K replay buffers at their largest (every rank holds all)
  double history = 0.0;   // the K * M remembered batches of igm
  double networks = 0.0;  // this rank's policies (weights, gradients, Adam moments, targets)
                          // plus one broadcast actor and the K discriminators
  double work = 0.0;      // activations of one update step
  // Buffer rows collected since the last checkpoint, kept until it writes them (checkpoint.every
  // rounds of n rows, at most what the buffers hold)
  double checkpoint = 0.0;
  double total() const { return offline + buffers + history + networks + work + checkpoint; }
};

// For `offline_rows` dataset rows on `num_ranks` ranks. Buffers are bounded by both
// online.buffer_capacity and the transitions the budget can buy at each level.
MemoryEstimate estimate_memory(const Config& c, std::int64_t offline_rows, int num_ranks);

// "412 MB per rank (offline data 16.6 MB, replay buffers 166 MB, ...)".
std::string describe_memory(const MemoryEstimate& m);

}  // namespace mfhrl
