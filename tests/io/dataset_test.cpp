// Offline dataset files: exact round trip, real-D4RL-style files, every bad file, atomic writes.
#include "mfhrl/io/dataset.h"

#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>

#include "fixture.h"
#include "io_test_util.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/regret.h"

namespace mfhrl::io {
namespace {

using testing::expect_throw_with;
using testing::file_bytes;
using testing::TempDir;

// A small dataset with distinct, exactly representable values in every cell.
Dataset make_dataset(std::size_t n, bool infos) {
  Dataset ds;
  ds.env_name = "HalfCheetah";
  ds.level_name = "level_3";
  for (std::size_t i = 0; i < n; ++i) {
    float o[kObsDim], o2[kObsDim], a[kActDim];
    for (int j = 0; j < kObsDim; ++j) {
      o[j] = static_cast<float>(i) + 0.125f * static_cast<float>(j);
      o2[j] = -o[j];
    }
    for (int j = 0; j < kActDim; ++j) a[j] = 0.25f * static_cast<float>(j) - 0.5f;
    ds.data.push(o, a, 0.5f * static_cast<float>(i), o2, i == 2, i == n - 1);
  }
  if (infos) {
    for (std::size_t k = 0; k < n * kQposDim; ++k) {
      ds.qpos.push_back(0.1 * static_cast<double>(k));
      ds.qvel.push_back(-1e-3 * static_cast<double>(k));
    }
  }
  return ds;
}

TEST(Dataset, RoundTripIsExact) {
  TempDir dir;
  const std::string path = dir.file("data.h5");
  const Dataset ds = make_dataset(5, true);
  write_dataset(path, ds, false);
  const Dataset back = read_dataset(path);
  EXPECT_EQ(back.data.obs, ds.data.obs);
  EXPECT_EQ(back.data.act, ds.data.act);
  EXPECT_EQ(back.data.rew, ds.data.rew);
  EXPECT_EQ(back.data.next_obs, ds.data.next_obs);
  EXPECT_EQ(back.data.terminal, (std::vector<std::uint8_t>{0, 0, 1, 0, 0}));
  EXPECT_EQ(back.data.timeout, (std::vector<std::uint8_t>{0, 0, 0, 0, 1}));
  EXPECT_EQ(back.qpos, ds.qpos);
  EXPECT_EQ(back.qvel, ds.qvel);
  EXPECT_EQ(back.env_name, "HalfCheetah");
  EXPECT_EQ(back.level_name, "level_3");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"data.h5"});  // no temp file left
}

TEST(Dataset, RoundTripWithoutInfosAndEmpty) {
  TempDir dir;
  write_dataset(dir.file("a.h5"), make_dataset(3, false), false);
  const Dataset a = read_dataset(dir.file("a.h5"));
  EXPECT_EQ(a.data.size(), 3u);
  EXPECT_TRUE(a.qpos.empty());
  EXPECT_TRUE(a.qvel.empty());
  write_dataset(dir.file("e.h5"), make_dataset(0, false), false);
  EXPECT_EQ(read_dataset(dir.file("e.h5")).data.size(), 0u);
}

// --- files written the way h5py writes D4RL ------------------------------------------------------

// One raw dataset to write with the C API: file type, memory type, shape and bytes.
struct RawColumn {
  hid_t ftype;
  hid_t mtype;
  std::vector<hsize_t> dims;
  std::vector<unsigned char> bytes;
};

template <typename T>
RawColumn column(hid_t ftype, hid_t mtype, std::vector<hsize_t> dims, const std::vector<T>& v) {
  RawColumn c{ftype, mtype, std::move(dims), {}};
  c.bytes.resize(v.size() * sizeof(T));
  std::memcpy(c.bytes.data(), v.data(), c.bytes.size());
  return c;
}

// numpy bool as h5py stores it.
hid_t h5py_bool() {
  static const hid_t t = [] {
    const hid_t e = H5Tenum_create(H5T_STD_I8LE);
    const signed char f = 0, t1 = 1;
    H5Tenum_insert(e, "FALSE", &f);
    H5Tenum_insert(e, "TRUE", &t1);
    return e;
  }();
  return t;
}

// A D4RL halfcheetah-like file of n rows: f64 observations, enum/uint8 bools, extra keys.
std::map<std::string, RawColumn> d4rl_columns(std::size_t n) {
  std::vector<double> obs(n * 17), next(n * 17), rew(n), qpos(n * 9), logp(n);
  std::vector<float> act(n * 6);
  std::vector<signed char> term(n, 0);
  std::vector<unsigned char> tout(n, 0);
  for (std::size_t k = 0; k < obs.size(); ++k) obs[k] = 0.5 * static_cast<double>(k);
  for (std::size_t k = 0; k < next.size(); ++k) next[k] = 0.5 * static_cast<double>(k) + 8.5;
  for (std::size_t k = 0; k < act.size(); ++k) act[k] = 0.0625f * static_cast<float>(k);
  for (std::size_t i = 0; i < n; ++i) rew[i] = 1.0 + static_cast<double>(i);
  for (std::size_t k = 0; k < qpos.size(); ++k) qpos[k] = 0.25 * static_cast<double>(k);
  term[1] = 1;
  tout[n - 1] = 1;
  std::map<std::string, RawColumn> m;
  m["observations"] = column(H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {n, 17}, obs);
  m["next_observations"] = column(H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {n, 17}, next);
  m["actions"] = column(H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {n, 6}, act);
  m["rewards"] = column(H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {n}, rew);
  m["terminals"] = column(h5py_bool(), h5py_bool(), {n}, term);
  m["timeouts"] = column(H5T_STD_U8LE, H5T_NATIVE_UCHAR, {n}, tout);
  m["infos/qpos"] = column(H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {n, 9}, qpos);
  m["infos/action_log_probs"] = column(H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {n}, logp);
  m["metadata/policy/fc0/weight"] = column(H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {2, 3}, act);
  return m;
}

void write_raw(const std::string& path, const std::map<std::string, RawColumn>& cols) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  for (const auto& [key, c] : cols) {
    const hid_t s = H5Screate_simple(static_cast<int>(c.dims.size()), c.dims.data(), nullptr);
    const hid_t d = H5Dcreate2(f, key.c_str(), c.ftype, s, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(d, 0) << key;
    EXPECT_GE(H5Dwrite(d, c.mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.bytes.data()), 0) << key;
    H5Dclose(d);
    H5Sclose(s);
  }
  H5Pclose(lcpl);
  H5Fclose(f);
}

// Replaces element k of a double column.
void set_double(RawColumn& c, std::size_t k, double v) {
  std::memcpy(c.bytes.data() + k * sizeof(double), &v, sizeof(double));
}

TEST(Dataset, LoadsD4rlStyleFileUnchanged) {
  TempDir dir;
  const std::string path = dir.file("halfcheetah-medium-v2.hdf5");
  write_raw(path, d4rl_columns(4));
  const Dataset ds = read_dataset(path);
  ASSERT_EQ(ds.data.size(), 4u);
  EXPECT_EQ(ds.data.obs[0], 0.0f);
  EXPECT_EQ(ds.data.obs[17 * 3 + 16], 0.5f * (17 * 3 + 16));
  EXPECT_EQ(ds.data.next_obs[1], 9.0f);
  EXPECT_EQ(ds.data.act[23], 0.0625f * 23);
  EXPECT_EQ(ds.data.rew, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(ds.data.terminal, (std::vector<std::uint8_t>{0, 1, 0, 0}));
  EXPECT_EQ(ds.data.timeout, (std::vector<std::uint8_t>{0, 0, 0, 1}));
  ASSERT_EQ(ds.qpos.size(), 36u);
  EXPECT_EQ(ds.qpos[35], 8.75);
  EXPECT_TRUE(ds.qvel.empty());
  EXPECT_EQ(ds.env_name, "");
}

TEST(Dataset, BadFilesNameKeyAndRow) {
  TempDir dir;
  const std::string path = dir.file("bad.h5");
  const auto expect_bad = [&](const std::function<void(std::map<std::string, RawColumn>&)>& edit,
                              std::initializer_list<std::string> parts) {
    auto cols = d4rl_columns(6);
    edit(cols);
    write_raw(path, cols);
    expect_throw_with<InputError>([&] { read_dataset(path); }, parts);
  };
  expect_bad([](auto& c) { c.erase("rewards"); }, {"bad.h5", "missing key 'rewards'"});
  expect_bad([](auto& c) { c.erase("timeouts"); }, {"bad.h5", "missing key 'timeouts'"});
  expect_bad([](auto& c) { c["rewards"].dims = {6, 1}; }, {"'rewards'", "rank 2", "expected 1"});
  expect_bad([](auto& c) { c["observations"].dims = {6, 1, 17}; }, {"'observations'", "rank 3"});
  expect_bad(
      [](auto& c) {
        c["next_observations"].dims = {17, 6};
      },
      {"'next_observations'", "width 6", "expected 17"});
  expect_bad(
      [](auto& c) {
        c["actions"] = column(H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {6, 5}, std::vector<float>(30));
      },
      {"'actions'", "width 5", "expected 6"});
  expect_bad(
      [](auto& c) {
        c["actions"].dims = {4, 6};
      },
      {"bad.h5", "'actions' has 4 rows", "'observations' has 6"});
  expect_bad([](auto& c) { set_double(c["rewards"], 4, std::nan("")); },
             {"bad.h5: 'rewards' row 4 is NaN"});
  expect_bad([](auto& c) { set_double(c["observations"], 2 * 17 + 5, HUGE_VAL); },
             {"bad.h5: 'observations' row 2 column 5 is Inf"});
  expect_bad([](auto& c) { set_double(c["next_observations"], 17 * 5, -HUGE_VAL); },
             {"'next_observations' row 5 column 0 is -Inf"});
  expect_bad([](auto& c) { set_double(c["observations"], 3 * 17, 1e300); },
             {"'observations' row 3 column 0 is outside the f32 range"});
  expect_bad([](auto& c) { set_double(c["infos/qpos"], 9 * 1 + 2, std::nan("")); },
             {"'infos/qpos' row 1 column 2 is NaN"});
  expect_bad([](auto& c) { c["timeouts"].bytes[3] = 2; }, {"'timeouts' row 3 is 2", "0 or 1"});
  expect_bad([](auto& c) { c["terminals"].bytes[5] = 1, c["terminals"].dims = {5}; },
             {"'terminals' has 5 rows"});
}

TEST(Dataset, NotHdf5MissingAndTruncatedFiles) {
  TempDir dir;
  testing::write_bytes(dir.file("text.h5"), {'n', 'o', 't', '\n'});
  expect_throw_with<InputError>([&] { read_dataset(dir.file("text.h5")); },
                                {"text.h5", "not an HDF5 file"});
  expect_throw_with<InputError>([&] { read_dataset(dir.file("absent.h5")); },
                                {"absent.h5", "no such file"});
  write_dataset(dir.file("full.h5"), make_dataset(200, true), false);
  auto bytes = file_bytes(dir.file("full.h5"));
  bytes.resize(bytes.size() / 2);
  testing::write_bytes(dir.file("cut.h5"), bytes);
  expect_throw_with<InputError>([&] { read_dataset(dir.file("cut.h5")); }, {"cut.h5"});
}

TEST(Dataset, ExistingFileRefusedWithoutForceAndUntouched) {
  TempDir dir;
  const std::string path = dir.file("d.h5");
  write_dataset(path, make_dataset(3, false), false);
  const auto before = file_bytes(path);
  expect_throw_with<InputError>([&] { write_dataset(path, make_dataset(4, true), false); },
                                {path, "--force"});
  EXPECT_EQ(file_bytes(path), before);
  write_dataset(path, make_dataset(4, true), true);
  EXPECT_EQ(read_dataset(path).data.size(), 4u);
}

TEST(Dataset, FailedWriteLeavesNoTempFile) {
  TempDir dir;
  // Renaming over a non-empty directory fails after the temp file is complete.
  const std::string target = dir.file("occupied");
  std::filesystem::create_directory(target);
  testing::write_bytes(target + "/keep", {'x'});
  expect_throw_with<InputError>([&] { write_dataset(target, make_dataset(3, false), true); },
                                {target, "cannot replace"});
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"occupied"});
  // A non-finite value is refused before any file is made.
  Dataset bad = make_dataset(3, false);
  bad.data.rew[1] = std::numeric_limits<float>::quiet_NaN();
  expect_throw_with<NumericalError>([&] { write_dataset(dir.file("n.h5"), bad, false); },
                                    {"'rewards' row 1 is NaN"});
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"occupied"});
}

TEST(Dataset, SummarizeSplitsEpisodesAndScores) {
  Dataset ds = make_dataset(6, false);  // rewards 0, 0.5, 1, 1.5, 2, 2.5
  ds.data.terminal = {0, 1, 0, 0, 0, 0};
  ds.data.timeout = {0, 0, 1, 0, 1, 0};
  const DatasetSummary s = summarize(ds);
  EXPECT_EQ(s.transitions, 6u);
  EXPECT_EQ(s.episodes, 3u);  // returns 0.5, 1.0, 3.5
  EXPECT_EQ(s.partial_episodes, 1u);
  EXPECT_DOUBLE_EQ(s.partial_return, 2.5);
  EXPECT_DOUBLE_EQ(s.return_mean, 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.return_min, 0.5);
  EXPECT_DOUBLE_EQ(s.return_max, 3.5);
  EXPECT_DOUBLE_EQ(s.normalized_score, 100.0 * (5.0 / 3.0 + 280.178953) / 12415.178953);
  EXPECT_DOUBLE_EQ(d4rl_normalized_score(-280.178953), 0.0);
  EXPECT_DOUBLE_EQ(d4rl_normalized_score(12135.0), 100.0);
}

}  // namespace
}  // namespace mfhrl::io
