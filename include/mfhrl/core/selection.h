// Level selection by information gain per unit cost with a budget-dependent threshold (DESIGN
// §3.2). Levels are 0-based here: index K-1 is the most faithful simulator (the paper's level K).
#pragma once

#include <string>
#include <vector>

namespace mfhrl {

// Which budget figure Gamma_r enters beta_r = c_beta / sqrt(Gamma_r) (igm.threshold_budget).
enum class ThresholdBudget { kRemaining, kSpent };

// "remaining" | "spent"; anything else -> InputError naming igm.threshold_budget.
ThresholdBudget parse_threshold_budget(const std::string& text);

// beta_r = c_beta / sqrt(Gamma_r) with Gamma_r = total - spent or spent. Gamma_r <= 0 gives
// +infinity (nothing clears it, so the top level is taken); c_beta = 0 gives 0 (threshold off).
// c_beta < 0 -> InputError naming igm.threshold_scale.
double threshold_beta(double c_beta, double budget_total, double budget_spent,
                      ThresholdBudget which);

// The form of beta_r (igm.threshold): the paper's c_beta / sqrt(Gamma_r), or the entropy rate
// c_beta H(p_{r-1}) / Gamma_r, which is in nats per cost unit like IG_k / (lambda_k n).
enum class ThresholdForm { kPaper, kEntropyRate };

// "paper" | "entropy_rate"; anything else -> InputError naming igm.threshold.
ThresholdForm parse_threshold_form(const std::string& text);

// beta_r = c_beta * entropy / Gamma_r (entropy: H(p_{r-1}) in nats), Gamma_r as above; Gamma_r
// <= 0 gives +infinity, c_beta = 0 gives 0. c_beta < 0 -> InputError naming igm.threshold_scale.
double threshold_beta_entropy_rate(double c_beta, double entropy, double budget_total,
                                   double budget_spent, ThresholdBudget which);

// One round's decision, kept whole for the trace.
struct Selection {
  int level = 0;                    // chosen level k_r, 0-based
  int best_level = 0;               // k* = argmax IG_k / (lambda_k n), 0-based
  std::vector<double> ig_per_cost;  // (K) IG_k / (lambda_k n)
  double beta = 0.0;                // threshold used (even when not applied)
  bool fell_back = false;           // k* did not clear beta, so K-1 was taken
};

// k* = argmax_k IG_k / (lambda_k n), ties to the higher level; with use_threshold and a ratio of
// k* below beta, the top level. Costs must be > 0 and n >= 1; a NaN IG -> NumericalError.
Selection select_level(const std::vector<double>& ig,
                       const std::vector<double>& cost_per_transition, int n, double beta,
                       bool use_threshold);

}  // namespace mfhrl
