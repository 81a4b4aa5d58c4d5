#include "mfhrl/io/h5file.h"

#include <exception>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <type_traits>

#include "h5util.h"
#include "mfhrl/core/error.h"

namespace mfhrl::io {
namespace {

static_assert(std::is_same_v<hid_t, std::int64_t>, "H5File stores hid_t as int64");

using h5::check;
using h5::Handle;

// File and memory HDF5 types of a blob dtype.
hid_t file_type(DType d) {
  return d == DType::kF32   ? H5T_IEEE_F32LE
         : d == DType::kF64 ? H5T_IEEE_F64LE
         : d == DType::kU8  ? H5T_STD_U8LE
                            : H5T_STD_I64LE;
}
hid_t mem_type(DType d) {
  return d == DType::kF32   ? H5T_NATIVE_FLOAT
         : d == DType::kF64 ? H5T_NATIVE_DOUBLE
         : d == DType::kU8  ? H5T_NATIVE_UINT8
                            : H5T_NATIVE_INT64;
}

// --- blob metadata as bytes, for the broadcast from the owner rank -------------------------------

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t get_u64(const std::vector<std::uint8_t>& in, std::size_t& pos) {
  MFHRL_CHECK(pos + 8 <= in.size(), "blob metadata truncated");
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(in[pos + i]) << (8 * i);
  pos += 8;
  return v;
}

std::vector<std::uint8_t> encode_meta(const TensorBlobs& blobs) {
  std::vector<std::uint8_t> out;
  put_u64(out, blobs.size());
  for (const auto& b : blobs) {
    put_u64(out, b.name.size());
    out.insert(out.end(), b.name.begin(), b.name.end());
    put_u64(out, static_cast<std::uint64_t>(b.dtype));
    put_u64(out, b.shape.size());
    for (auto s : b.shape) put_u64(out, static_cast<std::uint64_t>(s));
  }
  return out;
}

TensorBlobs decode_meta(const std::vector<std::uint8_t>& in) {
  std::size_t pos = 0;
  TensorBlobs blobs(get_u64(in, pos));
  for (auto& b : blobs) {
    const std::size_t n = get_u64(in, pos);
    MFHRL_CHECK(pos + n <= in.size(), "blob metadata truncated");
    b.name.assign(in.begin() + static_cast<std::ptrdiff_t>(pos),
                  in.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    b.dtype = static_cast<DType>(get_u64(in, pos));
    b.shape.resize(get_u64(in, pos));
    for (auto& s : b.shape) s = static_cast<std::int64_t>(get_u64(in, pos));
  }
  return blobs;
}

// Collects every dataset below a group (H5Lvisit visits links recursively).
struct VisitState {
  std::vector<std::string> names;
};

herr_t collect_dataset(hid_t group, const char* name, const H5L_info_t*, void* op) {
  H5O_info_t info;
  if (H5Oget_info_by_name(group, name, &info, H5P_DEFAULT) < 0) return -1;
  if (info.type == H5O_TYPE_DATASET) static_cast<VisitState*>(op)->names.emplace_back(name);
  return 0;
}

// The blob dtype of a dataset's file type, or InputError.
DType dtype_of(hid_t ftype, const std::string& what) {
  const H5T_class_t cls = H5Tget_class(ftype);
  const std::size_t size = H5Tget_size(ftype);
  if (cls == H5T_FLOAT && size == 4) return DType::kF32;
  if (cls == H5T_FLOAT && size == 8) return DType::kF64;
  if (cls == H5T_INTEGER && size == 8 && H5Tget_sign(ftype) == H5T_SGN_2) return DType::kI64;
  if (cls == H5T_INTEGER && size == 1 && H5Tget_sign(ftype) == H5T_SGN_NONE) return DType::kU8;
  throw InputError(what + " is not f32, f64, i64 or u8");
}

}  // namespace

H5File::H5File(std::string path, const dist::Comm& comm, std::int64_t id)
    : path_(std::move(path)), comm_(&comm), id_(id) {}

H5File::H5File(H5File&& o) noexcept : path_(std::move(o.path_)), comm_(o.comm_), id_(o.id_) {
  o.id_ = -1;
}

H5File& H5File::operator=(H5File&& o) noexcept {
  if (this != &o) {
    if (id_ >= 0) H5Fclose(id_);
    path_ = std::move(o.path_);
    comm_ = o.comm_;
    id_ = o.id_;
    o.id_ = -1;
  }
  return *this;
}

H5File::~H5File() {
  // Closing a parallel file is collective: while an exception unwinds on one rank the others are
  // elsewhere, so closing would hang the job instead of letting the error handler abort it.
  const bool unwinding_in_parallel = std::uncaught_exceptions() > 0 && comm_ && comm_->size() > 1;
  if (id_ >= 0 && !unwinding_in_parallel) H5Fclose(id_);
}

H5File H5File::create(const std::string& path, const dist::Comm& comm) {
  h5::silence_errors();
  Handle fapl = h5::file_access(comm);
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (id < 0) throw InputError(path + ": cannot create the file (does its directory exist?)");
  return H5File(path, comm, id);
}

H5File H5File::open(const std::string& path, const dist::Comm& comm, bool writable) {
  h5::silence_errors();
  if (!std::filesystem::is_regular_file(path)) throw InputError(path + ": no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InputError(path + ": not an HDF5 file");
  Handle fapl = h5::file_access(comm);
  const hid_t id = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.get());
  if (id < 0) {
    throw InputError(path + ": cannot open as HDF5 (truncated or damaged file, or not writable?)");
  }
  return H5File(path, comm, id);
}

void H5File::close() {
  if (id_ < 0) return;
  const herr_t status = H5Fclose(id_);
  id_ = -1;
  if (status < 0) throw InputError(path_ + ": writing the file failed on close (disk full?)");
}

void H5File::flush() {
  check(H5Fflush(id_, H5F_SCOPE_GLOBAL), "H5Fflush " + path_);
}

bool H5File::has(const std::string& object_path) const {
  return h5::exists(id_, object_path);
}

void H5File::write_blobs(const std::string& group, const TensorBlobs& blobs) {
  create_blob_datasets(group, blobs, 0);
}

void H5File::write_blobs_owned(const std::string& group, const TensorBlobs& blobs, int owner_rank) {
  MFHRL_CHECK(owner_rank >= 0 && owner_rank < comm_->size(), "owner rank " << owner_rank);
  if (comm_->size() == 1) {
    create_blob_datasets(group, blobs, 0);
    return;
  }
  std::vector<std::uint8_t> meta;
  if (comm_->rank() == owner_rank) meta = encode_meta(blobs);
  comm_->broadcast(meta, owner_rank);
  if (comm_->rank() == owner_rank) {
    create_blob_datasets(group, blobs, owner_rank);
  } else {
    create_blob_datasets(group, decode_meta(meta), owner_rank);
  }
}

void H5File::create_blob_datasets(const std::string& group, const TensorBlobs& blobs, int writer) {
  const bool writing = comm_->rank() == writer;
  Handle lcpl(check(H5Pcreate(H5P_LINK_CREATE), "H5Pcreate"));
  check(H5Pset_create_intermediate_group(lcpl.get(), 1), "H5Pset_create_intermediate_group");
  if (!has(group)) {
    Handle g(check(H5Gcreate2(id_, group.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                   "H5Gcreate2 " + group));
  }
  // Only the writer writes, with the default (independent) transfer: a collective transfer per
  // dataset would make every rank take part in every small write (the creations above stay
  // collective, as HDF5 requires).
  for (const auto& b : blobs) {
    const std::string full = group + "/" + b.name;
    MFHRL_CHECK(
        !writing || b.bytes.size() == static_cast<std::size_t>(b.numel()) * dtype_size(b.dtype),
        "blob " << full << ": " << b.bytes.size() << " bytes for " << b.numel() << " elements");
    std::vector<hsize_t> dims(b.shape.begin(), b.shape.end());
    Handle space(b.shape.empty()
                     ? check(H5Screate(H5S_SCALAR), "H5Screate")
                     : check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                             "H5Screate_simple"));
    Handle d(check(H5Dcreate2(id_, full.c_str(), file_type(b.dtype), space.get(), lcpl.get(),
                              H5P_DEFAULT, H5P_DEFAULT),
                   "H5Dcreate2 " + full + " in " + path_));
    if (b.numel() == 0 || !writing) continue;
    check(H5Dwrite(d.get(), mem_type(b.dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, b.bytes.data()),
          "H5Dwrite " + full);
  }
}

TensorBlob H5File::read_dataset_blob(std::int64_t loc, const std::string& name,
                                     const std::string& group) const {
  const std::string what = path_ + ": '" + (group.empty() ? name : group + "/" + name) + "'";
  Handle d = h5::open_dataset(loc, name, path_);
  Handle ft(check(H5Dget_type(d.get()), "H5Dget_type"));
  TensorBlob b;
  b.name = name;
  b.dtype = dtype_of(ft.get(), what);
  for (hsize_t s : h5::dims_of(d.get())) b.shape.push_back(static_cast<std::int64_t>(s));
  b.bytes.resize(static_cast<std::size_t>(b.numel()) * dtype_size(b.dtype));
  if (!b.bytes.empty() &&
      H5Dread(d.get(), mem_type(b.dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, b.bytes.data()) < 0) {
    throw InputError(what + " cannot be read (truncated file?)");
  }
  return b;
}

TensorBlob H5File::read_blob(const std::string& dataset) const {
  if (!has(dataset)) throw InputError(path_ + ": missing '" + dataset + "'");
  return read_dataset_blob(id_, dataset, "");
}

TensorBlobs H5File::read_blobs(const std::string& group) const {
  if (!has(group)) throw InputError(path_ + ": missing group '" + group + "'");
  Handle g(check(H5Gopen2(id_, group.c_str(), H5P_DEFAULT), "H5Gopen2 " + group));
  VisitState state;
  if (H5Lvisit(g.get(), H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &state) < 0) {
    throw InputError(path_ + ": cannot list group '" + group + "' (damaged file?)");
  }
  std::sort(state.names.begin(), state.names.end());
  TensorBlobs blobs;
  for (const auto& name : state.names) blobs.push_back(read_dataset_blob(g.get(), name, group));
  return blobs;
}

void write_file_atomically(const std::string& path, const dist::Comm& comm,
                           const std::function<void(H5File&)>& fill, DeferredCommits* later) {
  h5::replace_file(
      path, comm,
      [&](const std::string& tmp) {
        H5File f = H5File::create(tmp, comm);
        fill(f);
        f.close();
      },
      later);
}

}  // namespace mfhrl::io
