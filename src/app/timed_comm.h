// A Comm that forwards to another and adds up the wall seconds spent in collectives.
#pragma once

#include <exception>

#include "common.h"
#include "mfhrl/dist/comm.h"

namespace mfhrl::app {

class TimedComm final : public dist::Comm {
 public:
  explicit TimedComm(const dist::Comm& inner) : inner_(inner) {}
  // Wall seconds spent inside collectives so far.
  double seconds() const { return seconds_; }

  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  void allreduce(dist::Span<double> v, dist::ReduceOp op) const override {
    timed([&] { inner_.allreduce(v, op); });
  }
  void allreduce(dist::Span<std::int64_t> v, dist::ReduceOp op) const override {
    timed([&] { inner_.allreduce(v, op); });
  }
  void broadcast_bytes(dist::Span<std::uint8_t> bytes, int root) const override {
    timed([&] { inner_.broadcast_bytes(bytes, root); });
  }
  void broadcast(std::vector<std::uint8_t>& bytes, int root) const override {
    timed([&] { inner_.broadcast(bytes, root); });
  }
  std::vector<std::uint8_t> allgatherv(const std::vector<std::uint8_t>& mine) const override {
    std::vector<std::uint8_t> out;
    timed([&] { out = inner_.allgatherv(mine); });
    return out;
  }
  void barrier() const override {
    timed([&] { inner_.barrier(); });
  }
  [[noreturn]] void abort(int code) const override {
    inner_.abort(code);
    std::terminate();  // not reached: inner_.abort does not return
  }
  const void* native_handle() const override { return inner_.native_handle(); }

 private:
  template <typename F>
  void timed(F&& f) const {
    const double t0 = now_seconds();
    f();
    seconds_ += now_seconds() - t0;
  }

  const dist::Comm& inner_;
  mutable double seconds_ = 0.0;
};

}  // namespace mfhrl::app
