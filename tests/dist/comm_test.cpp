// The typed collectives on one process: a Span sees the caller's buffer in place, and the
// shorthands reach the primitives of the Comm they are called on.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "mfhrl/dist/comm.h"

namespace mfhrl::dist {
namespace {

// Records which primitive ran, with what, and applies a known transformation so that a test can
// tell the shorthand's argument reached it in place.
class RecordingComm final : public Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce(Span<double> v, ReduceOp op) const override {
    last = op == ReduceOp::kSum ? "sum:double" : "max:double";
    for (double& x : v) x *= 2.0;
  }
  void allreduce(Span<std::int64_t> v, ReduceOp op) const override {
    last = op == ReduceOp::kSum ? "sum:int64" : "max:int64";
    for (auto& x : v) x += 1;
  }
  void broadcast_bytes(Span<std::uint8_t> bytes, int root) const override {
    last = "bytes:" + std::to_string(bytes.size()) + "@" + std::to_string(root);
    if (bytes.size() > 0) bytes.data()[0] ^= 0xFF;
  }
  void broadcast(std::vector<std::uint8_t>&, int) const override { last = "broadcast"; }
  std::vector<std::uint8_t> allgatherv(const std::vector<std::uint8_t>& mine) const override {
    return mine;
  }
  void barrier() const override {}
  [[noreturn]] void abort(int) const override { std::abort(); }
  mutable std::string last;
};

TEST(Span, ViewsTheBufferInPlace) {
  std::vector<double> v{1.0, 2.0, 3.0};
  Span<double> s(v);
  EXPECT_EQ(s.data(), v.data());
  EXPECT_EQ(s.size(), 3u);
  for (double& x : s) x += 10.0;
  EXPECT_EQ(v, (std::vector<double>{11.0, 12.0, 13.0}));
  double one = 5.0;
  EXPECT_EQ(Span<double>(&one, 1).size(), 1u);
}

TEST(Comm, ShorthandsReachThePrimitivesInPlace) {
  const RecordingComm comm;
  std::vector<double> v{1.5, -2.0};
  comm.allreduce_sum(v);
  EXPECT_EQ(comm.last, "sum:double");
  EXPECT_EQ(v, (std::vector<double>{3.0, -4.0}));
  comm.allreduce_max(v);
  EXPECT_EQ(comm.last, "max:double");
  std::int64_t n[2] = {7, 9};
  comm.allreduce_sum(Span<std::int64_t>(n, 2));
  EXPECT_EQ(comm.last, "sum:int64");
  EXPECT_EQ(n[0], 8);
  EXPECT_EQ(n[1], 10);
  comm.allreduce_max(Span<std::int64_t>(n, 1));
  EXPECT_EQ(comm.last, "max:int64");
  EXPECT_EQ(n[0], 9);
}

TEST(Comm, BroadcastValueSendsTheObjectRepresentation) {
  const RecordingComm comm;
  const int got = comm.broadcast_value(0x12345600, 1);
  EXPECT_EQ(comm.last, "bytes:" + std::to_string(sizeof(int)) + "@1");
  // The recording comm flips the first byte (little endian: the low byte 0x00 -> 0xFF).
  EXPECT_EQ(got, 0x123456FF);
  std::vector<double> cost{0.1, 0.3, 1.0};
  comm.broadcast_values(Span<double>(cost), 0);
  EXPECT_EQ(comm.last, "bytes:24@0");
}

TEST(SerialComm, CollectivesAreTheIdentity) {
  const SerialComm comm;
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);
  std::vector<double> v{1.0, 2.0};
  comm.allreduce_sum(v);
  comm.allreduce_max(v);
  EXPECT_EQ(v, (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(comm.broadcast_value(42, 0), 42);
  const std::vector<std::uint8_t> mine{1, 2, 3};
  EXPECT_EQ(comm.allgatherv(mine), mine);
}

}  // namespace
}  // namespace mfhrl::dist
