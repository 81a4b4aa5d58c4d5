// Step 5 of a round: H2O updates of every owned policy on half offline, half simulated minibatches,
// with each level's discriminators trained alongside (DESIGN §4).
#include <algorithm>
#include <memory>

#include "mfhrl/core/error.h"
#include "mfhrl/core/serialize.h"
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
// trained from level-keyed streams. On one rank they are trained in place. On several, the j-th
// level with a gap is trained by rank j mod P, a chunk of update indices at a time; its
// parameters after each index are broadcast so every rank weighs its rows with the same
// classifiers, and its whole state at the end of the round, so every rank holds the same ones.
void OnlineLoop::hybrid_update(int updates) {
  const int K = c_.num_levels();
  const std::size_t half = static_cast<std::size_t>(c_.network.batch_size / 2);
  const std::size_t batch = static_cast<std::size_t>(c_.network.batch_size);  // H2O: 2 x half
  const bool cql_only = c_.online.update == OnlineUpdate::kCql;
  const bool learned = !cql_only && c_.h2o.dynamics_ratio == DynamicsRatio::kLearned;
  std::vector<int> trained;  // the levels whose discriminators are trained
  for (int k = 0; learned && k < K; ++k) {
    if (has_gap(k)) trained.push_back(k);
  }
  const int P = comm_.size();
  const auto owner = [&](std::size_t j) {
    return static_cast<int>(j % static_cast<std::size_t>(P));
  };
  const auto train = [&](int k) {
    const Transitions& buf = state_.buffers[static_cast<std::size_t>(k)];
    if (buf.empty()) return;
    Rng& rng = state_.disc_rngs[static_cast<std::size_t>(k)];
    learn::Discriminator& d = state_.discs[static_cast<std::size_t>(k)];
    for (int s = 0; s < c_.h2o.disc_steps_per_update; ++s) {
      const Transitions real = uniform_rows(offline_, batch, rng);
      d.train_step(real, uniform_rows(buf, batch, rng));
    }
  };
  // Updates in chunks with an interrupt poll before each chunk; every rank polls equally often.
  const int chunk = 8;
  const Block& own = state_.policies.block();
  std::vector<learn::Agent*> agents;
  for (int l = own.begin; l < own.end; ++l) agents.push_back(&state_.policies.agent(l));
  std::unique_ptr<learn::AgentStack> stack;
  if (!agents.empty()) stack = std::make_unique<learn::AgentStack>(agents);
  std::vector<Transitions> real(agents.size()), sim(agents.size());
  std::vector<learn::SimRowWeights> weights(agents.size());
  std::vector<std::vector<float>> snapshots(trained.size());  // (levels) chunk x parameters
  Laps laps;
  for (int u0 = 0; u0 < updates; u0 += chunk) {
    if (poll_ && poll_()) throw RoundInterrupted{};
    const int u1 = std::min(updates, u0 + chunk);
    // Every rank trains the levels it owns for the whole chunk, then all broadcasts follow, so
    // the owners train at the same time.
    for (std::size_t j = 0; P > 1 && j < trained.size(); ++j) {
      const int k = trained[j];
      learn::Discriminator& d = state_.discs[static_cast<std::size_t>(k)];
      const std::size_t n = d.parameters().size();
      std::vector<float>& snap = snapshots[j];
      snap.assign(n * static_cast<std::size_t>(u1 - u0), 0.0f);
      if (comm_.rank() != owner(j)) continue;
      for (int u = u0; u < u1; ++u) {
        train(k);
        const std::vector<float> p = d.parameters();
        std::copy(p.begin(), p.end(), snap.begin() + static_cast<std::ptrdiff_t>(n) * (u - u0));
      }
    }
    for (std::size_t j = 0; P > 1 && j < trained.size(); ++j) {
      comm_.broadcast_values(dist::Span<float>(snapshots[j].data(), snapshots[j].size()), owner(j));
    }
    laps.lap(phases_.discriminators);
    for (int u = u0; u < u1; ++u) {
      for (std::size_t j = 0; j < trained.size(); ++j) {
        const int k = trained[j];
        if (P == 1) {
          train(k);
          continue;
        }
        learn::Discriminator& d = state_.discs[static_cast<std::size_t>(k)];
        const std::size_t n = snapshots[j].size() / static_cast<std::size_t>(u1 - u0);
        const auto from = snapshots[j].begin() + static_cast<std::ptrdiff_t>(n) * (u - u0);
        d.set_parameters(std::vector<float>(from, from + static_cast<std::ptrdiff_t>(n)));
      }
      laps.lap(phases_.discriminators);
      // Every owned policy's minibatch from its own stream, then one stacked update of all.
      for (int l = own.begin; l < own.end; ++l) {
        const auto i = static_cast<std::size_t>(l - own.begin);
        Rng& rng = state_.policy_rngs[i];
        if (cql_only) {
          real[i] = state_.policies.sample_offline(l, batch, rng);
          continue;
        }
        real[i] = state_.policies.sample_offline(l, half, rng);
        std::vector<int> level_of;
        sim[i] = sample_simulated(half, rng, &level_of);
        weights[i] = learned ? sim_weights(sim[i], level_of, rng) : learn::SimRowWeights{};
      }
      laps.lap(phases_.minibatches);
      if (stack) {
        if (cql_only) {
          stack->cql_update(real);
        } else {
          stack->h2o_update(real, sim, weights);
        }
      }
      laps.lap(phases_.learner);
    }
  }
  if (stack) stack->store();
  laps.lap(phases_.learner);
  // The owners' whole discriminator state (Adam moments, noise and minibatch streams) to all.
  for (std::size_t j = 0; P > 1 && j < trained.size(); ++j) {
    const auto k = static_cast<std::size_t>(trained[j]);
    std::vector<std::uint8_t> bytes;
    if (comm_.rank() == owner(j)) bytes = serialize(state_.discs[k].state());
    comm_.broadcast(bytes, owner(j));
    const Rng::State r = comm_.broadcast_value(state_.disc_rngs[k].state(), owner(j));
    if (comm_.rank() != owner(j)) {
      state_.discs[k].load_state(deserialize_blobs(bytes));
      state_.disc_rngs[k].set_state(r);
    }
  }
  laps.lap(phases_.discriminators);
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
