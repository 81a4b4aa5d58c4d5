// A named tensor as plain bytes: how learner state crosses into io (checkpoints) without torch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mfhrl {

enum class DType : std::uint8_t { kF32 = 0, kF64 = 1, kI64 = 2, kU8 = 3 };

// Size in bytes of one element of dtype.
inline std::size_t dtype_size(DType d) {
  return d == DType::kU8 ? 1 : d == DType::kF32 ? 4 : 8;
}

// name: a slash-separated path relative to its owner ("actor/0.weight", "actor_optim/exp_avg/3").
struct TensorBlob {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;  // empty shape: a scalar (one element)
  std::vector<std::uint8_t> bytes;  // row-major, native endianness

  std::int64_t numel() const {
    std::int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
};

using TensorBlobs = std::vector<TensorBlob>;

}  // namespace mfhrl
