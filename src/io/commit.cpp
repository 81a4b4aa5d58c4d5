#include "mfhrl/io/commit.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <utility>

#include "mfhrl/core/error.h"

namespace mfhrl::io {
namespace {

// Removes the temp files of renames that will not happen.
template <typename It>
void remove_temp_files(It first, It last) {
  for (; first != last; ++first) {
    if (!first->tmp.empty()) std::remove(first->tmp.c_str());
  }
}

}  // namespace

void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string rename_durably(const std::string& tmp, const std::string& path) {
  std::string reason;
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) reason = "cannot sync: " + std::generic_category().message(errno);
  if (fd >= 0) ::close(fd);
  if (reason.empty() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    reason = std::generic_category().message(errno);
  }
  if (!reason.empty()) {
    std::remove(tmp.c_str());
    return path + ": cannot replace it with the new file (" + reason + ")";
  }
  // The rename itself reaches the disk only with its directory: sync that too, so a power loss
  // cannot undo this commit while later deletions (old buffer segments) persist.
  const std::string::size_type slash = path.find_last_of('/');
  sync_directory(slash == std::string::npos ? "" : path.substr(0, slash + 1));
  return "";
}

DeferredCommits::~DeferredCommits() {
  if (helper_.joinable()) helper_.join();
  // A queue never started holds finished temp files: leave them. The next run at this path
  // overwrites or removes them (BufferLog removes stray segment temp files on resume).
}

void DeferredCommits::add_rename(std::string tmp, std::string path) {
  MFHRL_CHECK(!tmp.empty() && !path.empty(), "DeferredCommits: empty path");
  steps_.push_back(Step{std::move(tmp), std::move(path)});
}

void DeferredCommits::add_removal(std::string path) {
  MFHRL_CHECK(!path.empty(), "DeferredCommits: empty path");
  steps_.push_back(Step{"", std::move(path)});
}

void DeferredCommits::start() {
  if (helper_.joinable()) helper_.join();
  if (!error_.empty()) {  // a failure not yet collected: nothing after it runs
    remove_temp_files(steps_.begin(), steps_.end());
    steps_.clear();
    return;
  }
  if (steps_.empty()) return;
  std::vector<Step> steps = std::move(steps_);
  steps_.clear();
  // The helper takes no signals (they go to the threads that handle them); the mask is restored
  // even if the thread cannot start.
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &before);
  struct Restore {
    const sigset_t* mask;
    ~Restore() { pthread_sigmask(SIG_SETMASK, mask, nullptr); }
  } restore{&before};
  helper_ = std::thread([this, steps = std::move(steps)] {
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Step& s = steps[i];
      if (s.tmp.empty()) {
        std::remove(s.path.c_str());
        continue;
      }
      std::string e = rename_durably(s.tmp, s.path);
      if (!e.empty()) {
        remove_temp_files(steps.begin() + static_cast<std::ptrdiff_t>(i) + 1, steps.end());
        if (error_.empty()) error_ = std::move(e);
        return;
      }
    }
  });
}

std::string DeferredCommits::wait() {
  if (helper_.joinable()) helper_.join();
  return std::exchange(error_, std::string());
}

void raise_rank0_error(const std::string& error, const dist::Comm& comm) {
  std::vector<std::uint8_t> err;
  if (comm.rank() == 0) err.assign(error.begin(), error.end());
  comm.broadcast(err, 0);
  if (!err.empty()) throw InputError(std::string(err.begin(), err.end()));
}

void finish_commits(DeferredCommits& commits, const dist::Comm& comm) {
  raise_rank0_error(commits.wait(), comm);
}

}  // namespace mfhrl::io
