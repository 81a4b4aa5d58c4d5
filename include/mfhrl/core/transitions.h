// Transitions as plain columnar arrays: what moves between sim, learn, io and dist.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mfhrl {

inline constexpr int kObsDim = 17;  // HalfCheetah: qpos without rootx (8) + qvel (9)
inline constexpr int kActDim = 6;   // motor controls in [-1, 1]

// N transitions, row-major. obs/next_obs: (N, obs_dim); act: (N, act_dim); the rest: (N,).
struct Transitions {
  int obs_dim = kObsDim;
  int act_dim = kActDim;
  std::vector<float> obs;
  std::vector<float> act;
  std::vector<float> rew;
  std::vector<float> next_obs;
  std::vector<std::uint8_t> terminal;  // 1: the episode ended in a true terminal state
  std::vector<std::uint8_t> timeout;   // 1: the episode was cut at the time limit

  std::size_t size() const { return rew.size(); }
  bool empty() const { return rew.empty(); }
  void clear();
  void reserve(std::size_t n);
  // n rows; new rows are zero.
  void resize(std::size_t n);
  // Overwrites row i < size() from raw pointers (obs_dim / act_dim floats).
  void set(std::size_t i, const float* o, const float* a, float r, const float* o2, bool term,
           bool tout);
  // Appends row i of other.
  void push_row(const Transitions& other, std::size_t i);
  // Appends one transition from raw pointers (obs_dim / act_dim floats).
  void push(const float* o, const float* a, float r, const float* o2, bool term, bool tout);
  // Appends all rows of other (same dims).
  void append(const Transitions& other);
  // Rows [begin, end) as a new Transitions.
  Transitions slice(std::size_t begin, std::size_t end) const;
  // Rows at the given indices, in order.
  Transitions gather(const std::vector<std::size_t>& rows) const;
  // Throws InvariantError if the column lengths disagree with size().
  void check_consistent() const;
};

// The rows of t that do not end in a timeout, in order. D4RL's qlearning_dataset convention: in a
// D4RL file a timeout row's next observation may belong to the next episode's reset, so no target
// may bootstrap from it.
Transitions drop_timeouts(const Transitions& t);

// Per-dimension mean and population standard deviation of t's observations (obs_dim each), with
// `std_floor` added to every std. Empty t: mean 0, std = std_floor.
void observation_stats(const Transitions& t, double std_floor, std::vector<float>* mean,
                       std::vector<float>* std);

// Keeps the last `capacity` rows of t (a FIFO replay buffer that has just been appended to).
void keep_newest(Transitions& t, std::size_t capacity);

}  // namespace mfhrl
