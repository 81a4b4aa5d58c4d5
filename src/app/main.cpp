// mfhrl: multi-fidelity hybrid offline-online RL (MF-HRL-IGM). Runs as one process or under
// mpirun / srun --mpi=pmix; any error on any rank ends every rank with that rank's message.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/log.h"
#include "mfhrl/dist/mpi_comm.h"
#include "mfhrl/learn/spec.h"
#include "mfhrl/sim/level_model.h"

namespace {

[[noreturn]] void fail(const mfhrl::dist::Comm& comm, const std::string& kind,
                       const std::string& what, int code) {
  const std::string who = comm.size() > 1 ? "[rank " + std::to_string(comm.rank()) + "] " : "";
  std::fprintf(stderr, "mfhrl: %s%s: %s\n", who.c_str(), kind.c_str(), what.c_str());
  std::fflush(stderr);
  if (comm.size() > 1) comm.abort(code);
  std::exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<mfhrl::dist::Comm> comm;
  if (mfhrl::dist::launched_under_mpi()) {
    comm = std::make_unique<mfhrl::dist::MpiComm>(&argc, &argv);
  } else {
    comm = std::make_unique<mfhrl::dist::SerialComm>();
  }
  mfhrl::log::configure(comm->rank(), mfhrl::log::Level::kInfo);
  mfhrl::learn::init_threads();
  mfhrl::learn::keep_tensor_memory();
  mfhrl::sim::install_mujoco_handlers();

  CLI::App app{"mfhrl: multi-fidelity hybrid offline-online RL (MF-HRL-IGM) on MuJoCo HalfCheetah"};
  app.require_subcommand(1);
  mfhrl::app::add_rollout_command(app, *comm);
  mfhrl::app::add_collect_command(app, *comm);
  mfhrl::app::add_pretrain_command(app, *comm);
  mfhrl::app::add_run_command(app, *comm);
  mfhrl::app::add_reference_command(app, *comm);
  mfhrl::app::add_info_command(app, *comm);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = comm->rank() == 0 ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 2);
    if (code != 0 && comm->size() > 1) comm->abort(2);
    return code == 0 ? 0 : 2;
  } catch (const mfhrl::InputError& e) {
    fail(*comm, "error", e.what(), 2);
  } catch (const mfhrl::NumericalError& e) {
    fail(*comm, "numerical error", e.what(), 3);
  } catch (const std::exception& e) {
    fail(*comm, "internal error", e.what(), 4);
  }
  return 0;
}
