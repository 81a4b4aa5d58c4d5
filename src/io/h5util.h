// Internal HDF5 helpers for the io module (the only place hdf5.h is included): owning handles,
// typed attribute and dataset access, and the h5py conventions (bool enum, UTF-8 strings).
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mfhrl/dist/comm.h"
#include "mfhrl/io/commit.h"

namespace mfhrl::io::h5 {

// Owns one HDF5 identifier and closes it with the matching H5*close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now; returns false when HDF5 reports an error (a failed file close loses data).
  bool reset();

 private:
  hid_t id_ = -1;
};

// File access properties for comm: default driver for SerialComm, MPI-IO with collective metadata
// for an MPI comm.
Handle file_access(const dist::Comm& comm);
// Data transfer properties for comm: collective MPI-IO under MPI, the default otherwise.
Handle transfer(const dist::Comm& comm);
// True when comm carries an MPI communicator (files use the MPI-IO driver).
inline bool is_parallel(const dist::Comm& comm) {
  return comm.native_handle() != nullptr;
}

// Turns off HDF5's automatic error-stack printing; every failure is reported by our exceptions.
void silence_errors();

// Throws InvariantError naming `what` when an HDF5 call returned a negative status.
hid_t check(hid_t status, const std::string& what);

// True when every component of the slash-separated `path` exists under loc.
bool exists(hid_t loc, const std::string& path);

// The h5py representation of numpy bool: an enum over int8 with FALSE=0, TRUE=1.
Handle bool_type();
// A variable-length UTF-8 string type (what h5py writes for str).
Handle vlen_string_type();

// Attribute writers (create or overwrite) on an object.
void write_attr_string(hid_t obj, const std::string& name, const std::string& value);
void write_attr_i64(hid_t obj, const std::string& name, std::int64_t value);
void write_attr_u64(hid_t obj, const std::string& name, std::uint64_t value);
void write_attr_f64(hid_t obj, const std::string& name, double value);

// Attribute readers; `found` (if given) is set to whether the attribute exists (else throws).
std::string read_attr_string(hid_t obj, const std::string& name, bool* found = nullptr);
std::int64_t read_attr_i64(hid_t obj, const std::string& name);
std::uint64_t read_attr_u64(hid_t obj, const std::string& name);
double read_attr_f64(hid_t obj, const std::string& name);

// Opens dataset name under loc; InputError naming file_path and name if it cannot (damaged file).
Handle open_dataset(hid_t loc, const std::string& name, const std::string& file_path);

// Dimensions of a dataset's current extent.
std::vector<hsize_t> dims_of(hid_t dset);

// Writes an in-memory scalar variable-length string dataset at `name`.
void write_string_dataset(hid_t loc, const std::string& name, const std::string& value);
// Reads a scalar string dataset (variable or fixed length).
std::string read_string_dataset(hid_t loc, const std::string& name);

// Collective over comm: write(tmp) writes the new file at tmp = path + ".tmp" and closes it; then
// rank 0 syncs it to disk and renames it over path (rename_durably). If write throws (alike on
// every rank) or the sync or rename fails, tmp is removed, path is untouched and every rank
// throws. Given `later`, rank 0 queues the sync and rename there instead (finish_commits reports
// their failure).
void replace_file(const std::string& path, const dist::Comm& comm,
                  const std::function<void(const std::string& tmp)>& write,
                  DeferredCommits* later = nullptr);

}  // namespace mfhrl::io::h5
