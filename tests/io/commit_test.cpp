// The last step of a file replacement done later: order, failure and what a failure skips.
#include "mfhrl/io/commit.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "fixture.h"
#include "io_test_util.h"
#include "mfhrl/core/error.h"

namespace mfhrl::io {
namespace {

using testing::expect_throw_with;
using testing::TempDir;

void put(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}
std::string get(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
bool exists(const std::string& path) {
  return std::filesystem::exists(path);
}

TEST(RenameDurably, ReplacesTheTargetAndRemovesTheTempFile) {
  TempDir dir;
  put(dir.file("a.h5"), "old");
  put(dir.file("a.h5.tmp"), "new");
  EXPECT_EQ(rename_durably(dir.file("a.h5.tmp"), dir.file("a.h5")), "");
  EXPECT_EQ(get(dir.file("a.h5")), "new");
  EXPECT_FALSE(exists(dir.file("a.h5.tmp")));
}

TEST(RenameDurably, AFailureNamesTheTargetLeavesItAndRemovesTheTempFile) {
  TempDir dir;
  // A non-empty directory cannot be replaced by a file.
  std::filesystem::create_directory(dir.file("a.h5"));
  put(dir.file("a.h5/inside"), "x");
  put(dir.file("a.h5.tmp"), "new");
  const std::string e = rename_durably(dir.file("a.h5.tmp"), dir.file("a.h5"));
  EXPECT_NE(e.find(dir.file("a.h5") + ": cannot replace it with the new file ("), std::string::npos)
      << e;
  EXPECT_TRUE(std::filesystem::is_directory(dir.file("a.h5")));
  EXPECT_FALSE(exists(dir.file("a.h5.tmp")));
  // A temp file that is not there: the sync fails.
  EXPECT_NE(rename_durably(dir.file("gone.tmp"), dir.file("b.h5")).find("cannot sync"),
            std::string::npos);
  EXPECT_FALSE(exists(dir.file("b.h5")));
}

TEST(DeferredCommits, NothingHappensBeforeStartThenAllInOrder) {
  TempDir dir;
  put(dir.file("seg.h5.tmp"), "segment");
  put(dir.file("run.h5"), "old run");
  put(dir.file("run.h5.tmp"), "new run");
  put(dir.file("old_seg.h5"), "old segment");
  DeferredCommits d;
  EXPECT_EQ(d.wait(), "");  // nothing started
  d.add_rename(dir.file("seg.h5.tmp"), dir.file("seg.h5"));
  d.add_rename(dir.file("run.h5.tmp"), dir.file("run.h5"));
  d.add_removal(dir.file("old_seg.h5"));
  EXPECT_EQ(d.queued(), 3u);
  EXPECT_EQ(get(dir.file("run.h5")), "old run");
  EXPECT_TRUE(exists(dir.file("old_seg.h5")));
  d.start();
  EXPECT_EQ(d.queued(), 0u);
  EXPECT_EQ(d.wait(), "");
  EXPECT_EQ(get(dir.file("seg.h5")), "segment");
  EXPECT_EQ(get(dir.file("run.h5")), "new run");
  EXPECT_FALSE(exists(dir.file("old_seg.h5")));
  auto names = dir.entries();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"run.h5", "seg.h5"}));
  // The order shows: a removal after a rename of the same file removes the new file; a removal
  // before it leaves the new one; of two renames to one target, the second wins.
  put(dir.file("x.h5.tmp"), "x");
  put(dir.file("y.h5"), "old y");
  put(dir.file("y.h5.tmp"), "new y");
  put(dir.file("z.h5.tmp"), "first z");
  d.add_rename(dir.file("x.h5.tmp"), dir.file("x.h5"));
  d.add_removal(dir.file("x.h5"));
  d.add_removal(dir.file("y.h5"));
  d.add_rename(dir.file("y.h5.tmp"), dir.file("y.h5"));
  d.add_rename(dir.file("z.h5.tmp"), dir.file("z.h5"));
  d.start();
  EXPECT_EQ(d.wait(), "");
  put(dir.file("z.h5.tmp"), "second z");
  d.add_rename(dir.file("z.h5.tmp"), dir.file("z.h5"));
  d.start();
  EXPECT_EQ(d.wait(), "");
  EXPECT_FALSE(exists(dir.file("x.h5")));
  EXPECT_EQ(get(dir.file("y.h5")), "new y");
  EXPECT_EQ(get(dir.file("z.h5")), "second z");
}

TEST(DeferredCommits, AFailedRenameSkipsEverythingAfterItUntilCollected) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("seg.h5"));  // the segment's rename fails
  put(dir.file("seg.h5/inside"), "x");
  put(dir.file("seg.h5.tmp"), "segment");
  put(dir.file("run.h5"), "old run");
  put(dir.file("run.h5.tmp"), "new run");
  put(dir.file("old_seg.h5"), "still needed by the old run file");
  DeferredCommits d;
  d.add_rename(dir.file("seg.h5.tmp"), dir.file("seg.h5"));
  d.add_rename(dir.file("run.h5.tmp"), dir.file("run.h5"));
  d.add_removal(dir.file("old_seg.h5"));
  d.start();
  // A later batch started before the failure was collected does not run either.
  put(dir.file("next.h5.tmp"), "next");
  d.add_rename(dir.file("next.h5.tmp"), dir.file("next.h5"));
  d.start();
  const std::string e = d.wait();
  EXPECT_NE(e.find(dir.file("seg.h5") + ": cannot replace it"), std::string::npos) << e;
  EXPECT_EQ(get(dir.file("run.h5")), "old run");  // the old run file stays
  EXPECT_TRUE(exists(dir.file("old_seg.h5")));    // and what it needs
  EXPECT_FALSE(exists(dir.file("run.h5.tmp")));   // skipped temp files are removed
  EXPECT_FALSE(exists(dir.file("next.h5.tmp")));
  EXPECT_FALSE(exists(dir.file("next.h5")));
  EXPECT_EQ(d.wait(), "");  // collected once
  // Afterwards it works again.
  put(dir.file("run.h5.tmp"), "newer run");
  d.add_rename(dir.file("run.h5.tmp"), dir.file("run.h5"));
  d.start();
  EXPECT_EQ(d.wait(), "");
  EXPECT_EQ(get(dir.file("run.h5")), "newer run");
}

TEST(DeferredCommits, FinishCommitsThrowsTheFailure) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("run.h5"));
  put(dir.file("run.h5/inside"), "x");
  put(dir.file("run.h5.tmp"), "new run");
  const dist::SerialComm comm;
  DeferredCommits d;
  finish_commits(d, comm);  // nothing in flight: no error
  d.add_rename(dir.file("run.h5.tmp"), dir.file("run.h5"));
  d.start();
  expect_throw_with<InputError>([&] { finish_commits(d, comm); },
                                {dir.file("run.h5"), "cannot replace it with the new file"});
}

TEST(DeferredCommits, TheDestructorWaitsForTheHelper) {
  TempDir dir;
  put(dir.file("run.h5.tmp"), "new run");
  {
    DeferredCommits d;
    d.add_rename(dir.file("run.h5.tmp"), dir.file("run.h5"));
    d.start();
  }
  EXPECT_EQ(get(dir.file("run.h5")), "new run");
}

}  // namespace
}  // namespace mfhrl::io
