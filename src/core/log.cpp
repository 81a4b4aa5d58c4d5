#include "mfhrl/core/log.h"

#include <cstdio>
#include <mutex>

namespace mfhrl::log {
namespace {

int g_rank = 0;
Level g_min = Level::kInfo;
Listener g_listener;
std::mutex g_mutex;

void emit(Level level, const std::string& msg) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_listener) g_listener(level, msg);
  if (level < g_min) return;
  if (g_rank != 0 && level < Level::kWarn) return;
  static const char* const kNames[] = {"debug", "info", "warning", "error"};
  std::FILE* out = level >= Level::kWarn ? stderr : stdout;
  if (level == Level::kInfo && g_rank == 0) {
    std::fprintf(out, "%s\n", msg.c_str());
  } else {
    std::fprintf(out, "[rank %d] %s: %s\n", g_rank, kNames[static_cast<int>(level)], msg.c_str());
  }
  std::fflush(out);
}

}  // namespace

void configure(int rank, Level min_level) {
  g_rank = rank;
  g_min = min_level;
}
void debug(const std::string& msg) {
  emit(Level::kDebug, msg);
}
void info(const std::string& msg) {
  emit(Level::kInfo, msg);
}
void warn(const std::string& msg) {
  emit(Level::kWarn, msg);
}
void error(const std::string& msg) {
  emit(Level::kError, msg);
}
void set_listener(Listener listener) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_listener = std::move(listener);
}

}  // namespace mfhrl::log
