#include "mfhrl/dist/mpi_comm.h"

#include <cstdlib>
#include <limits>
#include <string>

#include "mfhrl/core/error.h"

namespace mfhrl::dist {
namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    throw std::runtime_error(std::string(what) + " failed: " + std::string(msg, len));
  }
}

}  // namespace

MpiComm::MpiComm(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    // Funneled: only the main thread calls MPI (torch's and the checkpoint commit's threads
    // never do).
    int provided = 0;
    check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owns_init_ = true;
  }
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

MpiComm::~MpiComm() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owns_init_ && !finalized) MPI_Finalize();
}

namespace {

// MPI counts are int: refuse a buffer that would overflow one instead of sending part of it.
int mpi_count(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw InvariantError(std::string(what) + ": " + std::to_string(n) +
                         " elements exceed MPI's int count");
  }
  return static_cast<int>(n);
}

MPI_Op mpi_op(ReduceOp op) {
  return op == ReduceOp::kSum ? MPI_SUM : MPI_MAX;
}

}  // namespace

void MpiComm::allreduce(Span<double> v, ReduceOp op) const {
  check(MPI_Allreduce(MPI_IN_PLACE, v.data(), mpi_count(v.size(), "MPI_Allreduce"), MPI_DOUBLE,
                      mpi_op(op), comm_),
        "MPI_Allreduce(double)");
}

void MpiComm::allreduce(Span<std::int64_t> v, ReduceOp op) const {
  check(MPI_Allreduce(MPI_IN_PLACE, v.data(), mpi_count(v.size(), "MPI_Allreduce"), MPI_INT64_T,
                      mpi_op(op), comm_),
        "MPI_Allreduce(int64)");
}

void MpiComm::broadcast_bytes(Span<std::uint8_t> bytes, int root) const {
  check(MPI_Bcast(bytes.data(), mpi_count(bytes.size(), "MPI_Bcast"), MPI_BYTE, root, comm_),
        "MPI_Bcast");
}

void MpiComm::broadcast(std::vector<std::uint8_t>& bytes, int root) const {
  long long n = static_cast<long long>(bytes.size());
  check(MPI_Bcast(&n, 1, MPI_LONG_LONG, root, comm_), "MPI_Bcast(size)");
  bytes.resize(static_cast<std::size_t>(n));
  check(MPI_Bcast(bytes.data(), mpi_count(bytes.size(), "MPI_Bcast"), MPI_BYTE, root, comm_),
        "MPI_Bcast");
}

std::vector<std::uint8_t> MpiComm::allgatherv(const std::vector<std::uint8_t>& mine) const {
  int n = mpi_count(mine.size(), "MPI_Allgatherv");
  std::vector<int> counts(size_), displs(size_);
  check(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_), "MPI_Allgather(sizes)");
  std::size_t total = 0;
  for (int p = 0; p < size_; ++p) {
    displs[p] = mpi_count(total, "MPI_Allgatherv displacement");
    total += static_cast<std::size_t>(counts[p]);
  }
  std::vector<std::uint8_t> all(total);
  check(MPI_Allgatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE,
                       comm_),
        "MPI_Allgatherv");
  return all;
}

void MpiComm::barrier() const {
  check(MPI_Barrier(comm_), "MPI_Barrier");
}

void MpiComm::abort(int code) const {
  MPI_Abort(comm_, code);
  std::_Exit(code);
}

bool launched_under_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "SLURM_STEP_ID"}) {
    if (std::getenv(var) != nullptr) return true;
  }
  return false;
}

}  // namespace mfhrl::dist
