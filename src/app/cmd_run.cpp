// `mfhrl pretrain`, `mfhrl run` and `mfhrl reference`.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "common.h"
#include "mfhrl/config/load.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/log.h"
#include "mfhrl/dist/mpi_comm.h"
#include "mfhrl/io/run_file.h"
#include "online.h"
#include "policies.h"
#include "sac_trainer.h"
#include "timed_comm.h"

namespace mfhrl::app {
namespace {

std::string format_round(const Config& c, const TraceRow& row, double elapsed) {
  char buf[512];
  std::string ig;
  for (double v : row.information_gain) {
    std::snprintf(buf, sizeof buf, "%s%.3f", ig.empty() ? "" : " ", v);
    ig += buf;
  }
  const double left = c.budget_total - row.budget_spent;
  const double eta = row.budget_spent > 0 ? elapsed / row.budget_spent * left : 0.0;
  std::snprintf(buf, sizeof buf,
                "round %3lld | level %d (%s) | IG [%s] | budget %.1f/%.1f (%.1f left) | return "
                "%.1f ± %.1f | regret %.1f | %.0f s elapsed, ~%.0f s left",
                static_cast<long long>(row.round), row.level,
                c.levels[static_cast<std::size_t>(row.level - 1)].name.c_str(), ig.c_str(),
                row.budget_spent, c.budget_total, left, row.eval_return_mean, row.eval_return_std,
                row.regret, elapsed, eta);
  std::string line = buf;
  if (!launched_under_mpi() && isatty(STDOUT_FILENO)) {
    const int width = 20;
    const int filled = static_cast<int>(std::lround(width * row.budget_spent / c.budget_total));
    line += " [" + std::string(static_cast<std::size_t>(filled), '#') +
            std::string(static_cast<std::size_t>(width - filled), '.') + "]";
  }
  return line;
}

void run(const Config& c, const Comm& comm, const std::string& out, const std::string& pretrained,
         bool force) {
  print_config(c, comm);
  if (!force && std::filesystem::exists(out)) {
    throw InputError("--out: '" + out + "' exists; pass --force to replace it");
  }
  const double t0 = now_seconds();
  const io::Dataset data = offline_dataset(c);
  const Levels levels = build_levels(c, comm);
  PolicySet policies(c, comm, data.data);
  if (!pretrained.empty()) {
    policies.load(pretrained, c);
    log::info("offline: loaded " + std::to_string(c.offline.policies) + " policies from " +
              pretrained);
  } else {
    policies.pretrain(c);
  }
  io::RunFile file = io::RunFile::create(out, comm, run_file_meta(c), force);
  const TimedComm timed(comm);  // the online loop's collectives, timed
  OnlineLoop loop(c, timed, levels, data.data, policies);
  const double t_online = now_seconds();
  const char* fault = std::getenv("MFHRL_FAULT_RANK");  // test hook: fail this rank in round 1
  while (!loop.done()) {
    if (fault != nullptr && std::atoi(fault) == comm.rank()) {
      throw NumericalError("injected fault (MFHRL_FAULT_RANK) in round " +
                           std::to_string(loop.state().round + 1));
    }
    TraceRow row = loop.round();
    row.wall_seconds = now_seconds() - t0;
    file.append(row);
    log::info(format_round(c, row, now_seconds() - t_online));
  }
  policies.write_to(file.file());
  file.set_finished(true);
  const auto trace = file.read_trace();
  file.close();
  const TraceRow& last = trace.back();
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "run finished: %zu rounds, budget %.1f of %.1f, final return %.1f (normalized "
                "score %.1f), cumulative regret %.1f, %.0f s; trace in %s",
                trace.size(), last.budget_spent, c.budget_total, last.eval_return_mean,
                last.normalized_score, last.cumulative_regret, now_seconds() - t0, out.c_str());
  log::info(buf);
  std::snprintf(buf, sizeof buf,
                "online phase: %.3f s per round, of which %.4f s in MPI collectives (%d ranks)",
                (now_seconds() - t_online) / trace.size(), timed.seconds() / trace.size(),
                comm.size());
  log::info(buf);
}

}  // namespace

void add_pretrain_command(CLI::App& app, const Comm& comm) {
  auto* cmd = app.add_subcommand("pretrain", "Offline phase: train L bootstrapped CQL policies");
  auto opts = std::make_shared<ConfigOptions>();
  auto out = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("--out,-o", *out, "file to write the policies to (HDF5)")->required();
  cmd->add_flag("--force", *force, "replace an existing file");
  opts->add_to(cmd);
  cmd->callback([=, &comm] {
    const Config c = opts->load();
    print_config(c, comm);
    if (!*force && std::filesystem::exists(*out)) {
      throw InputError("--out: '" + *out + "' exists; pass --force to replace it");
    }
    const double t0 = now_seconds();
    const io::Dataset data = offline_dataset(c);
    PolicySet policies(c, comm, data.data);
    policies.pretrain(c);
    policies.save(*out, c, *force);
    char buf[256];
    std::snprintf(buf, sizeof buf, "pretrain: %d policies written to %s in %.0f s",
                  c.offline.policies, out->c_str(), now_seconds() - t0);
    log::info(buf);
  });
}

void add_run_command(CLI::App& app, const Comm& comm) {
  auto* cmd =
      app.add_subcommand("run", "Offline phase, then online rounds until the budget is spent");
  auto opts = std::make_shared<ConfigOptions>();
  auto out = std::make_shared<std::string>("mfhrl-run.h5");
  auto pretrained = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("--out,-o", *out, "run file to write (HDF5)")->capture_default_str();
  cmd->add_option("--pretrained", *pretrained, "policies from `mfhrl pretrain` instead of training")
      ->check(CLI::ExistingFile);
  auto resume = std::make_shared<std::string>();
  cmd->add_flag("--force", *force, "replace an existing run file");
  cmd->add_option("--resume", *resume, "continue an interrupted run file (not available yet)");
  opts->add_to(cmd);
  cmd->callback([=, &comm] {
    if (!resume->empty()) {
      throw InputError("--resume '" + *resume +
                       "': checkpoints and resume are not implemented in this version; rerun "
                       "without --resume (and --force to replace the partial run file)");
    }
    run(opts->load(), comm, *out, *pretrained, *force);
  });
}

void add_reference_command(CLI::App& app, const Comm& comm) {
  auto* cmd = app.add_subcommand("reference", "Compute J*: SAC trained on the real system");
  auto opts = std::make_shared<ConfigOptions>();
  opts->add_to(cmd);
  cmd->callback([=, &comm] {
    const Config c = opts->load();
    auto real = LevelModel::create(c.real);
    auto agent = train_sac(c, real, c.reference_sac_steps, 0, "reference: SAC on the real system");
    const std::vector<double> returns =
        evaluate(real, c.seed, c.eval_episodes, greedy_policy(*agent), c.episode_steps);
    double mean = 0, sd = 0;
    mean_std(returns, &mean, &sd);
    if (comm.rank() != 0) return;
    char buf[256];
    std::snprintf(buf, sizeof buf, "reference: J* = %.3f ± %.3f over %d episodes", mean, sd,
                  c.eval_episodes);
    std::cout << buf << "\n"
              << "regret.reference_return=" << mean << std::endl;
  });
}

}  // namespace mfhrl::app
