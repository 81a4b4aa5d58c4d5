#include "mfhrl/core/serialize.h"

#include <cstring>
#include <string>

#include "mfhrl/core/error.h"

namespace mfhrl {
namespace {

template <typename T>
void put(std::vector<std::uint8_t>& out, const T& v) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

template <typename T>
void put_vec(std::vector<std::uint8_t>& out, const std::vector<T>& v) {
  put<std::uint64_t>(out, v.size());
  const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
  out.insert(out.end(), p, p + v.size() * sizeof(T));
}

class Reader {
 public:
  explicit Reader(const std::vector<std::uint8_t>& b) : b_(b) {}
  bool done() const { return pos_ == b_.size(); }
  template <typename T>
  T get() {
    T v;
    take(&v, sizeof(T));
    return v;
  }
  template <typename T>
  std::vector<T> get_vec() {
    std::vector<T> v(get<std::uint64_t>());
    take(v.data(), v.size() * sizeof(T));
    return v;
  }

 private:
  void take(void* dst, std::size_t n) {
    MFHRL_CHECK(pos_ + n <= b_.size(), "truncated byte stream");
    if (n > 0) std::memcpy(dst, b_.data() + pos_, n);
    pos_ += n;
  }
  const std::vector<std::uint8_t>& b_;
  std::size_t pos_ = 0;
};

}  // namespace

void serialize(const Transitions& t, std::vector<std::uint8_t>& out) {
  put<std::int32_t>(out, t.obs_dim);
  put<std::int32_t>(out, t.act_dim);
  put_vec(out, t.obs);
  put_vec(out, t.act);
  put_vec(out, t.rew);
  put_vec(out, t.next_obs);
  put_vec(out, t.terminal);
  put_vec(out, t.timeout);
}

Transitions deserialize_transitions(const std::vector<std::uint8_t>& bytes) {
  Reader r(bytes);
  Transitions all;
  bool first = true;
  while (!r.done()) {
    Transitions t;
    t.obs_dim = r.get<std::int32_t>();
    t.act_dim = r.get<std::int32_t>();
    t.obs = r.get_vec<float>();
    t.act = r.get_vec<float>();
    t.rew = r.get_vec<float>();
    t.next_obs = r.get_vec<float>();
    t.terminal = r.get_vec<std::uint8_t>();
    t.timeout = r.get_vec<std::uint8_t>();
    t.check_consistent();
    if (first) {
      all = std::move(t);
      first = false;
    } else {
      all.append(t);
    }
  }
  return all;
}

std::vector<std::uint8_t> serialize(const TensorBlobs& blobs) {
  std::vector<std::uint8_t> out;
  put<std::uint64_t>(out, blobs.size());
  for (const auto& b : blobs) {
    put_vec(out, std::vector<char>(b.name.begin(), b.name.end()));
    put<std::uint8_t>(out, static_cast<std::uint8_t>(b.dtype));
    put_vec(out, b.shape);
    put_vec(out, b.bytes);
  }
  return out;
}

TensorBlobs deserialize_blobs(const std::vector<std::uint8_t>& bytes) {
  Reader r(bytes);
  TensorBlobs blobs(r.get<std::uint64_t>());
  for (auto& b : blobs) {
    const auto name = r.get_vec<char>();
    b.name.assign(name.begin(), name.end());
    b.dtype = static_cast<DType>(r.get<std::uint8_t>());
    b.shape = r.get_vec<std::int64_t>();
    b.bytes = r.get_vec<std::uint8_t>();
  }
  MFHRL_CHECK(r.done(), "trailing bytes after tensor blobs");
  return blobs;
}

}  // namespace mfhrl
