#include "mfhrl/core/serialize.h"

#include <gtest/gtest.h>

#include <cstring>

namespace mfhrl {
namespace {

TEST(Serialize, TransitionsConcatenateInOrderExactly) {
  Transitions a, b;
  float o[kObsDim], o2[kObsDim], act[kActDim];
  for (int i = 0; i < kObsDim; ++i) o[i] = 0.1f * i, o2[i] = -1.0f * i;
  for (int i = 0; i < kActDim; ++i) act[i] = 0.25f * i;
  a.push(o, act, 1.5f, o2, false, true);
  b.push(o2, act, -2.5f, o, true, false);
  b.push(o, act, 3.0f, o2, false, false);
  std::vector<std::uint8_t> bytes;
  serialize(a, bytes);
  serialize(b, bytes);
  const Transitions all = deserialize_transitions(bytes);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.rew, (std::vector<float>{1.5f, -2.5f, 3.0f}));
  EXPECT_EQ(all.timeout, (std::vector<std::uint8_t>{1, 0, 0}));
  EXPECT_EQ(all.terminal, (std::vector<std::uint8_t>{0, 1, 0}));
  EXPECT_EQ(0, std::memcmp(&all.obs[kObsDim], o2, sizeof(o2)));
  EXPECT_TRUE(deserialize_transitions({}).empty());
}

TEST(Serialize, BlobsRoundTripExactly) {
  TensorBlobs blobs(2);
  blobs[0].name = "actor/0.weight";
  blobs[0].shape = {2, 3};
  blobs[0].bytes.assign(24, 7);
  blobs[1].name = "step";
  blobs[1].dtype = DType::kI64;
  blobs[1].bytes.assign(8, 1);
  const TensorBlobs back = deserialize_blobs(serialize(blobs));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].name, "actor/0.weight");
  EXPECT_EQ(back[0].shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(back[0].bytes, blobs[0].bytes);
  EXPECT_EQ(back[1].dtype, DType::kI64);
  EXPECT_TRUE(back[1].shape.empty());
}

}  // namespace
}  // namespace mfhrl
