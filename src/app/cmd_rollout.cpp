// `mfhrl rollout`: run episodes of a fixed policy on one level; a human line and a JSON line.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/log.h"
#include "mfhrl/io/run_file.h"
#include "mfhrl/learn/spec.h"

namespace mfhrl::app {
namespace {

// A policy from a pretrained or run file: "FILE" (policy 0) or "FILE:l".
std::unique_ptr<learn::Agent> load_file_policy(const Config& c, const std::string& spec,
                                               const dist::Comm& comm) {
  std::string path = spec;
  int index = 0;
  const auto colon = spec.rfind(':');
  if (colon != std::string::npos && colon + 1 < spec.size() &&
      spec.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
    path = spec.substr(0, colon);
    index = std::stoi(spec.substr(colon + 1));
  }
  io::RunFile f = io::RunFile::open_read(path, comm);
  if (index >= f.meta().policies) {
    throw InputError("--policy: '" + path + "' holds " + std::to_string(f.meta().policies) +
                     " policies; index " + std::to_string(index) + " is out of range");
  }
  auto agent = std::make_unique<learn::Agent>(learn::agent_spec(c), c.seed, index);
  agent->load_state(f.file().read_blobs("policies/policy_" + std::to_string(index)));
  return agent;
}

}  // namespace

void add_rollout_command(CLI::App& app, const dist::Comm& comm) {
  auto* cmd = app.add_subcommand("rollout", "Run episodes of a policy on one level");
  auto opts = std::make_shared<ConfigOptions>();
  auto policy = std::make_shared<std::string>("random");
  auto level = std::make_shared<std::string>("real");
  auto episodes = std::make_shared<int>(1);
  auto seed = std::make_shared<long long>(-1);
  cmd->add_option("--policy", *policy, "random | zero | FILE[:l] (policy l of a pretrained file)");
  cmd->add_option("--level", *level, "level name (default: the real system)");
  cmd->add_option("--episodes", *episodes, "episodes to run")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", *seed, "seed (default: the config's seed)");
  opts->add_to(cmd);
  cmd->callback([=, &comm] {
    Config c = opts->load();
    use_threads(c, comm);
    if (*seed >= 0) c.seed = static_cast<std::uint64_t>(*seed);
    const LevelConfig& lv = find_level(c, *level, "--level");
    auto model = sim::LevelModel::create(lv);
    std::unique_ptr<learn::Agent> agent;
    sim::DeterministicPolicy pol;
    if (*policy == "zero") {
      pol = [](int rows, const float*, float* a) { std::fill(a, a + rows * kActDim, 0.0f); };
    } else if (*policy == "random") {
      auto rng = std::make_shared<Rng>(c.seed, Stream::kRollout, kCollectInstanceBase + 1);
      pol = [rng](int rows, const float*, float* a) {
        for (int j = 0; j < rows * kActDim; ++j) a[j] = static_cast<float>(rng->uniform(-1.0, 1.0));
      };
    } else {
      agent = load_file_policy(c, *policy, comm);
      pol = greedy_policy(*agent);
    }
    const double t0 = now_seconds();
    std::vector<double> returns;
    if (*policy == "random") {
      // One shared stream in episode order: a lockstep batch would interleave its draws.
      for (int e = 0; e < *episodes; ++e)
        returns.push_back(sim::evaluate(model, c.seed, 1, pol, c.episode_steps, e).front());
    } else {
      returns = sim::evaluate(model, c.seed, *episodes, pol, c.episode_steps);
    }
    const double secs = now_seconds() - t0;
    double mean = 0, sd = 0;
    mean_std(returns, &mean, &sd);
    const double sps = static_cast<double>(*episodes) * c.episode_steps / secs;
    if (comm.rank() != 0) return;
    char line[512];
    std::snprintf(line, sizeof line,
                  "rollout: level '%s', policy %s, %d episodes of %d steps: return %.2f ± %.2f, "
                  "%.0f steps/s",
                  lv.name.c_str(), policy->c_str(), *episodes, c.episode_steps, mean, sd, sps);
    std::cout << line << "\n";
    nlohmann::json j;
    j["level"] = lv.name;
    j["policy"] = *policy;
    j["episodes"] = *episodes;
    j["episode_steps"] = c.episode_steps;
    j["seed"] = c.seed;
    j["return_mean"] = mean;
    j["return_std"] = sd;
    j["returns"] = returns;
    j["steps_per_second"] = sps;
    std::cout << j.dump() << std::endl;
  });
}

}  // namespace mfhrl::app
