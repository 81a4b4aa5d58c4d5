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
  const long total = std::accumulate(counts.begin(), counts.end(), 0L);
  Transitions out;
  out.reserve(static_cast<std::size_t>(total));

  float obs[kObsDim];
  float next_obs[kObsDim];
  float act[kActDim];
  for (std::size_t i = 0; i < envs_.size(); ++i) {
    Env& env = envs_[i];
    const std::uint64_t instance = first_ + i;
    for (int t = 0; t < counts[i]; ++t) {
      if (!env.live()) env.reset();
      env.observe(obs);
      policy(obs, act, instance, rollout_[i]);
      const StepResult r = env.step(act, next_obs);
      // env.step has rejected non-finite actions; store what the policy meant, within bounds.
      for (float& a : act) a = std::clamp(a, -1.0f, 1.0f);
      out.push(obs, act, static_cast<float>(r.reward), next_obs, r.terminal, r.timeout);
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
  std::vector<double> returns;
  returns.reserve(static_cast<std::size_t>(episodes));
  float obs[kObsDim];
  float act[kActDim];
  for (int e = 0; e < episodes; ++e) {
    const auto episode = static_cast<std::uint64_t>(first_episode + e);
    Env env(level, seed, episode, episode_steps);
    env.set_rng_state(Rng(seed, Stream::kEval, episode).state());
    env.reset();
    env.observe(obs);
    double ret = 0.0;
    bool done = false;
    while (!done) {
      policy(obs, act);
      const StepResult r = env.step(act, obs);
      ret += r.reward;
      done = r.timeout || r.terminal;
    }
    returns.push_back(ret);
  }
  return returns;
}

}  // namespace mfhrl::sim
