// MpiComm under mpirun -np 2: every typed collective gives the hand-computed answer on every
// rank. Its own main (MpiComm), registered with mpiexec.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "mfhrl/core/error.h"
#include "mfhrl/dist/mpi_comm.h"
#include "mpi_test_main.h"

namespace mfhrl::dist {
namespace {

const Comm* g_comm = nullptr;

TEST(MpiComm, TwoRanks) {
  ASSERT_EQ(g_comm->size(), 2) << "run under mpirun -np 2";
}

TEST(MpiComm, AllreduceSumAndMax) {
  const int r = g_comm->rank();
  // rank 0: {1, -1, 0.5}, rank 1: {2, -2, 0.25} -> sum {3, -3, 0.75}, max {2, -1, 0.5}.
  std::vector<double> s{1.0 + r, -1.0 - r, r == 0 ? 0.5 : 0.25};
  std::vector<double> m = s;
  g_comm->allreduce_sum(s);
  EXPECT_EQ(s, (std::vector<double>{3.0, -3.0, 0.75}));
  g_comm->allreduce_max(m);
  EXPECT_EQ(m, (std::vector<double>{2.0, -1.0, 0.5}));
  // int64 beyond double's 2^53: 2^60 + 1 on rank 0 and 2 on rank 1 sum exactly to 2^60 + 3.
  std::int64_t big = r == 0 ? (std::int64_t{1} << 60) + 1 : 2;
  g_comm->allreduce_sum(Span<std::int64_t>(&big, 1));
  EXPECT_EQ(big, (std::int64_t{1} << 60) + 3);
  std::int64_t top = 10 * (r + 1);
  g_comm->allreduce_max(Span<std::int64_t>(&top, 1));
  EXPECT_EQ(top, 20);
}

struct Pick {
  int level;
  double score;
};

TEST(MpiComm, BroadcastsFromEitherRoot) {
  const int r = g_comm->rank();
  const Pick mine{r + 1, 0.5 * (r + 1)};
  const Pick from1 = g_comm->broadcast_value(mine, 1);
  EXPECT_EQ(from1.level, 2);
  EXPECT_EQ(from1.score, 1.0);
  std::vector<double> cost = r == 0 ? std::vector<double>{0.1, 0.3, 1.0} : std::vector<double>(3);
  g_comm->broadcast_values(Span<double>(cost), 0);
  EXPECT_EQ(cost, (std::vector<double>{0.1, 0.3, 1.0}));
  // Variable size: root's length wins.
  std::vector<std::uint8_t> bytes(r == 0 ? 5 : 1, static_cast<std::uint8_t>(r + 7));
  g_comm->broadcast(bytes, 0);
  EXPECT_EQ(bytes, std::vector<std::uint8_t>(5, 7));
}

TEST(MpiComm, AllgathervInRankOrder) {
  const int r = g_comm->rank();
  const std::vector<std::uint8_t> mine(static_cast<std::size_t>(r + 1),
                                       static_cast<std::uint8_t>(r));
  EXPECT_EQ(g_comm->allgatherv(mine), (std::vector<std::uint8_t>{0, 1, 1}));
}

TEST(MpiComm, RefusesCountsBeyondInt) {
  // Refused on every rank before any message, so no rank waits in a half-entered collective.
  EXPECT_THROW(g_comm->allreduce_sum(Span<double>(nullptr, std::size_t{1} << 31)), InvariantError);
}

}  // namespace
}  // namespace mfhrl::dist

int main(int argc, char** argv) {
  return mfhrl::testing::run_mpi_tests(argc, argv, mfhrl::dist::g_comm);
}
