#include "mfhrl/core/information_gain.h"

#include "mfhrl/core/error.h"
#include "mfhrl/core/posterior.h"

namespace mfhrl {

double level_information_gain(const std::vector<double>& prior,
                              const std::vector<std::vector<double>>& batch_losses, double eta) {
  const double h_prior = entropy_nats(prior);
  if (batch_losses.empty()) return h_prior;
  double mean_h = 0.0;
  for (const auto& losses : batch_losses) {
    mean_h += entropy_nats(posterior_update(prior, losses, eta));
  }
  mean_h /= static_cast<double>(batch_losses.size());
  return h_prior - mean_h;
}

std::vector<double> information_gain(const std::vector<double>& prior,
                                     const LevelLossHistory& history, double eta) {
  return information_gain(prior, history, eta, std::vector<double>(history.size(), 1.0));
}

std::vector<double> information_gain(const std::vector<double>& prior,
                                     const LevelLossHistory& history, double eta,
                                     const std::vector<double>& trust) {
  MFHRL_CHECK(trust.size() == history.size(), "information_gain: " << trust.size()
                                                                   << " trust weights for "
                                                                   << history.size() << " levels");
  std::vector<double> ig;
  ig.reserve(history.size());
  for (std::size_t k = 0; k < history.size(); ++k) {
    const double w = trust[k];
    MFHRL_CHECK(w >= 0.0 && w <= 1.0, "information_gain: trust " << w << " of level " << k);
    // No history: level_information_gain's optimistic H(p), whatever the trust.
    ig.push_back(w > 0.0 || history[k].empty() ? level_information_gain(prior, history[k], eta * w)
                                               : 0.0);
  }
  return ig;
}

IgLossMatrix::IgLossMatrix(int num_policies, int num_levels, int history)
    : L_(num_policies), K_(num_levels), M_(history) {
  MFHRL_CHECK(L_ >= 1 && K_ >= 1 && M_ >= 0,
              "IgLossMatrix: L=" << L_ << " K=" << K_ << " M=" << M_);
  values_.assign(static_cast<std::size_t>(L_) * K_ * M_, 0.0);
  counts_.assign(static_cast<std::size_t>(K_), 0);
}

std::size_t IgLossMatrix::index(int l, int k, int m) const {
  MFHRL_CHECK(l >= 0 && l < L_ && k >= 0 && k < K_ && m >= 0 && m < M_,
              "IgLossMatrix: (" << l << ", " << k << ", " << m << ") outside (" << L_ << ", " << K_
                                << ", " << M_ << ")");
  return (static_cast<std::size_t>(l) * K_ + k) * M_ + m;
}

double& IgLossMatrix::at(int l, int k, int m) {
  return values_[index(l, k, m)];
}

double IgLossMatrix::at(int l, int k, int m) const {
  return values_[index(l, k, m)];
}

int IgLossMatrix::count(int k) const {
  MFHRL_CHECK(k >= 0 && k < K_, "IgLossMatrix: level " << k << " of " << K_);
  return counts_[static_cast<std::size_t>(k)];
}

void IgLossMatrix::set_count(int k, int count) {
  MFHRL_CHECK(k >= 0 && k < K_, "IgLossMatrix: level " << k << " of " << K_);
  MFHRL_CHECK(count >= 0 && count <= M_,
              "IgLossMatrix: count " << count << " outside [0, " << M_ << "]");
  counts_[static_cast<std::size_t>(k)] = count;
}

IgLossMatrix pack_ig_losses(const LevelLossHistory& history, int num_policies, int max_history,
                            int first_policy, int end_policy) {
  MFHRL_CHECK(0 <= first_policy && first_policy <= end_policy && end_policy <= num_policies,
              "pack_ig_losses: policies [" << first_policy << ", " << end_policy << ") of "
                                           << num_policies);
  IgLossMatrix matrix(num_policies, static_cast<int>(history.size()), max_history);
  for (std::size_t k = 0; k < history.size(); ++k) {
    const auto& level = history[k];
    matrix.set_count(static_cast<int>(k), static_cast<int>(level.size()));
    for (std::size_t m = 0; m < level.size(); ++m) {
      MFHRL_CHECK(level[m].size() == static_cast<std::size_t>(num_policies),
                  "pack_ig_losses: level " << k << " batch " << m << " has " << level[m].size()
                                           << " losses for " << num_policies << " policies");
      for (int l = first_policy; l < end_policy; ++l) {
        matrix.at(l, static_cast<int>(k), static_cast<int>(m)) =
            level[m][static_cast<std::size_t>(l)];
      }
    }
  }
  return matrix;
}

LevelLossHistory unpack_ig_losses(const IgLossMatrix& matrix) {
  LevelLossHistory history(static_cast<std::size_t>(matrix.num_levels()));
  for (int k = 0; k < matrix.num_levels(); ++k) {
    auto& level = history[static_cast<std::size_t>(k)];
    level.assign(static_cast<std::size_t>(matrix.count(k)),
                 std::vector<double>(static_cast<std::size_t>(matrix.num_policies()), 0.0));
    for (int m = 0; m < matrix.count(k); ++m) {
      for (int l = 0; l < matrix.num_policies(); ++l) {
        level[static_cast<std::size_t>(m)][static_cast<std::size_t>(l)] = matrix.at(l, k, m);
      }
    }
  }
  return history;
}

}  // namespace mfhrl
