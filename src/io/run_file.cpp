#include "mfhrl/io/run_file.h"

#include <cstdio>
#include <filesystem>

#include "h5util.h"
#include "mfhrl/core/error.h"

namespace mfhrl::io {
namespace {

using h5::check;
using h5::Handle;

constexpr hsize_t kChunkRows = 256;  // a few KB per chunk per column: cheap appends, small files

struct F64Column {
  const char* name;
  double TraceRow::*field;
};
struct I32Column {
  const char* name;
  int TraceRow::*field;
};
enum class Width { kLevels, kPolicies };
struct VecColumn {
  const char* name;
  std::vector<double> TraceRow::*field;
  Width width;
};

const F64Column kF64Columns[] = {
    {"cost", &TraceRow::cost},
    {"budget_spent", &TraceRow::budget_spent},
    {"threshold", &TraceRow::threshold},
    {"eval_return_mean", &TraceRow::eval_return_mean},
    {"eval_return_std", &TraceRow::eval_return_std},
    {"normalized_score", &TraceRow::normalized_score},
    {"regret", &TraceRow::regret},
    {"cumulative_regret", &TraceRow::cumulative_regret},
    {"cost_weighted_regret", &TraceRow::cost_weighted_regret},
    {"wall_seconds", &TraceRow::wall_seconds},
};
const I32Column kI32Columns[] = {
    {"level", &TraceRow::level},
    {"deployed_policy", &TraceRow::deployed_policy},
    {"rollout_policy", &TraceRow::rollout_policy},
};
const VecColumn kVecColumns[] = {
    {"information_gain", &TraceRow::information_gain, Width::kLevels},
    {"ig_per_cost", &TraceRow::ig_per_cost, Width::kLevels},
    {"posterior", &TraceRow::posterior, Width::kPolicies},
    {"policy_losses", &TraceRow::policy_losses, Width::kPolicies},
    {"policy_returns", &TraceRow::policy_returns, Width::kPolicies},
};

hsize_t width_of(const VecColumn& c, const RunFileMeta& m) {
  return static_cast<hsize_t>(c.width == Width::kLevels ? m.levels : m.policies);
}

std::string column_path(const char* name) {
  return std::string("trace/") + name;
}

// Creates an empty extendible column of `width` values per row (0: a 1-D column).
void create_column(hid_t file, const char* name, hid_t ftype, hsize_t width) {
  const int rank = width == 0 ? 1 : 2;
  const hsize_t dims[2] = {0, width};
  const hsize_t maxdims[2] = {H5S_UNLIMITED, width};
  const hsize_t chunk[2] = {kChunkRows, width};
  Handle space(check(H5Screate_simple(rank, dims, maxdims), "H5Screate_simple"));
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"));
  check(H5Pset_chunk(dcpl.get(), rank, chunk), "H5Pset_chunk");
  Handle d(check(H5Dcreate2(file, column_path(name).c_str(), ftype, space.get(), H5P_DEFAULT,
                            dcpl.get(), H5P_DEFAULT),
                 std::string("H5Dcreate2 trace/") + name));
}

// Writes the whole new run file (rank 0 alone, default driver) at path.
void write_new_run_file(const std::string& path, const RunFileMeta& m) {
  const dist::SerialComm serial;
  H5File f = H5File::create(path, serial);
  const hid_t id = f.id();
  h5::write_attr_string(id, "mfhrl_version", MFHRL_VERSION_STRING);
  h5::write_attr_i64(id, "finished", 0);
  h5::write_attr_i64(id, "rounds_completed", 0);
  h5::write_string_dataset(id, "config", m.config_yaml);
  Handle cfg(check(H5Dopen2(id, "config", H5P_DEFAULT), "H5Dopen2 config"));
  h5::write_attr_u64(cfg.get(), "seed", m.seed);
  h5::write_attr_string(cfg.get(), "strategy", m.strategy);
  h5::write_attr_i64(cfg.get(), "levels", m.levels);
  h5::write_attr_i64(cfg.get(), "policies", m.policies);
  h5::write_attr_f64(cfg.get(), "budget_total", m.budget_total);
  h5::write_attr_string(cfg.get(), "config_hash", m.config_hash);
  cfg.reset();
  Handle g(check(H5Gcreate2(id, "trace", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "H5Gcreate2"));
  create_column(id, "round", H5T_STD_I64LE, 0);
  for (const auto& c : kI32Columns) create_column(id, c.name, H5T_STD_I32LE, 0);
  for (const auto& c : kF64Columns) create_column(id, c.name, H5T_IEEE_F64LE, 0);
  for (const auto& c : kVecColumns) create_column(id, c.name, H5T_IEEE_F64LE, width_of(c, m));
  g.reset();
  f.close();
}

// Rank 0 runs f; any InputError/InvariantError it throws is rethrown as InputError on every rank.
template <typename F>
void on_rank0_collective(const dist::Comm& comm, F f) {
  std::vector<std::uint8_t> msg;
  if (comm.rank() == 0) {
    try {
      f();
    } catch (const std::exception& e) {
      const std::string what = e.what();
      msg.assign(what.begin(), what.end());
      if (msg.empty()) msg.push_back('?');
    }
  }
  comm.broadcast(msg, 0);
  if (!msg.empty()) throw InputError(std::string(msg.begin(), msg.end()));
}

// Writes rows [row, row + n) of a column (or no selection on ranks other than 0).
void write_rows(hid_t dset, hid_t mtype, const void* data, hsize_t row, hsize_t n, hsize_t width,
                bool selecting, hid_t dxpl) {
  Handle fspace(check(H5Dget_space(dset), "H5Dget_space"));
  const hsize_t start[2] = {row, 0};
  const hsize_t count[2] = {n, width};
  const hsize_t total = n * (width == 0 ? 1 : width);
  Handle mspace(check(H5Screate_simple(1, &total, nullptr), "H5Screate_simple"));
  if (selecting) {
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
          "H5Sselect_hyperslab");
  } else {
    check(H5Sselect_none(fspace.get()), "H5Sselect_none");
    check(H5Sselect_none(mspace.get()), "H5Sselect_none");
  }
  check(H5Dwrite(dset, mtype, mspace.get(), fspace.get(), dxpl, data), "H5Dwrite trace rows");
}

}  // namespace

RunFile RunFile::create(const std::string& path, const dist::Comm& comm, const RunFileMeta& meta,
                        bool force) {
  on_rank0_collective(comm, [&] {
    if (std::filesystem::exists(path) && !force) {
      throw InputError(path + ": file exists; pass --force to overwrite it");
    }
  });
  rewrite(path, comm, meta, {}, false, nullptr);
  return open_existing(path, comm, true);
}

RunFile RunFile::open_rw(const std::string& path, const dist::Comm& comm) {
  return open_existing(path, comm, true);
}

RunFile RunFile::open_read(const std::string& path, const dist::Comm& comm) {
  return open_existing(path, comm, false);
}

RunFile RunFile::open_existing(const std::string& path, const dist::Comm& comm, bool writable) {
  H5File f = H5File::open(path, comm, writable);
  const hid_t id = f.id();
  for (const char* what : {"config", "trace", "trace/round"}) {
    if (!f.has(what)) {
      throw InputError(path + ": missing '/" + std::string(what) + "' (not an mfhrl run file?)");
    }
  }
  RunFileMeta m;
  std::int64_t rounds = 0;
  try {
    m.config_yaml = h5::read_string_dataset(id, "config");
    Handle cfg = h5::open_dataset(id, "config", path);
    m.seed = h5::read_attr_u64(cfg.get(), "seed");
    m.strategy = h5::read_attr_string(cfg.get(), "strategy");
    m.levels = static_cast<int>(h5::read_attr_i64(cfg.get(), "levels"));
    m.policies = static_cast<int>(h5::read_attr_i64(cfg.get(), "policies"));
    m.budget_total = h5::read_attr_f64(cfg.get(), "budget_total");
    m.config_hash = h5::read_attr_string(cfg.get(), "config_hash");
    rounds = h5::read_attr_i64(id, "rounds_completed");
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
  // rounds_completed is written after a row's data, so it counts complete rows only.
  const auto check_column = [&](const char* name, hsize_t width) {
    const std::string key = column_path(name);
    if (!f.has(key)) throw InputError(path + ": missing '/" + key + "'");
    Handle d = h5::open_dataset(id, key, path);
    const std::vector<hsize_t> dims = h5::dims_of(d.get());
    const bool shape_ok = dims.size() == (width == 0 ? 1u : 2u) && (width == 0 || dims[1] == width);
    if (!shape_ok || dims[0] < static_cast<hsize_t>(rounds)) {
      throw InputError(path + ": '/" + key + "' has the wrong shape for " + std::to_string(rounds) +
                       " rounds");
    }
  };
  check_column("round", 0);
  for (const auto& c : kI32Columns) check_column(c.name, 0);
  for (const auto& c : kF64Columns) check_column(c.name, 0);
  for (const auto& c : kVecColumns) check_column(c.name, width_of(c, m));
  RunFile rf(std::move(f), std::move(m), rounds);
  if (writable) rf.resize_trace(rounds);  // drops a row whose append did not complete
  return rf;
}

void RunFile::resize_trace(std::int64_t rounds) {
  const hid_t id = file_.id();
  const hsize_t r = static_cast<hsize_t>(rounds);
  const auto extend = [&](const char* name, hsize_t width) {
    Handle d(check(H5Dopen2(id, column_path(name).c_str(), H5P_DEFAULT), "H5Dopen2"));
    const hsize_t dims[2] = {r, width};
    check(H5Dset_extent(d.get(), dims), std::string("H5Dset_extent trace/") + name);
  };
  extend("round", 0);
  for (const auto& c : kI32Columns) extend(c.name, 0);
  for (const auto& c : kF64Columns) extend(c.name, 0);
  for (const auto& c : kVecColumns) extend(c.name, width_of(c, meta_));
}

void RunFile::append(const TraceRow& row) {
  append_rows({row});
  file_.flush();
}

void RunFile::append_rows(const std::vector<TraceRow>& rows) {
  if (rows.empty()) return;
  const std::size_t n = rows.size();
  for (std::size_t i = 0; i < n; ++i) {
    const TraceRow& row = rows[i];
    MFHRL_CHECK(row.round == rounds_ + 1 + static_cast<std::int64_t>(i),
                "trace row for round " << row.round << " after " << rounds_ + i << " rounds");
    for (const auto& c : kVecColumns) {
      MFHRL_CHECK((row.*c.field).size() == width_of(c, meta_),
                  "trace column " << c.name << " has " << (row.*c.field).size()
                                  << " values, expected " << width_of(c, meta_));
    }
  }
  const hid_t id = file_.id();
  const hsize_t first = static_cast<hsize_t>(rounds_);
  resize_trace(rounds_ + static_cast<std::int64_t>(n));
  Handle dxpl = h5::transfer(file_.comm());
  const bool selecting = file_.comm().rank() == 0;
  const auto put = [&](const char* name, hid_t mtype, const void* data, hsize_t width) {
    Handle d(check(H5Dopen2(id, column_path(name).c_str(), H5P_DEFAULT), "H5Dopen2"));
    write_rows(d.get(), mtype, data, first, n, width, selecting, dxpl.get());
  };
  // Column by column, so each column's n rows go out in one write.
  std::vector<std::int64_t> i64(n);
  for (std::size_t i = 0; i < n; ++i) i64[i] = rows[i].round;
  put("round", H5T_NATIVE_INT64, i64.data(), 0);
  std::vector<int> i32(n);
  for (const auto& c : kI32Columns) {
    for (std::size_t i = 0; i < n; ++i) i32[i] = rows[i].*c.field;
    put(c.name, H5T_NATIVE_INT, i32.data(), 0);
  }
  std::vector<double> f64(n);
  for (const auto& c : kF64Columns) {
    for (std::size_t i = 0; i < n; ++i) f64[i] = rows[i].*c.field;
    put(c.name, H5T_NATIVE_DOUBLE, f64.data(), 0);
  }
  for (const auto& c : kVecColumns) {
    std::vector<double> v;
    v.reserve(n * width_of(c, meta_));
    for (const auto& r : rows) v.insert(v.end(), (r.*c.field).begin(), (r.*c.field).end());
    put(c.name, H5T_NATIVE_DOUBLE, v.data(), width_of(c, meta_));
  }
  rounds_ += static_cast<std::int64_t>(n);
  h5::write_attr_i64(id, "rounds_completed", rounds_);
}

void RunFile::rewrite(const std::string& path, const dist::Comm& comm, const RunFileMeta& meta,
                      const std::vector<TraceRow>& rows, bool finished,
                      const std::function<void(H5File&)>& fill, DeferredCommits* later) {
  h5::silence_errors();
  MFHRL_CHECK(meta.levels >= 1 && meta.policies >= 1,
              "run file needs K >= 1 and L >= 1, got " << meta.levels << ", " << meta.policies);
  h5::replace_file(
      path, comm,
      [&](const std::string& tmp) {
        on_rank0_collective(comm, [&] { write_new_run_file(tmp, meta); });
        RunFile rf = open_existing(tmp, comm, true);
        rf.append_rows(rows);
        if (fill) fill(rf.file());
        h5::write_attr_i64(rf.file().id(), "finished", finished ? 1 : 0);
        rf.close();
      },
      later);
}

std::vector<TraceRow> RunFile::read_trace() const {
  const hid_t id = file_.id();
  const std::size_t n = static_cast<std::size_t>(rounds_);
  std::vector<TraceRow> rows(n);
  // Columns may hold a trailing incomplete row (read-only open), so read only the first n rows.
  const auto read = [&](const char* name, hid_t mtype, void* out, std::size_t width) {
    if (n == 0) return;
    Handle d = h5::open_dataset(id, column_path(name), file_.path());
    Handle fspace(check(H5Dget_space(d.get()), "H5Dget_space"));
    const hsize_t start[2] = {0, 0};
    const hsize_t count[2] = {n, width};
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
          "H5Sselect_hyperslab");
    const hsize_t total = n * (width == 0 ? 1 : width);
    Handle mspace(check(H5Screate_simple(1, &total, nullptr), "H5Screate_simple"));
    if (H5Dread(d.get(), mtype, mspace.get(), fspace.get(), H5P_DEFAULT, out) < 0) {
      throw InputError(file_.path() + ": '/trace/" + name + "' cannot be read (truncated?)");
    }
  };
  std::vector<std::int64_t> i64(n);
  read("round", H5T_NATIVE_INT64, i64.data(), 0);
  for (std::size_t r = 0; r < n; ++r) rows[r].round = i64[r];
  std::vector<int> i32(n);
  for (const auto& c : kI32Columns) {
    read(c.name, H5T_NATIVE_INT, i32.data(), 0);
    for (std::size_t r = 0; r < n; ++r) rows[r].*c.field = i32[r];
  }
  std::vector<double> f64(n);
  for (const auto& c : kF64Columns) {
    read(c.name, H5T_NATIVE_DOUBLE, f64.data(), 0);
    for (std::size_t r = 0; r < n; ++r) rows[r].*c.field = f64[r];
  }
  for (const auto& c : kVecColumns) {
    const std::size_t w = width_of(c, meta_);
    std::vector<double> v(n * w);
    read(c.name, H5T_NATIVE_DOUBLE, v.data(), w);
    for (std::size_t r = 0; r < n; ++r) {
      (rows[r].*c.field)
          .assign(v.begin() + static_cast<std::ptrdiff_t>(r * w),
                  v.begin() + static_cast<std::ptrdiff_t>((r + 1) * w));
    }
  }
  return rows;
}

void RunFile::set_finished(bool finished) {
  h5::write_attr_i64(file_.id(), "finished", finished ? 1 : 0);
  file_.flush();
}

bool RunFile::finished() const {
  return h5::read_attr_i64(file_.id(), "finished") != 0;
}

}  // namespace mfhrl::io
