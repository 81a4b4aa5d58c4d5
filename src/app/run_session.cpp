#include "run_session.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "checkpoint.h"
#include "commands.h"
#include "mfhrl/config/load.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/footprint.h"
#include "mfhrl/core/log.h"
#include "mfhrl/core/posterior.h"
#include "mfhrl/core/ranking.h"
#include "mfhrl/dist/mpi_comm.h"
#include "mfhrl/io/dataset.h"
#include "mfhrl/io/run_file.h"
#include "online.h"
#include "policies.h"
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
  std::snprintf(
      buf, sizeof buf,
      "round %3lld | level %d (%s) | IG [%s] | H(p) %.3f | budget %.1f/%.1f (%.1f left) | return "
      "%.1f ± %.1f | regret %.1f | %.0f s elapsed, ~%.0f s left",
      static_cast<long long>(row.round), row.level,
      c.levels[static_cast<std::size_t>(row.level - 1)].name.c_str(), ig.c_str(),
      entropy_nats(row.posterior), row.budget_spent, c.budget_total, left, row.eval_return_mean,
      row.eval_return_std, row.regret, elapsed, eta);
  std::string line = buf;
  if (!dist::launched_under_mpi() && isatty(STDOUT_FILENO)) {
    const int width = 20;
    const int filled = static_cast<int>(std::lround(width * row.budget_spent / c.budget_total));
    line += " [" + std::string(static_cast<std::size_t>(filled), '#') +
            std::string(static_cast<std::size_t>(width - filled), '.') + "]";
  }
  return line;
}

// For a round that evaluated every policy: their returns and whether the posterior ranks them.
std::string format_all_returns(const TraceRow& row) {
  std::string out =
      "  every policy on the real system: returns " + bracketed(row.policy_returns, 1);
  char buf[128];
  if (row.policy_returns.size() >= 2) {
    const double rho = spearman_correlation(row.posterior, row.policy_returns);
    std::snprintf(
        buf, sizeof buf, " | Spearman(posterior, return) %.2f | MAP %d %s", rho,
        row.deployed_policy,
        is_best(row.policy_returns, row.deployed_policy) ? "is the best" : "is not the best");
    out += buf;
  }
  return out;
}

// Test hooks (environment variables, read once): MFHRL_FAULT_RANK=r fails rank r in round 1;
// MFHRL_SIGNAL_AFTER_ROUND=r makes rank 0 raise SIGTERM once round r is recorded;
// MFHRL_SIGNAL_TWICE_IN_ROUND=r makes rank 0 raise SIGUSR1 twice in round r's update phase;
// MFHRL_KILL_IN_CHECKPOINT=r kills rank 0 (SIGKILL) half-way through writing round r's checkpoint;
// MFHRL_KILL_IN_SEGMENT=r kills it with round r's buffer rows in the segment's temp file.
std::int64_t hook(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? -1 : std::atoll(v);
}

// The state of one run between rounds and the run file that mirrors it.
class Session {
 public:
  Session(const Config& c, const dist::Comm& comm, std::string path, const io::Dataset& data,
          const Levels& levels)
      : c_(c),
        comm_(comm),
        path_(std::move(path)),
        meta_(run_file_meta(c)),
        timed_(comm),
        loop_(c, timed_, levels, data.data, PolicySet(c, comm, data.data)),
        buffers_(path_, comm, c.num_levels(), c.online.buffer_capacity) {}

  // Offline phase (or pretrained policies), then the round-0 checkpoint: a resume never repeats
  // the offline phase.
  void start_fresh(const std::string& pretrained) {
    loop_.offline_phase(pretrained);
    // Only now, with round 0's checkpoint about to replace the file: a run killed during the
    // offline phase leaves an earlier run at this path resumable, segments included.
    buffers_.start_fresh();
    snap_ = capture();
    write_checkpoint_file(snap_);
  }

  // The state of `point`; trace rows recorded after its checkpoint are dropped.
  void start_resumed(const ResumePoint& point) {
    if (point.header.offline_digest != loop_.state().offline_digest) {
      throw InputError("--resume '" + path_ + "': the offline dataset '" + c_.offline.dataset +
                       "' differs from the one the run started with");
    }
    loop_.restore(point.checkpoint, path_);
    buffers_.start_resumed(loop_.state(), point.buffers_in_segments);
    rows_ = point.rows;
    snap_ = capture();
    on_disk_ = snap_.round;
    if (point.file_rounds > snap_.round) {
      log::info("resume: dropping rounds " + std::to_string(snap_.round + 1) + ".." +
                std::to_string(point.file_rounds) +
                " recorded after the checkpoint (they are recomputed identically)");
      write_checkpoint_file(snap_);  // the file anew, atomically, rather than truncated in place
    }
    log::info("resume: continuing " + path_ + " after round " + std::to_string(snap_.round));
  }

  // Rounds until the budget is spent (then the final file) or a stop signal (then a checkpoint).
  void run_rounds() {
    const std::int64_t fault = hook("MFHRL_FAULT_RANK");
    const std::int64_t signal_after = hook("MFHRL_SIGNAL_AFTER_ROUND");
    const std::int64_t signal_in = hook("MFHRL_SIGNAL_TWICE_IN_ROUND");
    loop_.set_interrupt_poll([this, signal_in] {
      if (loop_.state().round == signal_in && comm_.rank() == 0 && stop_signals_received() == 0) {
        std::raise(SIGUSR1);
        std::raise(SIGUSR1);
      }
      return stop_signals_agreed(timed_) >= 2;
    });
    const double t0 = now_seconds();
    const double wall_offset = rows_.empty() ? 0.0 : rows_.back().wall_seconds;
    const double spent_before = loop_.state().budget.spent;
    const std::int64_t first_round = snap_.round;
    while (!loop_.done()) {
      if (stop_signals_agreed(timed_) >= 1) return stop("before");
      if (fault == comm_.rank()) {
        throw NumericalError("injected fault (MFHRL_FAULT_RANK) in round " +
                             std::to_string(loop_.state().round + 1));
      }
      TraceRow row;
      try {
        row = loop_.round();
      } catch (const RoundInterrupted&) {
        return stop("during");
      }
      row.wall_seconds = wall_offset + now_seconds() - t0;
      rows_.push_back(row);
      log::info(format_round(c_, row, now_seconds() - t0, spent_before));
      if (!row.policy_returns.empty() && std::isfinite(row.policy_returns[0])) {
        log::info(format_all_returns(row));
      }
      snap_ = capture();
      if (row.round == signal_after && comm_.rank() == 0) std::raise(SIGTERM);
      // A checkpoint (or the final file) rewrites the whole file with this row; only rounds in
      // between are appended in place, so with checkpoint.every = 1 the file is only ever
      // replaced by a rename.
      if (loop_.done()) break;
      if (row.round % c_.checkpoint_every == 0) {
        write_checkpoint_file(snap_);
      } else {
        append_in_place(row);
      }
    }
    finish(now_seconds() - t0, rows_.size() - static_cast<std::size_t>(first_round));
  }

 private:
  // The state after the last completed round, and its new buffer rows kept for the next write.
  Checkpoint capture() {
    buffers_.note(loop_.state());
    return capture_checkpoint(c_, loop_.state());
  }

  // Appends row to the run file as it is (flushed: it survives a crash of the process).
  void append_in_place(const TraceRow& row) {
    if (!file_) {
      io::finish_commits(commits_, comm_);  // the file at path_ is the last checkpoint's
      file_.emplace(io::RunFile::open_rw(path_, comm_));
    }
    file_->append(row);
  }

  void close_file() {
    if (!file_) return;
    file_->close();
    file_.reset();
  }

  // The buffers' new rows as a segment, then the run file anew with the trace up to ck's round
  // and ck (atomically, see RunFile::rewrite); the rename commits both. The syncs and renames
  // (and the removal of segments no longer needed) run on rank 0's helper thread while the next
  // round computes; the next checkpoint, an append, a stop or the end waits for them and fails
  // on every rank if they failed. Until then the previous checkpoint stays in place.
  void write_checkpoint_file(const Checkpoint& ck) {
    close_file();
    const double t = now_seconds();
    io::finish_commits(commits_, comm_);
    static const std::int64_t kill_round = hook("MFHRL_KILL_IN_CHECKPOINT");
    static const std::int64_t kill_segment = hook("MFHRL_KILL_IN_SEGMENT");
    const std::size_t row_bytes = buffers_.write(ck.round, &commits_, [&] {
      if (ck.round == kill_segment) std::raise(SIGKILL);
    });
    const std::vector<TraceRow> rows(rows_.begin(), rows_.begin() + ck.round);
    io::RunFile::rewrite(
        path_, comm_, meta_, rows, false,
        [&](io::H5File& f) {
          if (ck.round == kill_round && comm_.rank() == 0) {
            f.write_blobs("checkpoint", ck.shared);
            f.flush();
            std::raise(SIGKILL);
          }
          write_checkpoint(f, ck);
        },
        &commits_);
    buffers_.committed(ck.round, &commits_);
    // The new file's size: rank 0 renames it only once its helper starts, but the other ranks
    // may look after that.
    std::error_code ec;
    auto file_bytes = std::filesystem::file_size(path_ + ".tmp", ec);
    if (ec) file_bytes = std::filesystem::file_size(path_, ec);
    commits_.start();
    on_disk_ = ck.round;
    ++checkpoints_;
    checkpoint_seconds_ += now_seconds() - t;
    const double bytes =
        static_cast<double>(row_bytes) + (ec ? 0.0 : static_cast<double>(file_bytes));
    checkpoint_bytes_ += bytes;
    log::debug("checkpoint of round " + std::to_string(ck.round) + " written, its commit to " +
               path_ + " queued (" + std::to_string(static_cast<long long>(bytes)) +
               " bytes, of which " + std::to_string(row_bytes) + " of new buffer rows)");
  }

  // After a stop signal: the checkpoint of the last completed round, and how to go on.
  void stop(const char* when) {
    close_file();
    if (on_disk_ != snap_.round) write_checkpoint_file(snap_);
    io::finish_commits(commits_, comm_);
    if (comm_.rank() == 0) {
      std::cout << "stopped by signal " << when << " round " << snap_.round + 1
                << "; the checkpoint of round " << snap_.round << " is in " << path_
                << "\nresume with: mfhrl run --resume " << path_
                << " (and the same --config/key=value arguments, if any)" << std::endl;
    }
  }

  // The final file: the trace and the final policies, no checkpoint; then the summary.
  void finish(double online_seconds, std::size_t online_rounds) {
    close_file();
    io::finish_commits(commits_, comm_);
    io::RunFile::rewrite(path_, comm_, meta_, rows_, true,
                         [&](io::H5File& f) { loop_.state().policies.write_to(f); });
    buffers_.remove_all();
    const TraceRow& last = rows_.back();
    const double per_round = 1.0 / static_cast<double>(std::max<std::size_t>(online_rounds, 1));
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "run finished: %zu rounds, budget %.1f of %.1f, final return %.1f (normalized "
                  "score %.1f), cumulative regret %.1f, %.0f s in this process; trace in %s",
                  rows_.size(), last.budget_spent, c_.budget_total, last.eval_return_mean,
                  last.normalized_score, last.cumulative_regret, now_seconds() - t_created_,
                  path_.c_str());
    log::info(buf);
    std::snprintf(buf, sizeof buf,
                  "online phase: %.3f s per round, of which %.4f s in MPI collectives (%d ranks); "
                  "%d checkpoints, %.3f s and %.2f MB each",
                  online_seconds * per_round, timed_.seconds() * per_round, comm_.size(),
                  checkpoints_, checkpoints_ > 0 ? checkpoint_seconds_ / checkpoints_ : 0.0,
                  checkpoints_ > 0 ? checkpoint_bytes_ / checkpoints_ / 1e6 : 0.0);
    log::info(buf);
    const OnlineLoop::PhaseSeconds& ph = loop_.phase_seconds();
    std::snprintf(
        buf, sizeof buf,
        "online phase on rank %d, s per round: information gain %.4f, collect %.4f, "
        "posterior %.4f, H2O updates %.4f (discriminators %.4f, minibatches %.4f, learner %.4f), "
        "evaluation %.4f, checkpoint %.4f",
        comm_.rank(), ph.information_gain * per_round, ph.collect * per_round,
        ph.posterior * per_round, ph.update * per_round, ph.discriminators * per_round,
        ph.minibatches * per_round, ph.learner * per_round, ph.evaluate * per_round,
        checkpoint_seconds_ * per_round);
    log::info(buf);
    log_phase_spread(per_round);
  }

  // On several ranks, the slowest and the fastest rank of every phase: a rank that waits in a
  // collective is waiting for another rank's work, and this line shows whose. Collective.
  void log_phase_spread(double per_round) {
    const int P = comm_.size();
    if (P < 2) return;
    const OnlineLoop::PhaseSeconds& ph = loop_.phase_seconds();
    const std::vector<std::pair<const char*, double>> phases = {
        {"information gain", ph.information_gain},
        {"collect", ph.collect},
        {"posterior", ph.posterior},
        {"discriminators", ph.discriminators},
        {"minibatches", ph.minibatches},
        {"learner", ph.learner},
        {"evaluation", ph.evaluate},
        {"checkpoint", checkpoint_seconds_},
        {"MPI collectives", timed_.seconds()}};
    // Row r holds rank r's seconds; the sum over ranks gathers them (the rest is zero).
    const std::size_t n = phases.size();
    std::vector<double> all(n * static_cast<std::size_t>(P), 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      all[static_cast<std::size_t>(comm_.rank()) * n + i] = phases[i].second * per_round;
    }
    comm_.allreduce(dist::Span<double>(all.data(), all.size()), dist::ReduceOp::kSum);
    std::ostringstream line;
    line << "online phase by rank, s per round, slowest / fastest:";
    char part[128];
    const auto at = [&](int r, std::size_t i) { return all[static_cast<std::size_t>(r) * n + i]; };
    for (std::size_t i = 0; i < n; ++i) {
      int hi = 0, lo = 0;
      for (int r = 1; r < P; ++r) {
        if (at(r, i) > at(hi, i)) hi = r;
        if (at(r, i) < at(lo, i)) lo = r;
      }
      std::snprintf(part, sizeof part, "%s %s %.4f (rank %d) / %.4f (rank %d)", i == 0 ? "" : ",",
                    phases[i].first, at(hi, i), hi, at(lo, i), lo);
      line << part;
    }
    log::info(line.str());
  }

  const double t_created_ = now_seconds();
  const Config& c_;
  const dist::Comm& comm_;
  const std::string path_;
  const io::RunFileMeta meta_;
  const TimedComm timed_;  // the online loop's collectives, timed
  OnlineLoop loop_;
  BufferLog buffers_;
  io::DeferredCommits commits_;      // rank 0: the last checkpoint's syncs and renames, in flight
  std::vector<TraceRow> rows_;       // the trace so far
  Checkpoint snap_;                  // the state after the last completed round
  std::int64_t on_disk_ = -1;        // the round of the checkpoint in the file
  std::optional<io::RunFile> file_;  // open only while rounds are appended in place
  int checkpoints_ = 0;
  double checkpoint_seconds_ = 0.0;
  double checkpoint_bytes_ = 0.0;  // run file and segment bytes over the checkpoints written
};

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

}  // namespace

Config prepare_resume(const std::string& path, const ConfigOptions& opts, const dist::Comm& comm,
                      ResumePoint* point) {
  std::vector<TraceRow>* rows = &point->rows;
  TensorBlobs* blobs = &point->checkpoint;
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
                       ? config::parse_config_text(m.config_yaml, path + ":/config", opts.overrides)
                       : opts.load();
  if (c.offline.policies != m.policies) {
    throw InputError(what + ": the run has L=" + std::to_string(m.policies) +
                     " policies but offline.policies is " + std::to_string(c.offline.policies));
  }
  // checkpoint.every changes nothing in the results, so it may differ; every other key must not.
  Config same = c;
  same.checkpoint_every =
      config::parse_config_text(m.config_yaml, path + ":/config").checkpoint_every;
  if (config::config_hash(same) != m.config_hash) {
    throw InputError(what + ": the run was made with another config (hash " + m.config_hash +
                     ", now " + config::config_hash(same) +
                     "); differences:" + config_differences(m.config_yaml, config::to_yaml(same)));
  }
  try {
    *rows = f.read_trace();
    *blobs = read_checkpoint(f.file());
    point->buffers_in_segments = buffers_in_segments(*blobs);
    if (point->buffers_in_segments) read_buffer_rows(path, c.num_levels(), *blobs, path);
  } catch (const InputError& e) {
    throw InputError(what + ": " + e.what());
  }
  const CheckpointHeader& h = point->header =
      checkpoint_header(*blobs, c.num_levels(), c.offline.policies, path);
  if (h.round > static_cast<std::int64_t>(rows->size())) {
    throw InputError(what + ": the checkpoint is of round " + std::to_string(h.round) +
                     " but the trace has only " + std::to_string(rows->size()) + " rounds");
  }
  point->file_rounds = static_cast<std::int64_t>(rows->size());
  rows->resize(static_cast<std::size_t>(h.round));
  f.close();
  return c;
}

namespace {

double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

// The rounds the budget buys at the costs in use (measured costs can be cheaper than declared
// ones) and the memory a rank will hold, printed before any work starts.
void check_footprint(const Config& c, const std::vector<double>& cost, std::int64_t offline_rows,
                     int ranks) {
  const std::string too_long =
      rounds_bound_violation(c.budget_total, cost, c.online.batch_transitions);
  if (!too_long.empty()) throw InputError("budget.total (at the level costs in use): " + too_long);
  const double rounds = implied_rounds(c.budget_total, cost, c.online.batch_transitions);
  Config priced = c;
  for (std::size_t k = 0; k < priced.levels.size() && k < cost.size(); ++k) {
    priced.levels[k].cost = cost[k];
  }
  const MemoryEstimate m = estimate_memory(priced, offline_rows, ranks);
  log::info("memory: about " + describe_memory(m) + "; at most " +
            std::to_string(static_cast<long long>(rounds)) + " rounds");
  const double physical = physical_memory_bytes();
  if (physical > 0 && m.total() > physical) {
    log::warn("memory: the estimate exceeds this node's " +
              std::to_string(static_cast<long long>(physical / 1e6)) +
              " MB; lower online.buffer_capacity, online.batch_transitions or igm.history");
  }
}

}  // namespace

void run_session(const Config& c, const dist::Comm& comm, const std::string& path,
                 const std::string& pretrained, const ResumePoint* resume) {
  const io::Dataset data = offline_dataset(c);
  const Levels levels = build_levels(c, comm, resume ? &resume->header.level_cost : nullptr);
  check_footprint(c, levels.cost, static_cast<std::int64_t>(data.data.size()), comm.size());
  Session session(c, comm, path, data, levels);
  if (resume != nullptr) {
    session.start_resumed(*resume);
  } else {
    session.start_fresh(pretrained);
  }
  session.run_rounds();
}

}  // namespace mfhrl::app
