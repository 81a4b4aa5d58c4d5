#include "mfhrl/sim/data_path.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "fixture.h"
#include "mfhrl/core/error.h"

namespace mfhrl::sim {
namespace {

namespace fs = std::filesystem;

// Sets MFHRL_DATA_DIR for the test's lifetime and puts back the old value.
class ScopedDataDir {
 public:
  explicit ScopedDataDir(const std::string& dir) {
    if (const char* old = std::getenv("MFHRL_DATA_DIR")) old_ = old;
    setenv("MFHRL_DATA_DIR", dir.c_str(), 1);
  }
  ~ScopedDataDir() {
    if (old_) {
      setenv("MFHRL_DATA_DIR", old_->c_str(), 1);
    } else {
      unsetenv("MFHRL_DATA_DIR");
    }
  }

 private:
  std::optional<std::string> old_;
};

fs::path make_temp_dir(const std::string& leaf) {
  const fs::path dir = fs::path(::testing::TempDir()) / leaf;
  fs::create_directories(dir);
  return dir;
}

TEST(DataPath, HonoursDataDirEnvironmentVariable) {
  const fs::path dir = make_temp_dir("mfhrl_sim_data_path_probe");
  std::ofstream(dir / "probe.txt") << "x";
  ScopedDataDir scoped(dir.string());
  EXPECT_EQ(find_data_file("probe.txt"), (dir / "probe.txt").string());
}

TEST(DataPath, FallsBackToExecutableRelativeDir) {
  // The data dir holds no halfcheetah.xml; <build>/bin/../share/mfhrl has it.
  const fs::path dir = make_temp_dir("mfhrl_sim_data_path_empty");
  ScopedDataDir scoped(dir.string());
  const std::string found = find_data_file("halfcheetah.xml");
  EXPECT_NE(found.find("share/mfhrl/halfcheetah.xml"), std::string::npos) << found;
  EXPECT_TRUE(fs::is_regular_file(found));
}

TEST(DataPath, MissingFileNamesEveryPlaceLooked) {
  const fs::path dir = make_temp_dir("mfhrl_sim_data_path_missing");
  ScopedDataDir scoped(dir.string());
  testing::expect_throw_with<InputError>(
      [] { find_data_file("no_such_file.xml"); },
      {"no_such_file.xml", "not found", (dir / "no_such_file.xml").string(), "share/mfhrl",
       "MFHRL_DATA_DIR"});
}

}  // namespace
}  // namespace mfhrl::sim
