// Step 5 of a round: discriminators, then H2O updates of every owned policy on half offline, half
// simulated minibatches (DESIGN §4).
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

void OnlineLoop::hybrid_update() {
  const int K = c_.num_levels();
  const std::size_t half = static_cast<std::size_t>(c_.network.batch_size / 2);
  std::vector<std::vector<float>> level_ratios(static_cast<std::size_t>(K));
  for (int k = 0; k < K; ++k) {
    const Transitions& buf = state_.buffers[static_cast<std::size_t>(k)];
    if (buf.empty() || !has_gap(k)) continue;
    Rng& rng = state_.disc_rngs[static_cast<std::size_t>(k)];
    learn::Discriminator& d = state_.discs[static_cast<std::size_t>(k)];
    for (int s = 0; s < c_.h2o.disc_steps_per_round; ++s) {
      const Transitions real = uniform_rows(offline_, half, rng);
      d.train_step(real, uniform_rows(buf, half, rng));
    }
    level_ratios[static_cast<std::size_t>(k)] = d.dynamics_ratio(buf);
  }
  // Updates in chunks, every policy's chunk in turn, with an interrupt poll before each chunk. A
  // policy's updates depend only on its own agent and stream, so the interleaving changes nothing,
  // and every rank polls the same number of times whatever its number of policies.
  const int chunk = 8;
  const Block& own = policies_.block();
  std::vector<float> w;
  for (int u0 = 0; u0 < c_.online.updates_per_round; u0 += chunk) {
    if (poll_ && poll_()) throw RoundInterrupted{};
    const int u1 = std::min(c_.online.updates_per_round, u0 + chunk);
    for (int l = own.begin; l < own.end; ++l) {
      Rng& rng = state_.policy_rngs[static_cast<std::size_t>(l - own.begin)];
      learn::Agent& agent = policies_.agent(l);
      for (int u = u0; u < u1; ++u) {
        const Transitions real = policies_.sample_offline(l, half, rng);
        const Transitions sim = sample_simulated(half, rng, level_ratios, &w);
        agent.h2o_update(real, sim, w);
      }
    }
  }
}

// Uniform rows over the concatenation of every level's buffer, with each row's dynamics ratio
// (1 for a level without a gap).
Transitions OnlineLoop::sample_simulated(std::size_t batch, Rng& rng,
                                         const std::vector<std::vector<float>>& level_ratios,
                                         std::vector<float>* ratio_out) const {
  std::size_t total = 0;
  for (const auto& b : state_.buffers) total += b.size();
  MFHRL_CHECK(total > 0, "no simulated data to sample");
  Transitions out;
  out.reserve(batch);
  ratio_out->clear();
  for (std::size_t i = 0; i < batch; ++i) {
    std::size_t r = rng.below(total);
    std::size_t k = 0;
    while (r >= state_.buffers[k].size()) r -= state_.buffers[k++].size();
    out.push_row(state_.buffers[k], r);
    ratio_out->push_back(level_ratios[k].empty() ? 1.0f : level_ratios[k][r]);
  }
  return out;
}

}  // namespace mfhrl::app
