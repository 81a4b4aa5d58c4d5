// MPI_COMM_WORLD as a Comm. The only public header that includes <mpi.h>.
#pragma once

#include <mpi.h>

#include "mfhrl/dist/comm.h"

namespace mfhrl::dist {

// Collectives over MPI_COMM_WORLD. Owns MPI_Init/MPI_Finalize when it initialized MPI itself.
class MpiComm final : public Comm {
 public:
  MpiComm(int* argc, char*** argv);
  ~MpiComm() override;
  MpiComm(const MpiComm&) = delete;
  MpiComm& operator=(const MpiComm&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce(Span<double> v, ReduceOp op) const override;
  void allreduce(Span<std::int64_t> v, ReduceOp op) const override;
  void broadcast_bytes(Span<std::uint8_t> bytes, int root) const override;
  void broadcast(std::vector<std::uint8_t>& bytes, int root) const override;
  std::vector<std::uint8_t> allgatherv(const std::vector<std::uint8_t>& mine) const override;
  void barrier() const override;
  [[noreturn]] void abort(int code) const override;
  const void* native_handle() const override { return &comm_; }

 private:
  MPI_Comm comm_ = MPI_COMM_WORLD;
  int rank_ = 0;
  int size_ = 1;
  bool owns_init_ = false;
};

// True when this process was started by a launcher (mpirun, srun) with more than one rank or
// an MPI environment, so MPI should be initialized.
bool launched_under_mpi();

}  // namespace mfhrl::dist
