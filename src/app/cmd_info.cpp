// `mfhrl info FILE`: summarize a dataset or a run (or pretrained-policies) file.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include "checkpoint.h"
#include "commands.h"
#include "common.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/ranking.h"
#include "mfhrl/io/h5file.h"
#include "mfhrl/io/run_file.h"

namespace mfhrl::app {
namespace {

void print_dataset(const std::string& path) {
  const io::Dataset ds = io::read_dataset(path);
  const io::DatasetSummary s = io::summarize(ds);
  std::printf(
      "dataset %s\n  env '%s', level '%s'\n  transitions %zu, episodes %zu (+%zu partial)\n"
      "  return per episode: mean %.2f, min %.2f, max %.2f\n  D4RL normalized score %.2f\n",
      path.c_str(), ds.env_name.c_str(), ds.level_name.c_str(), s.transitions, s.episodes,
      s.partial_episodes, s.return_mean, s.return_min, s.return_max, s.normalized_score);
  if (!ds.behaviour.empty()) {
    std::printf("  behaviour policy '%s', its average return %.2f\n", ds.behaviour.c_str(),
                ds.behaviour_return);
  }
}

// Does the posterior point at the best policy? From the last round that evaluated every policy.
void print_mechanism(const std::vector<TraceRow>& trace) {
  for (auto it = trace.rbegin(); it != trace.rend(); ++it) {
    const std::vector<double>& ret = it->policy_returns;
    if (ret.empty() || !std::isfinite(ret[0])) continue;
    std::printf("  every policy on the real system (round %lld):\n    returns   %s\n",
                static_cast<long long>(it->round), bracketed(ret, 1).c_str());
    std::printf("    posterior %s\n", bracketed(it->posterior, 3).c_str());
    if (ret.size() < 2) return;
    const double rho = spearman_correlation(it->posterior, ret);
    const int best = argmax_index(ret);
    char rho_text[64];
    std::snprintf(rho_text, sizeof rho_text, "%.3f", rho);
    std::printf("    rank correlation (Spearman) of posterior and return: %s\n",
                std::isnan(rho) ? "undefined (a flat posterior or equal returns)" : rho_text);
    std::printf("    MAP policy %d (return %.1f) %s policy %d (return %.1f)\n", it->deployed_policy,
                ret[static_cast<std::size_t>(it->deployed_policy)],
                is_best(ret, it->deployed_policy) ? "is the best:" : "is not the best:", best,
                ret[static_cast<std::size_t>(best)]);
    return;
  }
}

void print_run(const std::string& path, const dist::Comm& comm) {
  io::RunFile f = io::RunFile::open_read(path, comm);
  const auto& m = f.meta();
  const auto trace = f.read_trace();
  std::string state = "finished";
  if (!f.finished()) {
    state = "not finished";
    if (f.file().has("checkpoint/round")) {
      std::int64_t round = 0;
      const TensorBlob b = f.file().read_blob("checkpoint/round");
      if (b.dtype == DType::kI64 && b.bytes.size() == sizeof round) {
        std::memcpy(&round, b.bytes.data(), sizeof round);
        state += "; checkpoint after round " + std::to_string(round) +
                 " (continue with: mfhrl run --resume " + path + ")";
      }
      // The buffers' rows live beside the file (checkpoint.h): say where, and how much.
      std::error_code ec;
      const std::string dir = buffers_dir(path);
      int files = 0;
      double bytes = 0.0;
      if (std::filesystem::is_directory(dir, ec)) {
        for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
          std::error_code fe;
          const auto size = e.file_size(fe);
          if (!e.is_regular_file(fe) || fe || e.path().extension() != ".h5") continue;
          ++files;
          bytes += static_cast<double>(size);
        }
      }
      char buf[160];
      std::snprintf(buf, sizeof buf, "\n  buffer segments: %d file%s, %.1f MB in %s", files,
                    files == 1 ? "" : "s", bytes / 1e6, dir.c_str());
      state += buf;
    } else {
      state += "; no checkpoint";
    }
  }
  std::printf(
      "run file %s\n  strategy %s, seed %llu, K=%d levels, L=%d policies, budget %.1f\n"
      "  config hash %s\n  rounds %zu, %s\n",
      path.c_str(), m.strategy.c_str(), static_cast<unsigned long long>(m.seed), m.levels,
      m.policies, m.budget_total, m.config_hash.c_str(), trace.size(), state.c_str());
  if (trace.empty()) {
    if (f.file().has("policies")) std::printf("  holds pretrained policies (no rounds)\n");
    return;
  }
  std::map<int, int> levels;
  for (const auto& r : trace) ++levels[r.level];
  std::printf("  levels chosen:");
  for (const auto& [k, n] : levels) std::printf(" k=%d x%d", k, n);
  const auto& last = trace.back();
  std::printf(
      "\n  budget spent %.1f\n  last return %.2f ± %.2f (normalized score %.2f)\n"
      "  regret %.2f, cumulative %.2f, cost-weighted %.2f\n",
      last.budget_spent, last.eval_return_mean, last.eval_return_std, last.normalized_score,
      last.regret, last.cumulative_regret, last.cost_weighted_regret);
  print_mechanism(trace);
}

}  // namespace

void add_info_command(CLI::App& app, const dist::Comm& comm) {
  auto* cmd = app.add_subcommand("info", "Summarize a dataset or run file");
  auto path = std::make_shared<std::string>();
  cmd->add_option("file", *path, "HDF5 dataset or run file")->required()->check(CLI::ExistingFile);
  cmd->callback([=, &comm] {
    bool is_run = false;
    {
      io::H5File f = io::H5File::open(*path, comm, false);
      is_run = f.has("config") && f.has("trace");
    }
    if (is_run) {
      print_run(*path, comm);
    } else {
      print_dataset(*path);
    }
  });
}

}  // namespace mfhrl::app
