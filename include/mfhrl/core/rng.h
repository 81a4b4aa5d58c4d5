// Deterministic random streams keyed by (seed, what, index), never by rank or time.
#pragma once

#include <array>
#include <cstdint>

namespace mfhrl {

// What a stream is for; part of its key so that streams of different purpose never coincide.
enum class Stream : std::uint64_t {
  kBootstrap = 1,      // index = policy
  kEnvReset = 2,       // index = global env instance (reset states and action noise)
  kMinibatch = 3,      // index = policy
  kPolicyNoise = 4,    // index = policy (actor sampling noise in updates)
  kNetworkInit = 5,    // index = policy (network weights)
  kRollout = 6,        // index = global env instance (exploration actions)
  kThompson = 7,       // index = round
  kEval = 8,           // index = episode
  kDiscriminator = 9,  // index = level
  kCollect = 10,       // index = global env instance (offline dataset logging)
  kCalibration = 11,   // index = calibration batch (posterior.eta: auto)
  kTest = 99,          // tests and benchmarks
};

// Mixes (seed, what, index, sub) into one 64-bit key (SplitMix64 finalizer chain).
std::uint64_t stream_key(std::uint64_t seed, Stream what, std::uint64_t index,
                         std::uint64_t sub = 0);

// xoshiro256** generator. Same key -> same sequence on every platform (no std distributions).
class Rng {
 public:
  using State = std::array<std::uint64_t, 4>;

  explicit Rng(std::uint64_t key);
  Rng(std::uint64_t seed, Stream what, std::uint64_t index, std::uint64_t sub = 0)
      : Rng(stream_key(seed, what, index, sub)) {}

  std::uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal (Box-Muller, no cached second value so the state is just the four words).
  double normal();
  // Uniform integer in [0, n), unbiased; n > 0.
  std::uint64_t below(std::uint64_t n);
  // Poisson(lambda) by inversion (lambda <= 30 is the intended use).
  std::uint32_t poisson(double lambda);
  // Bernoulli(p).
  bool bernoulli(double p) { return uniform() < p; }

  const State& state() const { return s_; }
  void set_state(const State& s) { s_ = s; }

 private:
  State s_;
};

}  // namespace mfhrl
