// Toy minibatches and small specs shared by the learn tests.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "mfhrl/core/rng.h"
#include "mfhrl/core/tensor_blob.h"
#include "mfhrl/core/transitions.h"
#include "mfhrl/learn/spec.h"

namespace mfhrl::learn::toy {

// A small, fast spec: 32-32 networks.
inline AgentSpec small_spec(int obs_dim, int act_dim) {
  AgentSpec s;
  s.obs_dim = obs_dim;
  s.act_dim = act_dim;
  s.net.hidden = {32, 32};
  s.h2o.disc_hidden = {32, 32};
  s.net.batch_size = 64;
  return s;
}

// n random rows: obs, act in [-1, 1), reward -(a0 - 0.3)^2, next_obs = obs + 0.1, terminal every
// third row.
inline Transitions random_batch(Rng& rng, int obs_dim, int act_dim, int n) {
  Transitions t;
  t.obs_dim = obs_dim;
  t.act_dim = act_dim;
  std::vector<float> o(obs_dim), a(act_dim), o2(obs_dim);
  for (int i = 0; i < n; ++i) {
    for (auto& x : o) x = static_cast<float>(rng.uniform(-1.0, 1.0));
    for (auto& x : a) x = static_cast<float>(rng.uniform(-1.0, 1.0));
    for (int j = 0; j < obs_dim; ++j) o2[j] = o[j] + 0.1f;
    const float r = -(a[0] - 0.3f) * (a[0] - 0.3f);
    t.push(o.data(), a.data(), r, o2.data(), i % 3 == 0, false);
  }
  return t;
}

// The blob of that name in blobs, or null.
inline const TensorBlob* find_blob(const TensorBlobs& blobs, const std::string& name) {
  for (const auto& b : blobs)
    if (b.name == name) return &b;
  return nullptr;
}
inline TensorBlob* find_blob(TensorBlobs& blobs, const std::string& name) {
  return const_cast<TensorBlob*>(find_blob(static_cast<const TensorBlobs&>(blobs), name));
}

// True when both blob lists hold the same names, shapes and bytes in the same order.
inline bool same_blobs(const TensorBlobs& x, const TensorBlobs& y) {
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i].name != y[i].name || x[i].dtype != y[i].dtype || x[i].shape != y[i].shape ||
        x[i].bytes != y[i].bytes) {
      return false;
    }
  }
  return true;
}

}  // namespace mfhrl::learn::toy
