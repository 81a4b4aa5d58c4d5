#include "mfhrl/core/selection.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "mfhrl/core/error.h"

namespace mfhrl {

ThresholdBudget parse_threshold_budget(const std::string& text) {
  if (text == "remaining") return ThresholdBudget::kRemaining;
  if (text == "spent") return ThresholdBudget::kSpent;
  throw InputError("igm.threshold_budget: got '" + text + "', expected 'remaining' or 'spent'");
}

ThresholdForm parse_threshold_form(const std::string& text) {
  if (text == "paper") return ThresholdForm::kPaper;
  if (text == "entropy_rate") return ThresholdForm::kEntropyRate;
  throw InputError("igm.threshold: got '" + text + "', expected 'entropy_rate' or 'paper'");
}

double threshold_beta_entropy_rate(double c_beta, double entropy, double budget_total,
                                   double budget_spent, ThresholdBudget which) {
  // The paper's form validates c_beta and gives 0 (c_beta = 0) or +inf (Gamma_r <= 0) alike.
  const double paper = threshold_beta(c_beta, budget_total, budget_spent, which);
  if (c_beta == 0.0 || std::isinf(paper)) return paper;
  MFHRL_CHECK(entropy >= 0.0 && std::isfinite(entropy),
              "threshold_beta_entropy_rate: entropy " << entropy);
  const double gamma_r =
      which == ThresholdBudget::kRemaining ? budget_total - budget_spent : budget_spent;
  return c_beta * entropy / gamma_r;
}

double threshold_beta(double c_beta, double budget_total, double budget_spent,
                      ThresholdBudget which) {
  if (!(c_beta >= 0.0) || !std::isfinite(c_beta)) {
    std::ostringstream os;
    os << "igm.threshold_scale: got " << c_beta << ", expected a finite number >= 0";
    throw InputError(os.str());
  }
  if (c_beta == 0.0) return 0.0;
  const double gamma_r =
      which == ThresholdBudget::kRemaining ? budget_total - budget_spent : budget_spent;
  if (!(gamma_r > 0.0)) return std::numeric_limits<double>::infinity();
  return c_beta / std::sqrt(gamma_r);
}

Selection select_level(const std::vector<double>& ig,
                       const std::vector<double>& cost_per_transition, int n, double beta,
                       bool use_threshold) {
  MFHRL_CHECK(
      !ig.empty() && ig.size() == cost_per_transition.size(),
      "select_level: " << ig.size() << " gains for " << cost_per_transition.size() << " levels");
  MFHRL_CHECK(n >= 1, "select_level: n = " << n);
  Selection s;
  s.beta = beta;
  s.ig_per_cost.resize(ig.size());
  for (std::size_t k = 0; k < ig.size(); ++k) {
    MFHRL_CHECK(cost_per_transition[k] > 0.0,
                "select_level: cost of level " << k << " is " << cost_per_transition[k]);
    if (std::isnan(ig[k])) {
      std::ostringstream os;
      os << "select_level: information gain of level " << k << " is NaN";
      throw NumericalError(os.str());
    }
    s.ig_per_cost[k] = ig[k] / (cost_per_transition[k] * n);
    // >= sends ties to the higher level: equal value per cost, better fidelity.
    if (k == 0 || s.ig_per_cost[k] >= s.ig_per_cost[static_cast<std::size_t>(s.best_level)]) {
      s.best_level = static_cast<int>(k);
    }
  }
  s.level = s.best_level;
  const int top = static_cast<int>(ig.size()) - 1;
  if (use_threshold && s.ig_per_cost[static_cast<std::size_t>(s.best_level)] < beta) {
    s.level = top;
    s.fell_back = true;
  }
  return s;
}

}  // namespace mfhrl
