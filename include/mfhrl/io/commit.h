// The last step of an atomic file replacement -- sync the finished temp file, rename it over the
// target, sync the directory -- done now or, for checkpoints, later on a helper thread, so that a
// run goes on computing while the disk catches up (DESIGN §6: a crash never loses the last good
// checkpoint; the old file stays in place until the new one is on disk under its name).
#pragma once

#include <string>
#include <thread>
#include <vector>

#include "mfhrl/dist/comm.h"

namespace mfhrl::io {

// fsync of directory `dir` (empty: the working directory), so the names created or renamed in it
// are on disk. Best effort: a directory that cannot be opened is left as it is.
void sync_directory(const std::string& dir);

// Syncs tmp to disk, renames it over path and syncs path's directory (best effort, as
// sync_directory). Returns "" on success, else why the sync or the rename failed; tmp is then
// removed and path is untouched.
std::string rename_durably(const std::string& tmp, const std::string& path);

// Renames (rename_durably) and removals queued by one process and done in that order by a helper
// thread. After a failed rename nothing queued after it runs (neither in that start() nor in later
// ones until wait() has returned the failure), so the removal of files the old target still needs
// never happens; the temp files of the skipped renames are removed. Not thread-safe itself: one
// owner queues, starts and waits.
class DeferredCommits {
 public:
  DeferredCommits() = default;
  DeferredCommits(const DeferredCommits&) = delete;
  DeferredCommits& operator=(const DeferredCommits&) = delete;
  // Waits for the helper; a failure not yet collected by wait() is dropped (the owner is
  // unwinding from another error, or finished without asking).
  ~DeferredCommits();

  void add_rename(std::string tmp, std::string path);
  // Best effort: a file that cannot be removed is left.
  void add_removal(std::string path);
  // Runs everything queued since the last start() on a helper thread. Waits for the previous
  // helper first, keeping its result for wait().
  void start();
  // Waits for the helper. Returns the first failure since the last wait() ("path: cannot replace
  // it with the new file (reason)"), or "" if none or nothing was started.
  std::string wait();
  // Steps queued and not yet started.
  std::size_t queued() const { return steps_.size(); }

 private:
  struct Step {
    std::string tmp;  // empty: a removal of path
    std::string path;
  };
  std::vector<Step> steps_;
  std::thread helper_;
  std::string error_;  // written by the helper, read after join
};

// Collective over comm: rank 0's `error` ("" for none; the other ranks' is ignored) thrown as an
// InputError on every rank.
void raise_rank0_error(const std::string& error, const dist::Comm& comm);

// Collective over comm: waits for rank 0's deferred commits (the other ranks queue none) and
// throws InputError on every rank if one failed.
void finish_commits(DeferredCommits& commits, const dist::Comm& comm);

}  // namespace mfhrl::io
