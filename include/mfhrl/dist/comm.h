// Collective operations over the processes of a run. SerialComm: one process, no MPI;
// MpiComm (dist/mpi_comm.h, the only public header that includes <mpi.h>): MPI_COMM_WORLD.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mfhrl {

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Collective over comm: elementwise sum of v over all ranks, result on every rank.
  virtual void allreduce_sum(std::vector<double>& v) const = 0;
  // Collective over comm: elementwise max of v over all ranks, result on every rank.
  virtual void allreduce_max(std::vector<double>& v) const = 0;
  // Collective over comm: root's bytes replace every other rank's (sizes may differ).
  virtual void broadcast(std::vector<std::uint8_t>& bytes, int root) const = 0;
  // Collective over comm: every rank's bytes concatenated in rank order, on every rank.
  virtual std::vector<std::uint8_t> allgatherv(const std::vector<std::uint8_t>& mine) const = 0;
  // Collective over comm.
  virtual void barrier() const = 0;
  // Ends every process of the run with this exit code (after the caller printed its message).
  [[noreturn]] virtual void abort(int code) const = 0;
  // A pointer to the MPI_Comm for parallel HDF5, or nullptr when there is no MPI.
  virtual const void* native_handle() const { return nullptr; }
};

// One process, no MPI: every collective is the identity.
class SerialComm final : public Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(std::vector<double>&) const override {}
  void allreduce_max(std::vector<double>&) const override {}
  void broadcast(std::vector<std::uint8_t>&, int) const override {}
  std::vector<std::uint8_t> allgatherv(const std::vector<std::uint8_t>& mine) const override {
    return mine;
  }
  void barrier() const override {}
  [[noreturn]] void abort(int code) const override;
};

}  // namespace mfhrl
