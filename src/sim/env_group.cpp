#include "mfhrl/sim/env_group.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "mfhrl/core/error.h"

namespace mfhrl::sim {

std::vector<int> split_counts(int n, int envs) {
  MFHRL_CHECK(n >= 0, "split_counts: n must be >= 0, got " << n);
  MFHRL_CHECK(envs >= 1, "split_counts: envs must be >= 1, got " << envs);
  std::vector<int> counts(static_cast<std::size_t>(envs), n / envs);
  for (int i = 0; i < n % envs; ++i) ++counts[static_cast<std::size_t>(i)];
  return counts;
}

EnvGroup::EnvGroup(std::shared_ptr<const LevelModel> level, std::uint64_t seed, std::uint64_t first,
                   int count, int episode_steps)
    : first_(first) {
  MFHRL_CHECK(count >= 0, "EnvGroup count must be >= 0, got " << count);
  envs_.reserve(static_cast<std::size_t>(count));
  rollout_.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const std::uint64_t instance = first + static_cast<std::uint64_t>(i);
    envs_.emplace_back(level, seed, instance, episode_steps);
    rollout_.emplace_back(seed, Stream::kRollout, instance);
  }
}

Transitions EnvGroup::collect(const std::vector<int>& counts, const Policy& policy) {
  MFHRL_CHECK(counts.size() == envs_.size(),
              "collect: " << counts.size() << " counts for " << envs_.size() << " instances");
  for (int c : counts) MFHRL_CHECK(c >= 0, "collect: negative count " << c);
  const std::size_t n = envs_.size();
  // Instance i's rows start at first_row[i] of the output.
  std::vector<std::size_t> first_row(n, 0);
  std::size_t total = 0;
  int steps = 0;
  for (std::size_t i = 0; i < n; ++i) {
    first_row[i] = total;
    total += static_cast<std::size_t>(counts[i]);
    steps = std::max(steps, counts[i]);
  }
  Transitions out;
  out.resize(total);

  std::vector<float> obs(n * kObsDim), act(n * kActDim);
  std::vector<std::size_t> live(n);
  std::vector<Rng*> rngs(n);
  float next_obs[kObsDim];
  for (int t = 0; t < steps; ++t) {
    std::size_t rows = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (t >= counts[i]) continue;
      Env& env = envs_[i];
      if (!env.live()) env.reset();
      env.observe(&obs[rows * kObsDim]);
      rngs[rows] = &rollout_[i];
      live[rows++] = i;
    }
    policy(static_cast<int>(rows), obs.data(), act.data(), rngs.data());
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t i = live[r];
      float* a = &act[r * kActDim];
      const StepResult res = envs_[i].step(a, next_obs);
      // env.step has rejected non-finite actions; store what the policy meant, within bounds.
      for (int j = 0; j < kActDim; ++j) a[j] = std::clamp(a[j], -1.0f, 1.0f);
      out.set(first_row[i] + static_cast<std::size_t>(t), &obs[r * kObsDim], a,
              static_cast<float>(res.reward), next_obs, res.terminal, res.timeout);
    }
  }
  return out;
}

EnvGroupState EnvGroup::state() const {
  EnvGroupState s;
  for (const Env& e : envs_) s.envs.push_back(e.state());
  for (const Rng& r : rollout_) s.rollout_rngs.push_back(r.state());
  return s;
}

void EnvGroup::set_state(const EnvGroupState& s) {
  MFHRL_CHECK(s.envs.size() == envs_.size() && s.rollout_rngs.size() == rollout_.size(),
              "EnvGroupState holds " << s.envs.size() << " envs and " << s.rollout_rngs.size()
                                     << " streams; the group has " << envs_.size());
  for (std::size_t i = 0; i < envs_.size(); ++i) {
    envs_[i].set_state(s.envs[i]);
    rollout_[i].set_state(s.rollout_rngs[i]);
  }
}

std::vector<double> evaluate(std::shared_ptr<const LevelModel> level, std::uint64_t seed,
                             int episodes, const DeterministicPolicy& policy, int episode_steps,
                             int first_episode) {
  MFHRL_CHECK(episodes >= 0 && first_episode >= 0,
              "evaluate: episodes " << episodes << ", first_episode " << first_episode);
  const auto n = static_cast<std::size_t>(episodes);
  std::vector<Env> envs;
  envs.reserve(n);
  for (std::size_t e = 0; e < n; ++e) {
    const auto episode = static_cast<std::uint64_t>(first_episode) + e;
    envs.emplace_back(level, seed, episode, episode_steps);
    envs.back().set_rng_state(Rng(seed, Stream::kEval, episode).state());
    envs.back().reset();
  }
  std::vector<double> returns(n, 0.0);
  std::vector<std::uint8_t> done(n, 0);
  std::vector<float> obs(n * kObsDim), act(n * kActDim);
  std::vector<std::size_t> running(n);
  float next_obs[kObsDim];
  for (;;) {
    std::size_t rows = 0;
    for (std::size_t e = 0; e < n; ++e) {
      if (done[e]) continue;
      envs[e].observe(&obs[rows * kObsDim]);
      running[rows++] = e;
    }
    if (rows == 0) break;
    policy(static_cast<int>(rows), obs.data(), act.data());
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t e = running[r];
      const StepResult res = envs[e].step(&act[r * kActDim], next_obs);
      returns[e] += res.reward;
      done[e] = res.timeout || res.terminal;
    }
  }
  return returns;
}

}  // namespace mfhrl::sim
