// `mfhrl pretrain`, `mfhrl run` and `mfhrl reference`.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <optional>
#include <sstream>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "checkpoint.h"
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
#include "signals.h"
#include "timed_comm.h"

namespace mfhrl::app {
namespace {

// elapsed: seconds since this process's first round, when `spent_before` was already spent.
std::string format_round(const Config& c, const TraceRow& row, double elapsed,
                         double spent_before) {
  char buf[512];
  std::string ig;
  for (double v : row.information_gain) {
    std::snprintf(buf, sizeof buf, "%s%.3f", ig.empty() ? "" : " ", v);
    ig += buf;
  }
  const double left = c.budget_total - row.budget_spent;
  const double now_spent = row.budget_spent - spent_before;
  const double eta = now_spent > 0 ? elapsed / now_spent * left : 0.0;
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

// Test hooks (environment variables, read once): MFHRL_FAULT_RANK=r fails rank r in round 1;
// MFHRL_SIGNAL_AFTER_ROUND=r makes rank 0 raise SIGTERM once round r is recorded;
// MFHRL_SIGNAL_TWICE_IN_ROUND=r makes rank 0 raise SIGUSR1 twice in round r's update phase;
// MFHRL_KILL_IN_CHECKPOINT=r kills rank 0 (SIGKILL) half-way through writing round r's checkpoint.
std::int64_t hook(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? -1 : std::atoll(v);
}

// Where a run starts: a fresh run (round 0) or a resumed one.
struct Start {
  std::vector<TraceRow> rows;               // the trace so far
  const TensorBlobs* checkpoint = nullptr;  // resume: the /checkpoint blobs to restore
  std::vector<double> level_cost;           // resume: the checkpoint's level costs
};

// The offline phase (or a checkpoint's policies), then rounds until the budget is spent or a stop
// signal. The run file at `path` holds the trace and a checkpoint at all times.
void run(const Config& c, const Comm& comm, const std::string& path, const std::string& pretrained,
         const Start& start) {
  const double t0 = now_seconds();
  const double wall_offset = start.rows.empty() ? 0.0 : start.rows.back().wall_seconds;
  const io::Dataset data = offline_dataset(c);
  const std::uint64_t digest = offline_digest(data.data);
  const Levels levels = build_levels(c, comm, start.checkpoint ? &start.level_cost : nullptr);
  PolicySet policies(c, comm, data.data);
  const TimedComm timed(comm);  // the online loop's collectives, timed
  OnlineLoop loop(c, timed, levels, data.data, policies);
  const io::RunFileMeta meta = run_file_meta(c);
  if (start.checkpoint != nullptr) {
    const std::uint64_t saved =
        checkpoint_header(*start.checkpoint, c.num_levels(), c.offline.policies, path)
            .offline_digest;
    if (saved != digest) {
      throw InputError("--resume '" + path + "': the offline dataset '" + c.offline.dataset +
                       "' differs from the one the run started with");
    }
    restore_checkpoint(c, *start.checkpoint, loop.mutable_state(), policies, path);
  } else if (!pretrained.empty()) {
    policies.load(pretrained, c);
    log::info("offline: loaded " + std::to_string(c.offline.policies) + " policies from " +
              pretrained);
  } else {
    policies.pretrain(c);
  }

  std::vector<TraceRow> rows = start.rows;
  Checkpoint snap = capture_checkpoint(c, loop.state(), policies, levels.cost, digest);
  std::int64_t on_disk = -1;  // the round of the checkpoint in the file
  int checkpoints = 0;
  double checkpoint_seconds = 0.0;
  const std::int64_t kill_round = hook("MFHRL_KILL_IN_CHECKPOINT");
  const auto write = [&](const Checkpoint& ck) {
    const double t = now_seconds();
    io::RunFile::rewrite(path, comm, meta,
                         std::vector<TraceRow>(rows.begin(), rows.begin() + ck.round), false,
                         [&](io::H5File& f) {
                           if (ck.round == kill_round && comm.rank() == 0) {
                             f.write_blobs("checkpoint", ck.shared);
                             f.flush();
                             std::raise(SIGKILL);
                           }
                           write_checkpoint(f, ck);
                         });
    on_disk = ck.round;
    ++checkpoints;
    checkpoint_seconds += now_seconds() - t;
    log::debug("checkpoint of round " + std::to_string(ck.round) + " written to " + path);
  };
  std::optional<io::RunFile> file;
  if (start.checkpoint != nullptr) {
    on_disk = snap.round;
    file.emplace(io::RunFile::open_rw(path, comm));
    if (file->rounds_completed() > snap.round) {
      log::info("resume: dropping rounds " + std::to_string(snap.round + 1) + ".." +
                std::to_string(file->rounds_completed()) +
                " recorded after the checkpoint (they are recomputed identically)");
      file->truncate_trace(snap.round);
    }
    log::info("resume: continuing " + path + " after round " + std::to_string(snap.round));
  } else {
    write(snap);  // round 0: a resume never repeats the offline phase
    file.emplace(io::RunFile::open_rw(path, comm));
  }

  const auto stop = [&](const char* why) {
    file->close();
    if (on_disk != snap.round) write(snap);
    if (comm.rank() == 0) {
      std::cout << "stopped by signal " << why << " round " << snap.round + 1
                << "; the checkpoint of round " << snap.round << " is in " << path
                << "\nresume with: mfhrl run --resume " << path
                << " (and the same --config/key=value arguments, if any)" << std::endl;
    }
  };
  const std::int64_t fault = hook("MFHRL_FAULT_RANK");
  const std::int64_t signal_after = hook("MFHRL_SIGNAL_AFTER_ROUND");
  const std::int64_t signal_in = hook("MFHRL_SIGNAL_TWICE_IN_ROUND");
  loop.set_interrupt_poll([&] {
    if (loop.state().round == signal_in && comm.rank() == 0 && stop_signals_received() == 0) {
      std::raise(SIGUSR1);
      std::raise(SIGUSR1);
    }
    return stop_signals_agreed(timed) >= 2;
  });
  const double t_online = now_seconds();
  const std::int64_t first_round = snap.round;
  const double spent_before = loop.state().budget.spent;
  while (!loop.done()) {
    if (stop_signals_agreed(timed) >= 1) {
      stop("before");
      return;
    }
    if (fault == comm.rank()) {
      throw NumericalError("injected fault (MFHRL_FAULT_RANK) in round " +
                           std::to_string(loop.state().round + 1));
    }
    TraceRow row;
    try {
      row = loop.round();
    } catch (const RoundInterrupted&) {
      stop("during");
      return;
    }
    row.wall_seconds = wall_offset + now_seconds() - t0;
    file->append(row);
    rows.push_back(row);
    log::info(format_round(c, row, now_seconds() - t_online, spent_before));
    snap = capture_checkpoint(c, loop.state(), policies, levels.cost, digest);
    if (row.round == signal_after && comm.rank() == 0) std::raise(SIGTERM);
    if (!loop.done() && row.round % c.checkpoint_every == 0) {
      file->close();
      write(snap);
      file.emplace(io::RunFile::open_rw(path, comm));
    }
  }
  // Finished: the final file holds the trace and the final policies, no checkpoint.
  file->close();
  io::RunFile::rewrite(path, comm, meta, rows, true, [&](io::H5File& f) { policies.write_to(f); });
  const TraceRow& last = rows.back();
  const std::size_t online_rounds = rows.size() - static_cast<std::size_t>(first_round);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "run finished: %zu rounds, budget %.1f of %.1f, final return %.1f (normalized "
                "score %.1f), cumulative regret %.1f, %.0f s; trace in %s",
                rows.size(), last.budget_spent, c.budget_total, last.eval_return_mean,
                last.normalized_score, last.cumulative_regret, now_seconds() - t0, path.c_str());
  log::info(buf);
  std::snprintf(buf, sizeof buf,
                "online phase: %.3f s per round, of which %.4f s in MPI collectives (%d ranks); "
                "%d checkpoints, %.3f s each",
                (now_seconds() - t_online) / std::max<std::size_t>(online_rounds, 1),
                timed.seconds() / std::max<std::size_t>(online_rounds, 1), comm.size(), checkpoints,
                checkpoints > 0 ? checkpoint_seconds / checkpoints : 0.0);
  log::info(buf);
}

// Line-by-line differences of two resolved configs (same key order), at most 4, for a refusal.
std::string config_differences(const std::string& a, const std::string& b) {
  const auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  const std::vector<std::string> la = lines(a), lb = lines(b);
  std::string out;
  int shown = 0;
  for (std::size_t i = 0; i < std::max(la.size(), lb.size()) && shown < 4; ++i) {
    const std::string x = i < la.size() ? la[i] : "", y = i < lb.size() ? lb[i] : "";
    if (x == y) continue;
    out += "\n    in the file: '" + x + "'  now: '" + y + "'";
    ++shown;
  }
  return out;
}

// Validates `path` for --resume (nothing is written to it on refusal) and returns the config to
// run with and where to start.
Config prepare_resume(const std::string& path, const ConfigOptions& opts, const Comm& comm,
                      std::vector<TraceRow>* rows, TensorBlobs* blobs,
                      std::vector<double>* level_cost) {
  const std::string what = "--resume '" + path + "'";
  if (!std::filesystem::exists(path)) throw InputError(what + ": no such file");
  io::RunFile f = [&] {
    try {
      return io::RunFile::open_read(path, comm);
    } catch (const InputError& e) {
      throw InputError(what + ": not a readable mfhrl run file: " + e.what());
    }
  }();
  const io::RunFileMeta& m = f.meta();
  if (f.finished()) {
    throw InputError(what + ": the run already finished (" + std::to_string(f.rounds_completed()) +
                     " rounds); nothing to resume");
  }
  const Config c = opts.files.empty()
                       ? parse_config_text(m.config_yaml, path + ":/config", opts.overrides)
                       : opts.load();
  if (c.offline.policies != m.policies) {
    throw InputError(what + ": the run has L=" + std::to_string(m.policies) +
                     " policies but offline.policies is " + std::to_string(c.offline.policies));
  }
  if (config_hash(c) != m.config_hash) {
    throw InputError(what + ": the run was made with another config (hash " + m.config_hash +
                     ", now " + config_hash(c) +
                     "); differences:" + config_differences(m.config_yaml, to_yaml(c)));
  }
  try {
    *rows = f.read_trace();
    *blobs = read_checkpoint(f.file());
  } catch (const InputError& e) {
    throw InputError(what + ": " + e.what());
  }
  const CheckpointHeader h = checkpoint_header(*blobs, c.num_levels(), c.offline.policies, path);
  if (h.round > static_cast<std::int64_t>(rows->size())) {
    throw InputError(what + ": the checkpoint is of round " + std::to_string(h.round) +
                     " but the trace has only " + std::to_string(rows->size()) + " rounds");
  }
  rows->resize(static_cast<std::size_t>(h.round));
  *level_cost = h.level_cost;
  f.close();
  return c;
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
  cmd->add_option("--resume", *resume, "continue an interrupted run file from its checkpoint");
  opts->add_to(cmd);
  cmd->callback([=, &comm] {
    install_stop_signals();
    if (!resume->empty()) {
      if (cmd->count("--out") > 0 && *out != *resume) {
        throw InputError("--out '" + *out + "' and --resume '" + *resume +
                         "': a resumed run continues in its own file; drop --out");
      }
      Start start;
      TensorBlobs blobs;
      const Config c = prepare_resume(*resume, *opts, comm, &start.rows, &blobs, &start.level_cost);
      start.checkpoint = &blobs;
      print_config(c, comm);
      if (!pretrained->empty()) {
        log::info("resume: --pretrained " + *pretrained +
                  " is not used; the policies come from the checkpoint");
      }
      run(c, comm, *resume, "", start);
      return;
    }
    const Config c = opts->load();
    print_config(c, comm);
    if (!*force && std::filesystem::exists(*out)) {
      throw InputError("--out: '" + *out + "' exists; pass --force to replace it");
    }
    run(c, comm, *out, *pretrained, Start{});
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
