// Checkpoint write cost: L=8 policies' network and Adam tensors through HDF5 (write_blobs in an
// atomic checkpoint file) against a plain sequential fwrite of the same bytes in the same
// directory. MFHRL_BENCH_DIR picks the directory (default: the system temp dir).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "mfhrl/io/h5file.h"

namespace {

using mfhrl::DType;
using mfhrl::TensorBlob;
using mfhrl::TensorBlobs;

constexpr int kPolicies = 8;

// One MLP's tensors (weight (out,in), bias (out) per layer) under prefix.
void add_mlp(TensorBlobs& out, const std::string& prefix, std::vector<int> widths) {
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    const std::string layer = prefix + "/" + std::to_string(2 * l);
    for (const bool is_weight : {true, false}) {
      TensorBlob b;
      b.name = layer + (is_weight ? ".weight" : ".bias");
      b.dtype = DType::kF32;
      if (is_weight) {
        b.shape = {widths[l + 1], widths[l]};
      } else {
        b.shape = {widths[l + 1]};
      }
      b.bytes.assign(static_cast<std::size_t>(b.numel()) * 4, static_cast<std::uint8_t>(l + 1));
      out.push_back(std::move(b));
    }
  }
}

// One SAC policy: actor 17-256-256-12, twin critics 23-256-256-1 with targets, Adam m and v.
TensorBlobs policy_blobs() {
  TensorBlobs out;
  const std::vector<int> actor = {17, 256, 256, 12}, critic = {23, 256, 256, 1};
  for (const std::string part : {"", "optim/exp_avg/", "optim/exp_avg_sq/"}) {
    add_mlp(out, part + "actor", actor);
    add_mlp(out, part + "critic1", critic);
    add_mlp(out, part + "critic2", critic);
  }
  add_mlp(out, "target_critic1", critic);
  add_mlp(out, "target_critic2", critic);
  return out;
}

std::size_t total_bytes(const TensorBlobs& blobs) {
  std::size_t n = 0;
  for (const auto& b : blobs) n += b.bytes.size();
  return n;
}

std::string bench_dir() {
  const char* d = std::getenv("MFHRL_BENCH_DIR");
  return d ? d : std::filesystem::temp_directory_path().string();
}

// Writes every policy's blobs into a checkpoint file (temp + rename), as a run does.
void write_hdf5(const std::string& path, const TensorBlobs& blobs) {
  const mfhrl::dist::SerialComm comm;
  mfhrl::io::write_file_atomically(path, comm, [&](mfhrl::io::H5File& f) {
    for (int p = 0; p < kPolicies; ++p)
      f.write_blobs("checkpoint/policy_" + std::to_string(p), blobs);
  });
}

// The same bytes with one sequential fwrite per tensor, also temp + rename.
void write_plain(const std::string& path, const TensorBlobs& blobs) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) std::abort();
  for (int p = 0; p < kPolicies; ++p) {
    for (const auto& b : blobs) std::fwrite(b.bytes.data(), 1, b.bytes.size(), f);
  }
  std::fclose(f);
  std::rename(tmp.c_str(), path.c_str());
}

void BM_CheckpointHdf5(benchmark::State& state) {
  const TensorBlobs blobs = policy_blobs();
  const std::string path = bench_dir() + "/mfhrl_bench_ck.h5";
  for (auto _ : state) write_hdf5(path, blobs);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * kPolicies *
                          static_cast<std::int64_t>(total_bytes(blobs)));
  std::remove(path.c_str());
}
BENCHMARK(BM_CheckpointHdf5)->Unit(benchmark::kMillisecond);

void BM_CheckpointFwrite(benchmark::State& state) {
  const TensorBlobs blobs = policy_blobs();
  const std::string path = bench_dir() + "/mfhrl_bench_ck.bin";
  for (auto _ : state) write_plain(path, blobs);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * kPolicies *
                          static_cast<std::int64_t>(total_bytes(blobs)));
  std::remove(path.c_str());
}
BENCHMARK(BM_CheckpointFwrite)->Unit(benchmark::kMillisecond);

// Median seconds of `reps` calls of f.
template <typename F>
double median_seconds(int reps, F f) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  const TensorBlobs blobs = policy_blobs();
  const double mb = kPolicies * static_cast<double>(total_bytes(blobs)) / 1e6;
  const std::string base = bench_dir() + "/mfhrl_bench_ratio";
  const double h5 = median_seconds(9, [&] { write_hdf5(base + ".h5", blobs); });
  const double raw = median_seconds(9, [&] { write_plain(base + ".bin", blobs); });
  std::printf("checkpoint of %d policies: %zu tensors, %.2f MB (%.3f MB per policy)\n", kPolicies,
              kPolicies * blobs.size(), mb, mb / kPolicies);
  std::printf("hdf5 %.2f ms (%.0f MB/s)  fwrite %.2f ms (%.0f MB/s)  ratio hdf5/fwrite %.2f\n",
              1e3 * h5, mb / h5, 1e3 * raw, mb / raw, h5 / raw);
  std::remove((base + ".h5").c_str());
  std::remove((base + ".bin").c_str());
  benchmark::Shutdown();
  return 0;
}
