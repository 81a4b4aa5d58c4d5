#include "mfhrl/sim/data_path.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "mfhrl/core/error.h"

#ifndef MFHRL_BUILD_DATA_DIR
#define MFHRL_BUILD_DATA_DIR ""
#endif

namespace mfhrl::sim {
namespace fs = std::filesystem;

namespace {

// <dir of /proc/self/exe>/../share/mfhrl: the same relative layout in <build> and <prefix>.
std::string exe_relative_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return (exe.parent_path().parent_path() / "share" / "mfhrl").string();
}

}  // namespace

std::string find_data_file(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("MFHRL_DATA_DIR"); env != nullptr && *env != '\0') {
    dirs.emplace_back(env);
  }
  if (std::string d = exe_relative_dir(); !d.empty()) dirs.push_back(d);
  if (std::string d = MFHRL_BUILD_DATA_DIR; !d.empty()) dirs.push_back(d);

  std::string looked;
  for (const auto& dir : dirs) {
    const fs::path p = fs::path(dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
    looked += (looked.empty() ? "" : ", ") + p.string();
  }
  throw InputError("data file '" + name + "' not found; looked in: " + looked +
                   " (set MFHRL_DATA_DIR to the directory holding it)");
}

}  // namespace mfhrl::sim
