// The generalized-Bayes posterior over the L bootstrapped policies (DESIGN §2.4, §3.4).
// Caliper split: the learner computes local losses, dist allreduces them, these functions finish.
#pragma once

#include <cstdint>
#include <vector>

#include "mfhrl/core/rng.h"

namespace mfhrl {

// p_0: uniform over L >= 1 policies.
std::vector<double> uniform_prior(int num_policies);

// p(l) ∝ prior(l) * exp(-eta * losses(l)) in log space, so losses of 1e4 neither overflow nor
// underflow to 0/0. Zero prior entries stay zero. eta <= 0 -> InputError (posterior.eta).
std::vector<double> posterior_update(const std::vector<double>& prior,
                                     const std::vector<double>& losses, double eta);

// posterior.forget: p^rho renormalized, rho in (0, 1], so evidence r rounds old counts rho^r times
// as much as this round's (a memory of about 1 / (1 - rho) rounds while the policies, and with
// them the ranking the posterior must find, change under the H2O updates). rho = 1 returns p
// unchanged; rho -> 0 forgets everything but the support (zero entries stay zero). A rho outside
// (0, 1] -> InputError (posterior.forget).
std::vector<double> temper_posterior(const std::vector<double>& p, double rho);

// Shannon entropy in nats, with 0 * log 0 = 0.
double entropy_nats(const std::vector<double>& p);

// The deployed policy argmax_l p(l); ties go to the lowest index so every rank agrees.
int map_policy(const std::vector<double>& p);

// A Thompson draw l ~ p (one uniform from rng); never returns a zero-probability policy.
int sample_policy(const std::vector<double>& p, Rng& rng);

// posterior.loss: return. The batch holds one segment per policy, in policy order, of counts[l]
// rows each; L_l = -(mean reward of segment l), so a higher return on the level is a lower loss.
// An empty segment gets loss 0. InvariantError when the counts do not sum to rewards.size().
std::vector<double> segment_return_losses(const std::vector<float>& rewards,
                                          const std::vector<int>& counts);

// Refuses non-finite losses before they reach the posterior: NumericalError naming round and
// policy.
void check_finite_losses(const std::vector<double>& losses, std::int64_t round);

}  // namespace mfhrl
