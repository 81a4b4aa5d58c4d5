// Information gain per fidelity level (DESIGN §3.1), and the flat L x (K*M) loss matrix that the
// MPI allreduce carries (DESIGN §5): each rank fills the rows of its own policies, zeros elsewhere.
#pragma once

#include <cstddef>
#include <vector>

namespace mfhrl {

// Losses of every policy on every remembered batch: [level k][batch m][policy l].
using LevelLossHistory = std::vector<std::vector<std::vector<double>>>;

// IG = H(p) - mean over batches b of H(p^b), p^b ∝ p * exp(-eta * L(b)); each entry of
// batch_losses is one L-vector. No batches -> H(p) (optimistic: an unexplored level looks useful).
double level_information_gain(const std::vector<double>& prior,
                              const std::vector<std::vector<double>>& batch_losses, double eta);

// IG_k for every level k (0-based) of a history laid out as [k][m][l].
std::vector<double> information_gain(const std::vector<double>& prior,
                                     const LevelLossHistory& history, double eta);

// igm.trust: IG_k with level k's learning rate eta * trust[k]. A level with history and trust 0
// cannot move the posterior (IG 0); a level without history stays optimistic (H(p)).
std::vector<double> information_gain(const std::vector<double>& prior,
                                     const LevelLossHistory& history, double eta,
                                     const std::vector<double>& trust);

// Row-major L x (K*M) loss matrix, zero-padded past each level's count of valid batches.
// Element (l, k, m) sits at data()[l*K*M + k*M + m]. Counts are not summed by the allreduce: every
// rank knows them (histories are identical on all ranks), so they live beside the matrix.
class IgLossMatrix {
 public:
  // An all-zero matrix with no valid batches; L, K >= 1, M >= 0.
  IgLossMatrix(int num_policies, int num_levels, int history);

  int num_policies() const { return L_; }
  int num_levels() const { return K_; }
  int history() const { return M_; }
  // Number of doubles in data(): L*K*M.
  std::size_t size() const { return values_.size(); }
  // The contiguous buffer to allreduce (sum).
  double* data() { return values_.data(); }
  const double* data() const { return values_.data(); }

  // Bounds-checked element access.
  double& at(int l, int k, int m);
  double at(int l, int k, int m) const;

  // Valid batches of level k, in [0, M].
  int count(int k) const;
  void set_count(int k, int count);

 private:
  std::size_t index(int l, int k, int m) const;

  int L_, K_, M_;
  std::vector<double> values_;  // (L, K, M)
  std::vector<int> counts_;     // (K)
};

// Lays a [k][m][l] history into the matrix. Policies outside [first_policy, end_policy) are left
// zero, so one rank packs only what it computed; the history must hold K levels of <= M batches.
IgLossMatrix pack_ig_losses(const LevelLossHistory& history, int num_policies, int max_history,
                            int first_policy, int end_policy);

// Reads the (reduced) matrix back as a [k][m][l] history of count(k) batches per level.
LevelLossHistory unpack_ig_losses(const IgLossMatrix& matrix);

}  // namespace mfhrl
