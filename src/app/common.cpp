#include "common.h"

#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "mfhrl/core/error.h"
#include "mfhrl/core/log.h"
#include "mfhrl/core/partition.h"
#include "mfhrl/sim/measure.h"

namespace mfhrl::app {

void ConfigOptions::add_to(CLI::App* cmd) {
  cmd->add_option("--config,-c", files,
                  "YAML config merged over the built-in defaults (repeatable; default: the "
                  "built-in demo study)")
      ->check(CLI::ExistingFile)
      ->allow_extra_args(false);  // one file per --config: `--config A key=value` is an override
  cmd->add_option("overrides", overrides, "key=value overrides, e.g. budget.total=500 seed=3");
}

Config ConfigOptions::load() const {
  config::ConfigSource src;
  src.files = files;
  src.overrides = overrides;
  src.use_demo = files.empty();
  return config::load_config(src);
}

const LevelConfig& find_level(const Config& c, const std::string& name, const std::string& flag) {
  for (const auto& l : c.levels) {
    if (l.name == name) return l;
  }
  if (name == "real" || (c.real_is_separate && name == c.real.name)) return c.real;
  std::string known;
  for (const auto& l : c.levels) known += (known.empty() ? "" : ", ") + l.name;
  throw InputError(flag + ": unknown level '" + name + "' (known: " + known + ", real)");
}

Levels build_levels(const Config& c, const dist::Comm& comm,
                    const std::vector<double>* resumed_cost) {
  Levels out;
  for (const auto& l : c.levels) {
    out.sims.push_back(sim::LevelModel::create(l));
    out.cost.push_back(l.cost);
  }
  out.real = c.real_is_separate ? sim::LevelModel::create(c.real) : out.sims.back();
  if (resumed_cost != nullptr) {
    out.cost = *resumed_cost;
  } else if (c.cost_mode == CostMode::kMeasured) {
    // Timings differ between ranks, and every rank must select with the same costs: rank 0
    // measures, the others take its figures.
    if (comm.rank() == 0) {
      const int steps = 2000;
      for (std::size_t k = 0; k < c.levels.size(); ++k) {
        out.cost[k] = sim::measure_cost_per_transition(c.levels[k], steps);
      }
      const double top = out.cost.back();
      for (double& x : out.cost) x /= top;
    }
    comm.broadcast_values(dist::Span<double>(out.cost), 0);
  }
  return out;
}

sim::Policy sampling_policy(const learn::Agent& agent) {
  return [&agent](int rows, const float* obs, float* action, Rng* const* rngs) {
    agent.act_rows(rows, obs, action, false, rngs);
  };
}

namespace {
// Processes on this node: the launcher's local size (Open MPI, MPICH, Slurm), else 1.
int local_ranks() {
  for (const char* var :
       {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && std::atoi(v) > 0) return std::atoi(v);
  }
  return 1;
}
}  // namespace

void use_threads(const Config& c, const dist::Comm& comm) {
  cpu_set_t set;
  CPU_ZERO(&set);
  const int affinity = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  const int online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  const int local = local_ranks();
  const int n = resolve_threads(c.threads, affinity, online, local);
  learn::init_threads(n);
  if (comm.rank() == 0 && c.threads == 0) {
    log::info("threads: auto -> " + std::to_string(n) + " intra-op thread(s) per process (" +
              std::to_string(affinity) + " of " + std::to_string(online) + " cores usable, " +
              std::to_string(local) + " process(es) on this node)");
  }
}

sim::Policy uniform_random_policy() {
  return [](int rows, const float*, float* action, Rng* const* rngs) {
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < kActDim; ++j)
        action[i * kActDim + j] = static_cast<float>(rngs[i]->uniform(-1.0, 1.0));
  };
}

sim::DeterministicPolicy greedy_policy(const learn::Agent& agent) {
  return [&agent](int rows, const float* obs, float* action) {
    agent.act_rows(rows, obs, action, true, nullptr);
  };
}

void print_config(const Config& c, const dist::Comm& comm) {
  if (comm.rank() != 0) return;
  log::info("# resolved config (hash " + config::config_hash(c) + ")\n" + config::to_yaml(c));
}

void mean_std(const std::vector<double>& v, double* mean, double* stdev) {
  double m = 0, s = 0;
  for (double x : v) m += x;
  m = v.empty() ? 0.0 : m / v.size();
  for (double x : v) s += (x - m) * (x - m);
  *mean = m;
  *stdev = v.empty() ? 0.0 : std::sqrt(s / v.size());
}

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

std::string bracketed(const std::vector<double>& v, int digits) {
  std::string out = "[";
  char buf[64];
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.*f", i ? " " : "", digits, v[i]);
    out += buf;
  }
  return out + "]";
}

}  // namespace mfhrl::app
