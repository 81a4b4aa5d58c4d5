// Stop requests for batch jobs (DESIGN §6): SIGTERM and SIGUSR1 (Slurm `--signal=B:USR1@120`,
// `scancel`) are counted instead of ending the process. The run loop reads the count at fixed
// points and all ranks agree on it with a max-allreduce:
//   1 signal  -> finish the current round, checkpoint, exit 0;
//   2 signals -> stop the current round now and checkpoint the last completed round;
//   3 signals -> the default action (the process ends at once).
#pragma once

#include "mfhrl/dist/comm.h"

namespace mfhrl::app {

// Installs the counting handlers for SIGTERM and SIGUSR1 (idempotent).
void install_stop_signals();
// Signals received by this process so far.
int stop_signals_received();
// Collective over comm: the largest count over all ranks.
int stop_signals_agreed(const dist::Comm& comm);

}  // namespace mfhrl::app
