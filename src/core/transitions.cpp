#include "mfhrl/core/transitions.h"

#include <algorithm>
#include <cmath>

#include "mfhrl/core/error.h"

namespace mfhrl {

void Transitions::clear() {
  obs.clear();
  act.clear();
  rew.clear();
  next_obs.clear();
  terminal.clear();
  timeout.clear();
}

void Transitions::reserve(std::size_t n) {
  obs.reserve(n * obs_dim);
  act.reserve(n * act_dim);
  rew.reserve(n);
  next_obs.reserve(n * obs_dim);
  terminal.reserve(n);
  timeout.reserve(n);
}

void Transitions::resize(std::size_t n) {
  obs.resize(n * obs_dim);
  act.resize(n * act_dim);
  rew.resize(n);
  next_obs.resize(n * obs_dim);
  terminal.resize(n);
  timeout.resize(n);
}

void Transitions::set(std::size_t i, const float* o, const float* a, float r, const float* o2,
                      bool term, bool tout) {
  MFHRL_CHECK(i < size(), "Transitions::set: row " << i << " of " << size());
  std::copy(o, o + obs_dim, obs.begin() + static_cast<std::ptrdiff_t>(i * obs_dim));
  std::copy(a, a + act_dim, act.begin() + static_cast<std::ptrdiff_t>(i * act_dim));
  rew[i] = r;
  std::copy(o2, o2 + obs_dim, next_obs.begin() + static_cast<std::ptrdiff_t>(i * obs_dim));
  terminal[i] = term ? 1 : 0;
  timeout[i] = tout ? 1 : 0;
}

void Transitions::push(const float* o, const float* a, float r, const float* o2, bool term,
                       bool tout) {
  obs.insert(obs.end(), o, o + obs_dim);
  act.insert(act.end(), a, a + act_dim);
  rew.push_back(r);
  next_obs.insert(next_obs.end(), o2, o2 + obs_dim);
  terminal.push_back(term ? 1 : 0);
  timeout.push_back(tout ? 1 : 0);
}

void Transitions::push_row(const Transitions& other, std::size_t i) {
  MFHRL_CHECK(other.obs_dim == obs_dim && other.act_dim == act_dim, "dimension mismatch");
  push(&other.obs[i * obs_dim], &other.act[i * act_dim], other.rew[i], &other.next_obs[i * obs_dim],
       other.terminal[i] != 0, other.timeout[i] != 0);
}

void Transitions::append(const Transitions& other) {
  MFHRL_CHECK(other.obs_dim == obs_dim && other.act_dim == act_dim, "dimension mismatch");
  obs.insert(obs.end(), other.obs.begin(), other.obs.end());
  act.insert(act.end(), other.act.begin(), other.act.end());
  rew.insert(rew.end(), other.rew.begin(), other.rew.end());
  next_obs.insert(next_obs.end(), other.next_obs.begin(), other.next_obs.end());
  terminal.insert(terminal.end(), other.terminal.begin(), other.terminal.end());
  timeout.insert(timeout.end(), other.timeout.begin(), other.timeout.end());
}

Transitions Transitions::slice(std::size_t begin, std::size_t end) const {
  MFHRL_CHECK(begin <= end && end <= size(), "slice [" << begin << "," << end << ") of " << size());
  Transitions out;
  out.obs_dim = obs_dim;
  out.act_dim = act_dim;
  out.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) out.push_row(*this, i);
  return out;
}

Transitions Transitions::gather(const std::vector<std::size_t>& rows) const {
  Transitions out;
  out.obs_dim = obs_dim;
  out.act_dim = act_dim;
  out.reserve(rows.size());
  for (std::size_t i : rows) {
    MFHRL_CHECK(i < size(), "row " << i << " of " << size());
    out.push_row(*this, i);
  }
  return out;
}

void Transitions::check_consistent() const {
  const std::size_t n = size();
  MFHRL_CHECK(obs.size() == n * obs_dim && next_obs.size() == n * obs_dim &&
                  act.size() == n * act_dim && terminal.size() == n && timeout.size() == n,
              "inconsistent transition columns for " << n << " rows");
}

Transitions drop_timeouts(const Transitions& t) {
  std::vector<std::size_t> keep;
  keep.reserve(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t.timeout[i] == 0) keep.push_back(i);
  }
  return t.gather(keep);
}

void observation_stats(const Transitions& t, double std_floor, std::vector<float>* mean,
                       std::vector<float>* std) {
  const auto d = static_cast<std::size_t>(t.obs_dim);
  std::vector<double> sum(d, 0.0), sq(d, 0.0);
  const std::size_t n = t.size();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) sum[j] += t.obs[i * d + j];
  }
  mean->assign(d, 0.0f);
  std->assign(d, static_cast<float>(std_floor));
  if (n == 0) return;
  for (std::size_t j = 0; j < d; ++j) sum[j] /= static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      const double e = t.obs[i * d + j] - sum[j];
      sq[j] += e * e;
    }
  }
  for (std::size_t j = 0; j < d; ++j) {
    (*mean)[j] = static_cast<float>(sum[j]);
    (*std)[j] = static_cast<float>(std::sqrt(sq[j] / static_cast<double>(n)) + std_floor);
  }
}

void keep_newest(Transitions& t, std::size_t capacity) {
  const std::size_t n = t.size();
  if (n <= capacity) return;
  const std::size_t drop = n - capacity;
  auto erase_front = [](auto& v, std::size_t count) { v.erase(v.begin(), v.begin() + count); };
  erase_front(t.obs, drop * t.obs_dim);
  erase_front(t.act, drop * t.act_dim);
  erase_front(t.rew, drop);
  erase_front(t.next_obs, drop * t.obs_dim);
  erase_front(t.terminal, drop);
  erase_front(t.timeout, drop);
}

}  // namespace mfhrl
