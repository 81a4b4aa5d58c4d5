#include "mfhrl/io/dataset.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "h5util.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/regret.h"

namespace mfhrl::io {
namespace {

using h5::check;
using h5::Handle;

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

// Index of the first non-finite value in p[0, n), or kNone.
template <typename T>
std::size_t first_nonfinite(const T* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(p[i])) return i;
  }
  return kNone;
}

// "NaN" / "Inf" / "-Inf" for a non-finite value.
std::string nonfinite_word(double v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "Inf" : "-Inf";
}

// "row r" or "row r column c" for flat index i of a (rows, width) array.
std::string where(std::size_t i, std::size_t width) {
  std::string s = "row " + std::to_string(i / width);
  if (width > 1) s += " column " + std::to_string(i % width);
  return s;
}

// Refuses to write a column with a non-finite value (the reader would refuse the file anyway).
template <typename T>
void check_finite_column(const std::string& key, const std::vector<T>& v, std::size_t width) {
  const std::size_t i = first_nonfinite(v.data(), v.size());
  if (i != kNone) {
    throw NumericalError("write_dataset: '" + key + "' " + where(i, width) + " is " +
                         nonfinite_word(static_cast<double>(v[i])));
  }
}

// Creates dataset key of shape (rows[, width]) with file type ftype and writes data (if rows > 0).
void write_column(hid_t file, const std::string& key, hid_t ftype, hid_t mtype, const void* data,
                  std::size_t rows, std::size_t width) {
  std::vector<hsize_t> dims = {rows};
  if (width > 0) dims.push_back(width);
  Handle space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                     "H5Screate_simple"));
  Handle lcpl(check(H5Pcreate(H5P_LINK_CREATE), "H5Pcreate"));
  check(H5Pset_create_intermediate_group(lcpl.get(), 1), "H5Pset_create_intermediate_group");
  Handle d(
      check(H5Dcreate2(file, key.c_str(), ftype, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
            "H5Dcreate2 " + key));
  if (rows > 0) {
    check(H5Dwrite(d.get(), mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite " + key);
  }
}

// Checks ds is writable as a D4RL file: consistent columns, HalfCheetah widths, finite values.
void validate_for_write(const Dataset& ds) {
  const Transitions& t = ds.data;
  t.check_consistent();
  MFHRL_CHECK(t.obs_dim == kObsDim && t.act_dim == kActDim,
              "write_dataset: dims " << t.obs_dim << "/" << t.act_dim << ", expected 17/6");
  const std::size_t n = t.size();
  MFHRL_CHECK(ds.qpos.empty() || ds.qpos.size() == n * kQposDim, "write_dataset: qpos size");
  MFHRL_CHECK(ds.qvel.empty() || ds.qvel.size() == n * kQvelDim, "write_dataset: qvel size");
  check_finite_column("observations", t.obs, kObsDim);
  check_finite_column("actions", t.act, kActDim);
  check_finite_column("rewards", t.rew, 1);
  check_finite_column("next_observations", t.next_obs, kObsDim);
  check_finite_column("infos/qpos", ds.qpos, kQposDim);
  check_finite_column("infos/qvel", ds.qvel, kQvelDim);
}

// Writes every column and attribute of ds into a new file at path.
void write_file(const std::string& path, const Dataset& ds) {
  Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  if (!file.valid()) throw InputError(path + ": cannot create the file");
  const Transitions& t = ds.data;
  const std::size_t n = t.size();
  write_column(file.get(), "observations", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t.obs.data(), n,
               kObsDim);
  write_column(file.get(), "actions", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t.act.data(), n, kActDim);
  write_column(file.get(), "rewards", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t.rew.data(), n, 0);
  write_column(file.get(), "next_observations", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t.next_obs.data(),
               n, kObsDim);
  Handle b = h5::bool_type();
  // Our flags are 0/1 bytes, which is exactly the enum's int8 storage.
  write_column(file.get(), "terminals", b.get(), b.get(), t.terminal.data(), n, 0);
  write_column(file.get(), "timeouts", b.get(), b.get(), t.timeout.data(), n, 0);
  if (!ds.qpos.empty()) {
    write_column(file.get(), "infos/qpos", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ds.qpos.data(), n,
                 kQposDim);
  }
  if (!ds.qvel.empty()) {
    write_column(file.get(), "infos/qvel", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ds.qvel.data(), n,
                 kQvelDim);
  }
  h5::write_attr_string(file.get(), "env", ds.env_name);
  h5::write_attr_string(file.get(), "level", ds.level_name);
  h5::write_attr_string(file.get(), "behaviour", ds.behaviour);
  h5::write_attr_f64(file.get(), "behaviour_return", ds.behaviour_return);
  h5::write_attr_string(file.get(), "mfhrl_version", MFHRL_VERSION_STRING);
  if (!file.reset()) throw InputError(path + ": writing the file failed on close (disk full?)");
}

// --- reading ------------------------------------------------------------------------------------

// An opened, shape-checked dataset of the file being read.
struct Column {
  std::string key;
  Handle dset;
  std::size_t rows = 0;
  std::size_t width = 1;
};

// Opens key and checks its rank (1 for width 0, else 2) and width.
Column open_column(hid_t file, const std::string& path, const std::string& key, int width) {
  if (!h5::exists(file, key)) throw InputError(path + ": missing key '" + key + "'");
  H5O_info_t info;
  if (H5Oget_info_by_name(file, key.c_str(), &info, H5P_DEFAULT) < 0 ||
      info.type != H5O_TYPE_DATASET) {
    throw InputError(path + ": '" + key + "' is not a dataset");
  }
  Column c;
  c.key = key;
  c.dset = Handle(check(H5Dopen2(file, key.c_str(), H5P_DEFAULT), "H5Dopen2 " + key));
  const std::vector<hsize_t> dims = h5::dims_of(c.dset.get());
  const std::size_t want_rank = width == 0 ? 1 : 2;
  if (dims.size() != want_rank) {
    throw InputError(path + ": '" + key + "' has rank " + std::to_string(dims.size()) +
                     ", expected " + std::to_string(want_rank) +
                     (width == 0 ? " (N,)" : " (N," + std::to_string(width) + ")"));
  }
  if (width > 0 && dims[1] != static_cast<hsize_t>(width)) {
    throw InputError(path + ": '" + key + "' has width " + std::to_string(dims[1]) + ", expected " +
                     std::to_string(width));
  }
  c.rows = dims[0];
  c.width = width == 0 ? 1 : static_cast<std::size_t>(width);
  return c;
}

// Reads a numeric column as doubles and refuses non-finite values.
std::vector<double> read_numbers(const Column& c, const std::string& path) {
  Handle ft(check(H5Dget_type(c.dset.get()), "H5Dget_type"));
  const H5T_class_t cls = H5Tget_class(ft.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    throw InputError(path + ": '" + c.key + "' is not numeric");
  }
  std::vector<double> v(c.rows * c.width);
  if (!v.empty() &&
      H5Dread(c.dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0) {
    throw InputError(path + ": '" + c.key + "' cannot be read (truncated file?)");
  }
  const std::size_t i = first_nonfinite(v.data(), v.size());
  if (i != kNone) {
    throw InputError(path + ": '" + c.key + "' " + where(i, c.width) + " is " +
                     nonfinite_word(v[i]));
  }
  return v;
}

// Reads a float column, refusing values outside the f32 range.
std::vector<float> read_floats(const Column& c, const std::string& path) {
  const std::vector<double> d = read_numbers(c, path);
  std::vector<float> f(d.begin(), d.end());
  const std::size_t i = first_nonfinite(f.data(), f.size());
  if (i != kNone) {
    throw InputError(path + ": '" + c.key + "' " + where(i, c.width) + " is outside the f32 range");
  }
  return f;
}

// Integer value of element i of an enum buffer whose base type has `size` bytes.
long long enum_value(const std::vector<unsigned char>& buf, std::size_t i, std::size_t size,
                     bool is_signed) {
  const unsigned char* p = buf.data() + i * size;
  switch (size) {
    case 1:
      return is_signed ? static_cast<signed char>(*p) : *p;
    case 2: {
      std::int16_t s;
      std::uint16_t u;
      std::memcpy(&s, p, 2);
      std::memcpy(&u, p, 2);
      return is_signed ? s : u;
    }
    case 4: {
      std::int32_t s;
      std::uint32_t u;
      std::memcpy(&s, p, 4);
      std::memcpy(&u, p, 4);
      return is_signed ? s : static_cast<long long>(u);
    }
    default: {
      std::int64_t s;
      std::memcpy(&s, p, 8);
      return s;
    }
  }
}

// Reads a 0/1 flag column stored as h5py bool enum, an integer or a float type.
std::vector<std::uint8_t> read_flags(const Column& c, const std::string& path) {
  Handle ft(check(H5Dget_type(c.dset.get()), "H5Dget_type"));
  std::vector<double> values;
  if (H5Tget_class(ft.get()) == H5T_ENUM) {
    // HDF5 does not convert enums to integers, so read the raw native enum and decode its base.
    Handle mt(check(H5Tget_native_type(ft.get(), H5T_DIR_ASCEND), "H5Tget_native_type"));
    Handle base(check(H5Tget_super(mt.get()), "H5Tget_super"));
    const std::size_t size = H5Tget_size(mt.get());
    const bool is_signed = H5Tget_sign(base.get()) == H5T_SGN_2;
    std::vector<unsigned char> buf(c.rows * size);
    if (!buf.empty() &&
        H5Dread(c.dset.get(), mt.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0) {
      throw InputError(path + ": '" + c.key + "' cannot be read (truncated file?)");
    }
    values.resize(c.rows);
    for (std::size_t i = 0; i < c.rows; ++i) {
      values[i] = static_cast<double>(enum_value(buf, i, size, is_signed));
    }
  } else {
    values = read_numbers(c, path);
  }
  std::vector<std::uint8_t> flags(c.rows);
  for (std::size_t i = 0; i < c.rows; ++i) {
    if (values[i] != 0.0 && values[i] != 1.0) {
      throw InputError(path + ": '" + c.key + "' row " + std::to_string(i) + " is " +
                       std::to_string(values[i]) + ", expected 0 or 1");
    }
    flags[i] = values[i] == 1.0 ? 1 : 0;
  }
  return flags;
}

// Refuses a column whose length differs from the observations'.
void check_rows(const Column& c, const Column& ref, const std::string& path) {
  if (c.rows != ref.rows) {
    throw InputError(path + ": '" + c.key + "' has " + std::to_string(c.rows) + " rows but '" +
                     ref.key + "' has " + std::to_string(ref.rows));
  }
}

}  // namespace

void write_dataset(const std::string& path, const Dataset& ds, bool force) {
  h5::silence_errors();
  validate_for_write(ds);
  if (std::filesystem::exists(path) && !force) {
    throw InputError(path + ": file exists; pass --force to overwrite it");
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    write_file(tmp, ds);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw InputError(path + ": cannot replace it (" + std::strerror(errno) + ")");
    }
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

Dataset read_dataset(const std::string& path) {
  h5::silence_errors();
  if (!std::filesystem::is_regular_file(path)) throw InputError(path + ": no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InputError(path + ": not an HDF5 file");
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file.valid()) throw InputError(path + ": cannot open as HDF5 (truncated or damaged file?)");
  const hid_t f = file.get();

  // Shapes of every key first (cheap), then values, so every check runs before anything returns.
  Column obs = open_column(f, path, "observations", kObsDim);
  Column act = open_column(f, path, "actions", kActDim);
  Column rew = open_column(f, path, "rewards", 0);
  Column next = open_column(f, path, "next_observations", kObsDim);
  Column term = open_column(f, path, "terminals", 0);
  Column tout = open_column(f, path, "timeouts", 0);
  for (const Column* c : {&act, &rew, &next, &term, &tout}) check_rows(*c, obs, path);
  const bool has_qpos = h5::exists(f, "infos/qpos");
  const bool has_qvel = h5::exists(f, "infos/qvel");
  Column qpos, qvel;
  if (has_qpos) qpos = open_column(f, path, "infos/qpos", kQposDim);
  if (has_qvel) qvel = open_column(f, path, "infos/qvel", kQvelDim);
  if (has_qpos) check_rows(qpos, obs, path);
  if (has_qvel) check_rows(qvel, obs, path);

  Dataset ds;
  ds.data.obs = read_floats(obs, path);
  ds.data.act = read_floats(act, path);
  ds.data.rew = read_floats(rew, path);
  ds.data.next_obs = read_floats(next, path);
  ds.data.terminal = read_flags(term, path);
  ds.data.timeout = read_flags(tout, path);
  if (has_qpos) ds.qpos = read_numbers(qpos, path);
  if (has_qvel) ds.qvel = read_numbers(qvel, path);
  try {
    bool found = false;  // D4RL files carry no env/level attributes: read them as ""
    ds.env_name = h5::read_attr_string(f, "env", &found);
    ds.level_name = h5::read_attr_string(f, "level", &found);
    ds.behaviour = h5::read_attr_string(f, "behaviour", &found);
    ds.behaviour_return = H5Aexists(f, "behaviour_return") > 0
                              ? h5::read_attr_f64(f, "behaviour_return")
                              : std::numeric_limits<double>::quiet_NaN();
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
  return ds;
}

DatasetSummary summarize(const Dataset& ds) {
  DatasetSummary s;
  const Transitions& t = ds.data;
  s.transitions = t.size();
  double sum_returns = 0.0, ret = 0.0;
  bool open = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    ret += t.rew[i];
    open = true;
    if (t.terminal[i] || t.timeout[i]) {
      s.return_min = s.episodes == 0 ? ret : std::min(s.return_min, ret);
      s.return_max = s.episodes == 0 ? ret : std::max(s.return_max, ret);
      sum_returns += ret;
      ++s.episodes;
      ret = 0.0;
      open = false;
    }
  }
  if (open) {
    s.partial_episodes = 1;
    s.partial_return = ret;
  }
  if (s.episodes > 0) s.return_mean = sum_returns / static_cast<double>(s.episodes);
  s.normalized_score = d4rl_normalized_score(s.return_mean);
  return s;
}

}  // namespace mfhrl::io
