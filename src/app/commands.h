// The subcommands of `mfhrl` (DESIGN §7); each adds itself to the CLI and runs from its callback.
#pragma once

#include <CLI/CLI.hpp>

#include "mfhrl/core/config.h"
#include "mfhrl/dist/comm.h"
#include "mfhrl/io/dataset.h"

namespace mfhrl::app {

void add_rollout_command(CLI::App& app, const dist::Comm& comm);
void add_collect_command(CLI::App& app, const dist::Comm& comm);
void add_pretrain_command(CLI::App& app, const dist::Comm& comm);
void add_run_command(CLI::App& app, const dist::Comm& comm);
void add_reference_command(CLI::App& app, const dist::Comm& comm);
void add_info_command(CLI::App& app, const dist::Comm& comm);

// Logs `steps` transitions on `level` with a random or SAC-trained behaviour policy.
io::Dataset collect_dataset(const Config& c, const LevelConfig& level, const std::string& policy,
                            int steps);
// D_off: offline.dataset if set, else a dataset logged in memory with the collect.* settings.
io::Dataset offline_dataset(const Config& c);

}  // namespace mfhrl::app
