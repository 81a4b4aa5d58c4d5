#include "policies.h"

#include <cstdio>
#include <filesystem>

#include "common.h"
#include "mfhrl/config/load.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/log.h"
#include "mfhrl/core/regret.h"
#include "mfhrl/io/run_file.h"
#include "mfhrl/learn/spec.h"

namespace mfhrl::app {

PolicySet::PolicySet(const Config& c, const dist::Comm& comm, const Transitions& data)
    : comm_(comm),
      data_(data),
      num_policies_(c.offline.policies),
      block_(policy_block(c.offline.policies, comm.size(), comm.rank())) {
  const learn::AgentSpec spec = learn::agent_spec(c);
  const BootstrapSpec boot = parse_bootstrap(c.offline.bootstrap);
  std::vector<float> mean, std;
  if (c.offline.obs_normalization == ObsNormalization::kDataset)
    observation_stats(data, 1e-3, &mean, &std);
  for (int l = block_.begin; l < block_.end; ++l) {
    agents_.push_back(std::make_unique<learn::Agent>(spec, c.seed, static_cast<std::uint64_t>(l)));
    if (!mean.empty()) agents_.back()->set_obs_normalization(mean, std);
    samplers_.emplace_back(bootstrap_weights(boot, data.size(), c.seed, l));
  }
}

learn::Agent& PolicySet::agent(int l) {
  MFHRL_CHECK(owns(l), "policy " << l << " is not owned by rank " << comm_.rank());
  return *agents_[static_cast<std::size_t>(l - block_.begin)];
}

const learn::Agent& PolicySet::agent(int l) const {
  MFHRL_CHECK(owns(l), "policy " << l << " is not owned by rank " << comm_.rank());
  return *agents_[static_cast<std::size_t>(l - block_.begin)];
}

Transitions PolicySet::sample_offline(int l, std::size_t batch, Rng& rng) const {
  MFHRL_CHECK(owns(l), "policy " << l);
  return data_.gather(samplers_[static_cast<std::size_t>(l - block_.begin)].sample(batch, rng));
}

// All owned policies step together (one stacked update per step, learn::AgentStack), each on
// its own minibatch stream; the results are those of training them one after the other.
void PolicySet::pretrain(const Config& c, const std::shared_ptr<const sim::LevelModel>& real) {
  const int steps = c.offline.steps;
  const double t0 = now_seconds();
  const auto batch = static_cast<std::size_t>(c.network.batch_size);
  std::vector<Rng> rngs;
  std::vector<learn::Agent*> agents;
  for (int l = block_.begin; l < block_.end; ++l) {
    rngs.emplace_back(c.seed, Stream::kMinibatch, static_cast<std::uint64_t>(l));
    agents.push_back(&agent(l));
  }
  if (agents.empty()) return;
  learn::AgentStack stack(agents);
  std::vector<learn::UpdateStats> st;
  std::vector<Transitions> mbs(agents.size());
  for (int s = 0; s < steps; ++s) {
    for (int l = block_.begin; l < block_.end; ++l) {
      const auto i = static_cast<std::size_t>(l - block_.begin);
      mbs[i] = sample_offline(l, batch, rngs[i]);
    }
    st = stack.cql_update(mbs);
    const int every = c.offline.eval_every;
    if (every > 0 && real && ((s + 1) % every == 0 || s + 1 == steps)) {
      stack.store();
      for (int l = block_.begin; l < block_.end; ++l) {
        std::vector<double> returns = sim::evaluate(real, c.seed, c.eval_episodes,
                                                    greedy_policy(agent(l)), c.episode_steps, 0);
        double mean = 0.0, sd = 0.0;
        mean_std(returns, &mean, &sd);
        char line[256];
        std::snprintf(line, sizeof line,
                      "offline eval: policy %d step %d/%d  return %.1f +- %.1f  (normalized %.1f)",
                      l, s + 1, steps, mean, sd, d4rl_normalized_score(mean));
        log::info(line);
      }
    }
    if (steps >= 4 && (s + 1) % (steps / 4) == 0) {
      const double el = now_seconds() - t0;
      for (int l = block_.begin; l < block_.end; ++l) {
        const learn::UpdateStats& x = st[static_cast<std::size_t>(l - block_.begin)];
        char line[256];
        std::snprintf(line, sizeof line,
                      "offline: policy %d step %d/%d  critic %.3g  cql %.3g  q %.3g  alpha %.3g  "
                      "%.0f s elapsed, ~%.0f s left",
                      l, s + 1, steps, x.critic_loss, x.cql_penalty, x.q_mean, x.alpha, el,
                      el / (s + 1) * (steps - s - 1));
        log::info(line);
      }
    }
  }
  stack.store();
}

io::RunFileMeta run_file_meta(const Config& c) {
  io::RunFileMeta m;
  m.config_yaml = config::to_yaml(c);
  m.seed = c.seed;
  m.strategy = c.strategy;
  m.levels = c.num_levels();
  m.policies = c.offline.policies;
  m.budget_total = c.budget_total;
  m.config_hash = config::config_hash(c);
  return m;
}

namespace {

std::string policy_group(int l) {
  return "policies/policy_" + std::to_string(l);
}

}  // namespace

void PolicySet::save(const std::string& path, const Config& c, bool force) const {
  if (!force && std::filesystem::exists(path)) {
    throw InputError("--out: '" + path + "' exists; pass --force to replace it");
  }
  io::RunFile::rewrite(path, comm_, run_file_meta(c), {}, false,
                       [&](io::H5File& f) { write_to(f); });
}

void PolicySet::write_to(io::H5File& f) const {
  for (int l = 0; l < num_policies_; ++l) {
    const int owner = owner_of(l, num_policies_, comm_.size());
    f.write_blobs_owned(policy_group(l), owns(l) ? agent(l).state() : TensorBlobs{}, owner);
  }
}

void PolicySet::load(const std::string& path, const Config& c) {
  io::RunFile f = io::RunFile::open_read(path, comm_);
  if (f.meta().policies != c.offline.policies) {
    throw InputError("--pretrained '" + path + "': holds " + std::to_string(f.meta().policies) +
                     " policies but offline.policies is " + std::to_string(c.offline.policies));
  }
  for (int l = 0; l < num_policies_; ++l) {
    // read_blobs is collective: every rank reads every policy and keeps its own.
    const TensorBlobs blobs = f.file().read_blobs(policy_group(l));
    if (!owns(l)) continue;
    try {
      agent(l).load_state(blobs);
    } catch (const InputError& e) {
      throw InputError("--pretrained '" + path + "': policy " + std::to_string(l) +
                       " does not fit this config (network sizes?): " + e.what());
    }
  }
}

}  // namespace mfhrl::app
