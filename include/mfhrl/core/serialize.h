// Byte encodings of transitions and tensors, for MPI broadcasts and gathers (same machine type).
#pragma once

#include <cstdint>
#include <vector>

#include "mfhrl/core/tensor_blob.h"
#include "mfhrl/core/transitions.h"

namespace mfhrl {

// Appends t to out (dims, row count, then every column).
void serialize(const Transitions& t, std::vector<std::uint8_t>& out);
// Decodes every Transitions in bytes, in order, and concatenates them.
Transitions deserialize_transitions(const std::vector<std::uint8_t>& bytes);

std::vector<std::uint8_t> serialize(const TensorBlobs& blobs);
TensorBlobs deserialize_blobs(const std::vector<std::uint8_t>& bytes);

}  // namespace mfhrl
