#include "mfhrl/core/partition.h"

#include <gtest/gtest.h>

#include <numeric>

#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

TEST(Partition, KnownBlocks) {
  // L = 8 over 3 ranks: floor(8/3) = 2, floor(16/3) = 5 -> [0,2) [2,5) [5,8).
  EXPECT_EQ(policy_block(8, 3, 0).begin, 0);
  EXPECT_EQ(policy_block(8, 3, 0).end, 2);
  EXPECT_EQ(policy_block(8, 3, 1).begin, 2);
  EXPECT_EQ(policy_block(8, 3, 1).end, 5);
  EXPECT_EQ(policy_block(8, 3, 2).end, 8);
  // L = 8 over 10 ranks: rank 0 gets floor(0)..floor(0.8) = [0,0), rank 1 [0,1).
  EXPECT_EQ(policy_block(8, 10, 0).size(), 0);
  EXPECT_EQ(policy_block(8, 10, 1).begin, 0);
  EXPECT_EQ(policy_block(8, 10, 1).end, 1);
  EXPECT_EQ(instance_block(4, 2, 1).begin, 2);
  EXPECT_EQ(instance_block(4, 2, 1).end, 4);
  EXPECT_EQ(block_sizes(8, 3), (std::vector<int>{2, 3, 3}));
  EXPECT_EQ(owner_of(4, 8, 3), 1);
  EXPECT_EQ(owner_of(5, 8, 3), 2);
}

TEST(Partition, EveryItemOwnedExactlyOnce) {
  const int L = 8;
  for (int P : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 64}) {
    std::vector<int> owners(L, 0);
    int expected_begin = 0, empty = 0;
    for (int p = 0; p < P; ++p) {
      const Block b = policy_block(L, P, p);
      EXPECT_EQ(b.begin, expected_begin) << "P=" << P << " p=" << p;  // contiguous, in order
      expected_begin = b.end;
      EXPECT_GE(b.size(), L / P);
      EXPECT_LE(b.size(), L / P + 1);
      empty += b.size() == 0;
      for (int l = b.begin; l < b.end; ++l) {
        ++owners[l];
        EXPECT_EQ(owner_of(l, L, P), p) << "P=" << P << " l=" << l;
        EXPECT_TRUE(b.contains(l));
      }
    }
    EXPECT_EQ(expected_begin, L);
    for (int l = 0; l < L; ++l) EXPECT_EQ(owners[l], 1) << "P=" << P << " l=" << l;
    EXPECT_EQ(empty, P > L ? P - L : 0);
    const auto sizes = block_sizes(L, P);
    EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), 0), L);
  }
}

TEST(Partition, BadArguments) {
  EXPECT_THROW(policy_block(8, 3, 3), InvariantError);
  EXPECT_THROW(policy_block(8, 0, 0), InvariantError);
  EXPECT_THROW(owner_of(8, 8, 3), InvariantError);
  EXPECT_THROW(owner_of(0, 0, 3), InvariantError);
}

TEST(ResolveThreads, AutoUsesTheCoresAProcessMayRunOn) {
  EXPECT_EQ(resolve_threads(3, 2, 2, 1), 3);    // an explicit count is taken as it is
  EXPECT_EQ(resolve_threads(0, 2, 2, 1), 2);    // one unbound process on 2 cores: both
  EXPECT_EQ(resolve_threads(0, 2, 2, 2), 1);    // two unbound processes share them
  EXPECT_EQ(resolve_threads(0, 8, 8, 3), 2);    // 8 cores over 3 processes, rounded down
  EXPECT_EQ(resolve_threads(0, 1, 2, 2), 1);    // bound to one core (mpirun --bind-to core)
  EXPECT_EQ(resolve_threads(0, 4, 64, 16), 4);  // bound to 4 of 64 (srun -c 4): its own 4
  EXPECT_EQ(resolve_threads(0, 2, 2, 5), 1);    // more processes than cores: at least 1
  EXPECT_EQ(resolve_threads(0, 0, 2, 1), 1);    // an affinity that could not be read
}

}  // namespace
}  // namespace mfhrl
