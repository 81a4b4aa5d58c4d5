#include "signals.h"

#include <csignal>
#include <vector>

namespace mfhrl::app {
namespace {

volatile std::sig_atomic_t g_count = 0;

extern "C" void on_stop_signal(int sig) {
  g_count = g_count + 1;
  if (g_count >= 3) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

}  // namespace

void install_stop_signals() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // blocking calls (MPI, file I/O) continue after the handler
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
}

int stop_signals_received() {
  return static_cast<int>(g_count);
}

int stop_signals_agreed(const dist::Comm& comm) {
  std::int64_t n = g_count;
  comm.allreduce_max(dist::Span<std::int64_t>(&n, 1));
  return static_cast<int>(n);
}

}  // namespace mfhrl::app
