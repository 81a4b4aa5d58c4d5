// Checkpoint tensors: exact blob round trips and the write-new-then-rename checkpoint file.
#include "mfhrl/io/h5file.h"

#include <cstring>
#include <stdexcept>

#include "fixture.h"
#include "io_test_util.h"
#include "mfhrl/core/error.h"

namespace mfhrl::io {
namespace {

using testing::expect_throw_with;
using testing::TempDir;

template <typename T>
TensorBlob blob(const std::string& name, DType dtype, std::vector<std::int64_t> shape,
                const std::vector<T>& values) {
  TensorBlob b;
  b.name = name;
  b.dtype = dtype;
  b.shape = std::move(shape);
  b.bytes.resize(values.size() * sizeof(T));
  std::memcpy(b.bytes.data(), values.data(), b.bytes.size());
  return b;
}

// Blobs of every dtype, nested names, a scalar and an empty tensor, sorted by name.
TensorBlobs sample_blobs(float scale) {
  return {
      blob<float>("actor/0.bias", DType::kF32, {3}, {scale, -scale, 1e-30f}),
      blob<float>("actor/0.weight", DType::kF32, {2, 3}, {1, 2, 3, 4, 5, scale}),
      blob<double>("alpha/log_alpha", DType::kF64, {}, {-0.125 * scale}),
      blob<std::int64_t>("optim/actor/step", DType::kI64, {}, {(1LL << 40) + 7}),
      blob<std::int64_t>("optim/critic/exp_avg/indices", DType::kI64, {4}, {-1, 0, 1, 1LL << 62}),
      blob<double>("replay/empty", DType::kF64, {0, 17}, {}),
      blob<std::uint8_t>("replay/terminals", DType::kU8, {3}, {0, 1, 255}),
  };
}

void expect_same(const TensorBlobs& a, const TensorBlobs& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].dtype, b[i].dtype) << a[i].name;
    EXPECT_EQ(a[i].shape, b[i].shape) << a[i].name;
    EXPECT_EQ(a[i].bytes, b[i].bytes) << a[i].name;
  }
}

TEST(H5File, BlobsRoundTripExact) {
  TempDir dir;
  const dist::SerialComm comm;
  const std::string path = dir.file("ck.h5");
  {
    H5File f = H5File::create(path, comm);
    f.write_blobs("checkpoint/policy_0", sample_blobs(1.5f));
    f.write_blobs_owned("checkpoint/policy_1", sample_blobs(-2.0f), 0);
    expect_same(f.read_blobs("checkpoint/policy_0"), sample_blobs(1.5f));
    f.close();
  }
  const H5File f = H5File::open(path, comm, false);
  EXPECT_TRUE(f.has("checkpoint/policy_1/optim/critic/exp_avg/indices"));
  expect_same(f.read_blobs("checkpoint/policy_0"), sample_blobs(1.5f));
  expect_same(f.read_blobs("checkpoint/policy_1"), sample_blobs(-2.0f));
  // A parent group reads every nested blob, names relative to it.
  EXPECT_EQ(f.read_blobs("checkpoint").size(), 14u);
  EXPECT_EQ(f.read_blobs("checkpoint/policy_1/optim")[0].name, "actor/step");
}

TEST(H5File, BadBlobsAndMissingGroups) {
  TempDir dir;
  const dist::SerialComm comm;
  H5File f = H5File::create(dir.file("b.h5"), comm);
  TensorBlob short_blob = blob<float>("w", DType::kF32, {2, 2}, {1, 2, 3});
  expect_throw_with<InvariantError>([&] { f.write_blobs("g", {short_blob}); },
                                    {"g/w", "12 bytes for 4 elements"});
  expect_throw_with<InputError>([&] { f.read_blobs("checkpoint/policy_9"); },
                                {"b.h5", "missing group 'checkpoint/policy_9'"});
  expect_throw_with<InputError>([&] { H5File::open(dir.file("none.h5"), comm, false); },
                                {"none.h5", "no such file"});
}

TEST(H5File, AtomicWriteReplacesOnlyOnSuccess) {
  TempDir dir;
  const dist::SerialComm comm;
  const std::string path = dir.file("checkpoint.h5");
  write_file_atomically(path, comm, [](H5File& f) { f.write_blobs("ck", sample_blobs(1.0f)); });
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"checkpoint.h5"});
  const auto good = testing::file_bytes(path);

  // The second checkpoint throws halfway: the first stays loadable and no temp file remains.
  const auto failing = [](H5File& f) {
    f.write_blobs("ck", sample_blobs(2.0f));
    f.flush();
    throw std::runtime_error("disk on fire");
  };
  expect_throw_with<std::runtime_error>([&] { write_file_atomically(path, comm, failing); },
                                        {"disk on fire"});
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"checkpoint.h5"});
  EXPECT_EQ(testing::file_bytes(path), good);
  expect_same(H5File::open(path, comm, false).read_blobs("ck"), sample_blobs(1.0f));

  write_file_atomically(path, comm, [](H5File& f) { f.write_blobs("ck", sample_blobs(3.0f)); });
  expect_same(H5File::open(path, comm, false).read_blobs("ck"), sample_blobs(3.0f));
}

TEST(H5File, AtomicWriteIntoMissingDirectoryFails) {
  TempDir dir;
  const dist::SerialComm comm;
  expect_throw_with<InputError>(
      [&] { write_file_atomically(dir.file("no/such/dir.h5"), comm, [](H5File&) {}); },
      {"no/such/dir.h5.tmp", "cannot create"});
}

}  // namespace
}  // namespace mfhrl::io
