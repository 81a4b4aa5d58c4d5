#include "h5util.h"

#include <cstdio>
#include <cstring>

#include "mfhrl/core/error.h"
#include "mfhrl/io/h5file.h"

namespace mfhrl::io::h5 {

bool Handle::reset() {
  if (id_ < 0) return true;
  herr_t status = 0;
  switch (H5Iget_type(id_)) {
    case H5I_FILE:
      status = H5Fclose(id_);
      break;
    case H5I_GROUP:
      status = H5Gclose(id_);
      break;
    case H5I_DATASET:
      status = H5Dclose(id_);
      break;
    case H5I_DATASPACE:
      status = H5Sclose(id_);
      break;
    case H5I_DATATYPE:
      status = H5Tclose(id_);
      break;
    case H5I_ATTR:
      status = H5Aclose(id_);
      break;
    case H5I_GENPROP_LST:
      status = H5Pclose(id_);
      break;
    default:
      status = H5Idec_ref(id_) < 0 ? -1 : 0;
      break;
  }
  id_ = -1;
  return status >= 0;
}

Handle file_access(const dist::Comm& comm) {
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"));
  if (is_parallel(comm)) {
    const MPI_Comm mpi = *static_cast<const MPI_Comm*>(comm.native_handle());
    check(H5Pset_fapl_mpio(fapl.get(), mpi, MPI_INFO_NULL), "H5Pset_fapl_mpio");
    // Every rank makes every metadata call anyway, so let HDF5 do them collectively.
    check(H5Pset_all_coll_metadata_ops(fapl.get(), 1), "H5Pset_all_coll_metadata_ops");
    check(H5Pset_coll_metadata_write(fapl.get(), 1), "H5Pset_coll_metadata_write");
  }
  return fapl;
}

Handle transfer(const dist::Comm& comm) {
  Handle dxpl(check(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate"));
  if (is_parallel(comm)) {
    check(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
  }
  return dxpl;
}

void silence_errors() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

hid_t check(hid_t status, const std::string& what) {
  if (status < 0) throw InvariantError("HDF5 call failed: " + what);
  return status;
}

bool exists(hid_t loc, const std::string& path) {
  // H5Lexists fails (rather than returning false) when an intermediate group is missing, so walk.
  std::string prefix;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > start) {
      prefix += (prefix.empty() ? "" : "/") + path.substr(start, end - start);
      if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
      if (H5Oexists_by_name(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

Handle bool_type() {
  Handle t(check(H5Tenum_create(H5T_NATIVE_SCHAR), "H5Tenum_create"));
  const signed char f = 0, t1 = 1;
  check(H5Tenum_insert(t.get(), "FALSE", &f), "H5Tenum_insert FALSE");
  check(H5Tenum_insert(t.get(), "TRUE", &t1), "H5Tenum_insert TRUE");
  return t;
}

Handle vlen_string_type() {
  Handle t(check(H5Tcopy(H5T_C_S1), "H5Tcopy"));
  check(H5Tset_size(t.get(), H5T_VARIABLE), "H5Tset_size");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "H5Tset_cset");
  return t;
}

namespace {

// Creates attribute `name`, deleting an old one (its type or size may differ); returns its id.
hid_t create_attr(hid_t obj, const std::string& name, hid_t type) {
  if (H5Aexists(obj, name.c_str()) > 0) check(H5Adelete(obj, name.c_str()), "H5Adelete " + name);
  Handle space(check(H5Screate(H5S_SCALAR), "H5Screate"));
  return check(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
               "H5Acreate2 " + name);
}

template <typename T>
void write_attr_num(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type, T v) {
  // Counters are rewritten every round: overwrite in place rather than delete and recreate.
  Handle a(H5Aexists(obj, name.c_str()) > 0
               ? check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "H5Aopen " + name)
               : create_attr(obj, name, file_type));
  check(H5Awrite(a.get(), mem_type, &v), "H5Awrite " + name);
}

template <typename T>
T read_attr_num(hid_t obj, const std::string& name, hid_t mem_type) {
  if (H5Aexists(obj, name.c_str()) <= 0) throw InputError("missing attribute '" + name + "'");
  Handle a(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "H5Aopen " + name));
  T v{};
  if (H5Aread(a.get(), mem_type, &v) < 0) {
    throw InputError("attribute '" + name + "' is not a number");
  }
  return v;
}

// Reads one string of type `ftype` through `read(mem_type, buffer)` (attribute or dataset).
template <typename Read>
std::string read_string(hid_t ftype, Read read) {
  if (H5Tget_class(ftype) != H5T_STRING) throw InputError("is not a string");
  if (H5Tis_variable_str(ftype) > 0) {
    Handle mt = vlen_string_type();
    char* p = nullptr;
    if (read(mt.get(), &p) < 0) throw InputError("cannot be read as a string");
    std::string s = p ? p : "";
    H5free_memory(p);  // allocated by the library, so freed by it
    return s;
  }
  const std::size_t n = H5Tget_size(ftype);
  Handle mt(check(H5Tcopy(H5T_C_S1), "H5Tcopy"));
  check(H5Tset_size(mt.get(), n + 1), "H5Tset_size");
  std::vector<char> buf(n + 1, '\0');
  if (read(mt.get(), buf.data()) < 0) throw InputError("cannot be read as a string");
  return std::string(buf.data(), std::strlen(buf.data()));
}

}  // namespace

void write_attr_string(hid_t obj, const std::string& name, const std::string& value) {
  Handle t = vlen_string_type();
  Handle a(create_attr(obj, name, t.get()));
  const char* p = value.c_str();
  check(H5Awrite(a.get(), t.get(), &p), "H5Awrite " + name);
}

void write_attr_i64(hid_t obj, const std::string& name, std::int64_t value) {
  write_attr_num(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, value);
}

void write_attr_u64(hid_t obj, const std::string& name, std::uint64_t value) {
  write_attr_num(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, value);
}

void write_attr_f64(hid_t obj, const std::string& name, double value) {
  write_attr_num(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, value);
}

std::string read_attr_string(hid_t obj, const std::string& name, bool* found) {
  const bool present = H5Aexists(obj, name.c_str()) > 0;
  if (found) *found = present;
  if (!present) {
    if (found) return "";
    throw InputError("missing attribute '" + name + "'");
  }
  Handle a(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "H5Aopen " + name));
  Handle ft(check(H5Aget_type(a.get()), "H5Aget_type"));
  try {
    return read_string(ft.get(), [&](hid_t mt, void* buf) { return H5Aread(a.get(), mt, buf); });
  } catch (const InputError& e) {
    throw InputError("attribute '" + name + "' " + e.what());
  }
}

std::int64_t read_attr_i64(hid_t obj, const std::string& name) {
  return read_attr_num<std::int64_t>(obj, name, H5T_NATIVE_INT64);
}

std::uint64_t read_attr_u64(hid_t obj, const std::string& name) {
  return read_attr_num<std::uint64_t>(obj, name, H5T_NATIVE_UINT64);
}

double read_attr_f64(hid_t obj, const std::string& name) {
  return read_attr_num<double>(obj, name, H5T_NATIVE_DOUBLE);
}

Handle open_dataset(hid_t loc, const std::string& name, const std::string& file_path) {
  const hid_t d = H5Dopen2(loc, name.c_str(), H5P_DEFAULT);
  if (d < 0) throw InputError(file_path + ": cannot open '" + name + "' (damaged file?)");
  return Handle(d);
}

std::vector<hsize_t> dims_of(hid_t dset) {
  Handle space(check(H5Dget_space(dset), "H5Dget_space"));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  check(rank, "H5Sget_simple_extent_ndims");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

void write_string_dataset(hid_t loc, const std::string& name, const std::string& value) {
  Handle t = vlen_string_type();
  Handle space(check(H5Screate(H5S_SCALAR), "H5Screate"));
  Handle d(check(
      H5Dcreate2(loc, name.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      "H5Dcreate2 " + name));
  const char* p = value.c_str();
  check(H5Dwrite(d.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &p), "H5Dwrite " + name);
}

std::string read_string_dataset(hid_t loc, const std::string& name) {
  Handle d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "H5Dopen2 " + name));
  Handle ft(check(H5Dget_type(d.get()), "H5Dget_type"));
  try {
    return read_string(ft.get(), [&](hid_t mt, void* buf) {
      return H5Dread(d.get(), mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    });
  } catch (const InputError& e) {
    throw InputError("dataset '" + name + "' " + e.what());
  }
}

namespace {

// After every rank closed tmp: rank 0 syncs it and renames it over path, now or, given `later`,
// by queueing it there; now, InputError on every rank if that fails (tmp is then removed).
void commit_temp_file(const std::string& tmp, const std::string& path, const dist::Comm& comm,
                      DeferredCommits* later) {
  comm.barrier();  // every rank has closed its handle
  if (later != nullptr) {
    if (comm.rank() == 0) later->add_rename(tmp, path);
    return;
  }
  raise_rank0_error(comm.rank() == 0 ? rename_durably(tmp, path) : "", comm);
}

}  // namespace

void replace_file(const std::string& path, const dist::Comm& comm,
                  const std::function<void(const std::string& tmp)>& write,
                  DeferredCommits* later) {
  const std::string tmp = path + ".tmp";
  try {
    write(tmp);
  } catch (...) {
    comm.barrier();
    if (comm.rank() == 0) std::remove(tmp.c_str());
    throw;
  }
  commit_temp_file(tmp, path, comm, later);
}

}  // namespace mfhrl::io::h5
