// Collective operations over the processes of a run. SerialComm: one process, no MPI;
// MpiComm (dist/mpi_comm.h, the only public header that includes <mpi.h>): MPI_COMM_WORLD.
//
// Call sites follow Caliper's local -> reduce -> finish shape: each rank fills a local buffer
// (its own policies' entries, zeros elsewhere), one typed collective combines the buffers in
// place, and a pure function finishes on the combined numbers. The collectives take a Span of
// the buffer, so a matrix or a scalar is reduced where it lives, without a copy or a memcpy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace mfhrl::dist {

// n contiguous T that the caller owns (C++17 has no std::span).
template <typename T>
class Span {
 public:
  Span(T* data, std::size_t size) : data_(data), size_(size) {}
  Span(std::vector<T>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT: implicit by design
  T* data() const { return data_; }
  std::size_t size() const { return size_; }
  T* begin() const { return data_; }
  T* end() const { return data_ + size_; }

 private:
  T* data_;
  std::size_t size_;
};

enum class ReduceOp { kSum, kMax };

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Collective: elementwise op of v over all ranks, in place, result on every rank. v has the
  // same size on every rank (at most 2^31 - 1 elements).
  virtual void allreduce(Span<double> v, ReduceOp op) const = 0;
  virtual void allreduce(Span<std::int64_t> v, ReduceOp op) const = 0;
  // Collective: root's bytes replace every other rank's; the size is the same on every rank.
  virtual void broadcast_bytes(Span<std::uint8_t> bytes, int root) const = 0;
  // Collective: root's bytes replace every other rank's (sizes may differ; root's wins).
  virtual void broadcast(std::vector<std::uint8_t>& bytes, int root) const = 0;
  // Collective: every rank's bytes concatenated in rank order, on every rank.
  virtual std::vector<std::uint8_t> allgatherv(const std::vector<std::uint8_t>& mine) const = 0;
  // Collective.
  virtual void barrier() const = 0;
  // Ends every process of the run with this exit code (after the caller printed its message).
  [[noreturn]] virtual void abort(int code) const = 0;
  // A pointer to the MPI_Comm for parallel HDF5, or nullptr when there is no MPI.
  virtual const void* native_handle() const { return nullptr; }

  // Typed shorthands over the primitives above.
  void allreduce_sum(Span<double> v) const { allreduce(v, ReduceOp::kSum); }
  void allreduce_sum(Span<std::int64_t> v) const { allreduce(v, ReduceOp::kSum); }
  void allreduce_max(Span<double> v) const { allreduce(v, ReduceOp::kMax); }
  void allreduce_max(Span<std::int64_t> v) const { allreduce(v, ReduceOp::kMax); }
  // Collective: root's value of a trivially copyable T, on every rank.
  template <typename T>
  T broadcast_value(const T& value, int root) const {
    static_assert(std::is_trivially_copyable<T>::value, "broadcast_value needs a plain type");
    T out = value;
    broadcast_bytes(Span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(&out), sizeof(T)), root);
    return out;
  }
  // Collective: root's elements of v replace every other rank's (same size on every rank).
  template <typename T>
  void broadcast_values(Span<T> v, int root) const {
    static_assert(std::is_trivially_copyable<T>::value, "broadcast_values needs a plain type");
    broadcast_bytes(
        Span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(v.data()), v.size() * sizeof(T)), root);
  }
};

// One process, no MPI: every collective is the identity.
class SerialComm final : public Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce(Span<double>, ReduceOp) const override {}
  void allreduce(Span<std::int64_t>, ReduceOp) const override {}
  void broadcast_bytes(Span<std::uint8_t>, int) const override {}
  void broadcast(std::vector<std::uint8_t>&, int) const override {}
  std::vector<std::uint8_t> allgatherv(const std::vector<std::uint8_t>& mine) const override {
    return mine;
  }
  void barrier() const override {}
  [[noreturn]] void abort(int code) const override;
};

}  // namespace mfhrl::dist
