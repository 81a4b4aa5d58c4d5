// An HDF5 file opened over a Comm, with checkpoint tensor groups (TensorBlobs) and an atomic
// "write a new file, then rename it over the old one" helper (DESIGN §6).
//
// Blob layout: blob "actor/0.weight" under group "checkpoint/policy_3" is the dataset
// /checkpoint/policy_3/actor/0.weight (every '/' is a nested group); dtype f32 -> IEEE F32LE,
// f64 -> IEEE F64LE, i64 -> STD I64LE,
// u8 -> STD U8LE; shape as given, an empty shape is an HDF5 scalar.
//
// Parallel rules: with an MPI comm the file uses the MPI-IO driver with collective metadata, so
// every call marked "collective over comm" must be made by every rank in the same order with the
// same names and shapes (HDF5 creates objects collectively). Data is written by one rank only (rank
// 0 or the owner); the others take part in the collective write with an empty selection.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "mfhrl/core/tensor_blob.h"
#include "mfhrl/dist/comm.h"
#include "mfhrl/io/commit.h"

namespace mfhrl::io {

class H5File {
 public:
  // Collective over comm: creates (truncates) path.
  static H5File create(const std::string& path, const dist::Comm& comm);
  // Collective over comm: opens an existing file; InputError if missing or not HDF5.
  static H5File open(const std::string& path, const dist::Comm& comm, bool writable);

  H5File(H5File&& o) noexcept;
  H5File& operator=(H5File&& o) noexcept;
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;
  // Closes quietly; call close() to learn whether closing succeeded.
  ~H5File();

  // Collective over comm: closes the file; InputError if HDF5 fails to write it out.
  void close();
  // Collective over comm: pushes everything written so far to disk.
  void flush();
  bool is_open() const { return id_ >= 0; }
  const std::string& path() const { return path_; }
  const dist::Comm& comm() const { return *comm_; }
  // The hid_t of the file, for io internals (hid_t is a 64-bit integer in HDF5 1.10+).
  std::int64_t id() const { return id_; }
  // True when the slash-separated path names an existing object in the file.
  bool has(const std::string& object_path) const;

  // Collective over comm: writes blobs (identical on every rank) under group; rank 0 writes data.
  void write_blobs(const std::string& group, const TensorBlobs& blobs);
  // Collective over comm: writes the blobs of owner_rank under group. Only the owner's `blobs`
  // matter (others may pass an empty list): names, dtypes and shapes are broadcast from the owner
  // so every rank can create the same datasets, then only the owner writes the bytes.
  void write_blobs_owned(const std::string& group, const TensorBlobs& blobs, int owner_rank);
  // Collective over comm: every dataset below group (recursively), sorted by name; every rank
  // reads all of them. InputError naming the file and group if it is missing.
  TensorBlobs read_blobs(const std::string& group) const;
  // Collective over comm: the one dataset at this path (its name is the path). InputError if
  // missing.
  TensorBlob read_blob(const std::string& dataset) const;

 private:
  H5File(std::string path, const dist::Comm& comm, std::int64_t id);
  TensorBlob read_dataset_blob(std::int64_t loc, const std::string& name,
                               const std::string& group) const;
  void create_blob_datasets(const std::string& group, const TensorBlobs& blobs, int writer);

  std::string path_;
  const dist::Comm* comm_ = nullptr;
  std::int64_t id_ = -1;
};

// Collective over comm: creates <path>.tmp, calls fill on it, closes it and only then renames it
// over path, so a crash or exception mid-write never loses the last good file at path. If fill
// throws (it must throw on every rank alike), the temp file is removed and path is untouched.
// Given `later`, rank 0 queues the sync and rename there instead of doing them now.
void write_file_atomically(const std::string& path, const dist::Comm& comm,
                           const std::function<void(H5File&)>& fill,
                           DeferredCommits* later = nullptr);

}  // namespace mfhrl::io
