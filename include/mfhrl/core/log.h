// One logging path: lines carry the rank, ranks above 0 stay quiet below warnings.
#pragma once

#include <functional>
#include <string>

namespace mfhrl::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Sets this process's rank (for the prefix) and the lowest level printed.
void configure(int rank, Level min_level);
void debug(const std::string& msg);
void info(const std::string& msg);
void warn(const std::string& msg);
void error(const std::string& msg);

// A hook called for every message (tests use it to fail on any warning). Empty: none.
using Listener = std::function<void(Level, const std::string&)>;
void set_listener(Listener listener);

}  // namespace mfhrl::log
