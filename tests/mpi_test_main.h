// main() of a 2-rank test binary: MPI up for the whole run, the comm published to the tests
// through `slot`, and every rank exiting non-zero if any rank failed.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "mfhrl/dist/mpi_comm.h"

namespace mfhrl::testing {

inline int run_mpi_tests(int argc, char** argv, const dist::Comm*& slot) {
  dist::MpiComm comm(&argc, &argv);
  slot = &comm;
  ::testing::InitGoogleTest(&argc, argv);
  std::vector<double> failed = {RUN_ALL_TESTS() != 0 ? 1.0 : 0.0};
  comm.allreduce_max(failed);
  slot = nullptr;
  return failed[0] != 0.0 ? 1 : 0;
}

}  // namespace mfhrl::testing
