// Step 5 of a round: H2O updates of every owned policy on half offline, half simulated minibatches,
// with each level's discriminators trained alongside (DESIGN §4).
#include <algorithm>

#include "mfhrl/core/error.h"
#include "online.h"

namespace mfhrl::app {
namespace {

Transitions uniform_rows(const Transitions& from, std::size_t batch, Rng& rng) {
  std::vector<std::size_t> rows(batch);
  for (auto& r : rows) r = rng.below(from.size());
  return from.gather(rows);
}

}  // namespace

// Update index u of the round: h2o.disc_steps_per_update steps of every level's discriminators
// (as the H2O code trains them before each gradient step), then one H2O step of every owned
// policy with w and the dynamics gap from the discriminators as they now are. Discriminators are
// replicated on every rank and trained from level-keyed streams, so every rank holds the same ones.
void OnlineLoop::hybrid_update() {
  const int K = c_.num_levels();
  const std::size_t half = static_cast<std::size_t>(c_.network.batch_size / 2);
  const std::size_t batch = static_cast<std::size_t>(c_.network.batch_size);  // H2O: 2 x half
  const bool cql_only = c_.online.update == OnlineUpdate::kCql;
  const bool learned = !cql_only && c_.h2o.dynamics_ratio == DynamicsRatio::kLearned;
  // Updates in chunks with an interrupt poll before each chunk; every rank polls equally often.
  const int chunk = 8;
  const Block& own = state_.policies.block();
  for (int u0 = 0; u0 < c_.online.updates_per_round; u0 += chunk) {
    if (poll_ && poll_()) throw RoundInterrupted{};
    const int u1 = std::min(c_.online.updates_per_round, u0 + chunk);
    for (int u = u0; u < u1; ++u) {
      for (int k = 0; learned && k < K; ++k) {
        const Transitions& buf = state_.buffers[static_cast<std::size_t>(k)];
        if (buf.empty() || !has_gap(k)) continue;
        Rng& rng = state_.disc_rngs[static_cast<std::size_t>(k)];
        learn::Discriminator& d = state_.discs[static_cast<std::size_t>(k)];
        for (int s = 0; s < c_.h2o.disc_steps_per_update; ++s) {
          const Transitions real = uniform_rows(offline_, batch, rng);
          d.train_step(real, uniform_rows(buf, batch, rng));
        }
      }
      for (int l = own.begin; l < own.end; ++l) {
        Rng& rng = state_.policy_rngs[static_cast<std::size_t>(l - own.begin)];
        if (cql_only) {
          state_.policies.agent(l).cql_update(state_.policies.sample_offline(l, batch, rng));
          continue;
        }
        const Transitions real = state_.policies.sample_offline(l, half, rng);
        std::vector<int> level_of;
        const Transitions sim = sample_simulated(half, rng, &level_of);
        const learn::SimRowWeights w =
            learned ? sim_weights(sim, level_of, rng) : learn::SimRowWeights{};
        state_.policies.agent(l).h2o_update(real, sim, w);
      }
    }
  }
}

// Uniform rows over the concatenation of every level's buffer, with each row's level.
Transitions OnlineLoop::sample_simulated(std::size_t batch, Rng& rng,
                                         std::vector<int>* level_of) const {
  std::size_t total = 0;
  for (const auto& b : state_.buffers) total += b.size();
  MFHRL_CHECK(total > 0, "no simulated data to sample");
  Transitions out;
  out.reserve(batch);
  level_of->clear();
  for (std::size_t i = 0; i < batch; ++i) {
    std::size_t r = rng.below(total);
    std::size_t k = 0;
    while (r >= state_.buffers[k].size()) r -= state_.buffers[k++].size();
    out.push_row(state_.buffers[k], r);
    level_of->push_back(static_cast<int>(k));
  }
  return out;
}

// w and u of every simulated row from its level's discriminators; a level without a gap (the real
// system itself) has w = 1 and u = 1e-45, so its rows carry no weight in the conservative term.
learn::SimRowWeights OnlineLoop::sim_weights(const Transitions& sim,
                                             const std::vector<int>& level_of, Rng& rng) const {
  learn::SimRowWeights w;
  w.ratio.assign(sim.size(), 1.0f);
  w.gap.assign(sim.size(), 1e-45f);
  for (int k = 0; k < c_.num_levels(); ++k) {
    if (!has_gap(k)) continue;
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < sim.size(); ++i) {
      if (level_of[i] == k) rows.push_back(i);
    }
    if (rows.empty()) continue;
    const learn::SimRowWeights part = state_.discs[static_cast<std::size_t>(k)].row_weights(
        sim.gather(rows), next_state_std_, c_.h2o.gap_samples, rng);
    for (std::size_t j = 0; j < rows.size(); ++j) {
      w.ratio[rows[j]] = part.ratio[j];
      w.gap[rows[j]] = part.gap[j];
    }
  }
  return w;
}

}  // namespace mfhrl::app
