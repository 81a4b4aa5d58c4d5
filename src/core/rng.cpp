#include "mfhrl/core/rng.h"

#include <cmath>

#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

std::uint64_t stream_key(std::uint64_t seed, Stream what, std::uint64_t index, std::uint64_t sub) {
  std::uint64_t x = seed;
  std::uint64_t h = splitmix64(x);
  for (std::uint64_t part : {static_cast<std::uint64_t>(what), index, sub}) {
    x = h ^ part;
    h = splitmix64(x);
  }
  return h;
}

Rng::Rng(std::uint64_t key) {
  std::uint64_t x = key;
  for (auto& w : s_) w = splitmix64(x);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double Rng::normal() {
  // 1 - u lies in (0, 1], so the log is finite.
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

std::uint64_t Rng::below(std::uint64_t n) {
  MFHRL_CHECK(n > 0, "Rng::below(0)");
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
  std::uint64_t x = next_u64();
  while (x >= limit) x = next_u64();
  return x % n;
}

std::uint32_t Rng::poisson(double lambda) {
  MFHRL_CHECK(lambda >= 0.0 && lambda <= 30.0, "Rng::poisson lambda " << lambda);
  const double u = uniform();
  double p = std::exp(-lambda);
  double cdf = p;
  std::uint32_t k = 0;
  while (u >= cdf && k < 1000) {
    ++k;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

}  // namespace mfhrl
