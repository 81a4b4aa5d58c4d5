// Learner spec: from the run config, validation with config-key messages, FLOP accounting.
#include "mfhrl/learn/spec.h"

#include <cmath>
#include <string>

#include "mfhrl/core/error.h"

namespace mfhrl::learn {

AgentSpec agent_spec(const Config& config) {
  AgentSpec s;
  s.net = config.network;
  s.cql = config.cql;
  s.h2o = config.h2o;
  return s;
}

namespace {
// Throws InputError "<key>: <expected>, got <value>" when ok is false.
template <typename T>
void require(bool ok, const char* key, const char* expected, const T& value) {
  if (!ok) {
    std::ostringstream os;
    os << key << ": expected " << expected << ", got " << value;
    throw InputError(os.str());
  }
}

// Checks every width of a hidden-layer list.
void require_widths(const std::vector<int>& hidden, const char* key) {
  require(!hidden.empty(), key, "at least one hidden layer", "an empty list");
  for (int h : hidden) require(h >= 1, key, "widths >= 1", h);
}

// 2 * sum(in * out) over the layers of an MLP: the matmul FLOPs of one row's forward pass.
double mlp_flops(int in, const std::vector<int>& hidden, int out) {
  double f = 0.0;
  int width = in;
  for (int h : hidden) {
    f += 2.0 * width * h;
    width = h;
  }
  return f + 2.0 * width * out;
}
}  // namespace

void validate(const AgentSpec& s) {
  require(s.obs_dim >= 1, "obs_dim", "an integer >= 1", s.obs_dim);
  require(s.act_dim >= 1, "act_dim", "an integer >= 1", s.act_dim);
  require_widths(s.net.hidden, "network.hidden");
  if (!s.critic_hidden.empty()) require_widths(s.critic_hidden, "critic_hidden");
  require(s.net.actor_lr > 0.0, "network.actor_lr", "a number > 0", s.net.actor_lr);
  require(s.net.critic_lr > 0.0, "network.critic_lr", "a number > 0", s.net.critic_lr);
  require(s.net.alpha_lr > 0.0, "network.alpha_lr", "a number > 0", s.net.alpha_lr);
  require(s.net.init_alpha > 0.0 && std::isfinite(s.net.init_alpha), "network.init_alpha",
          "a finite number > 0", s.net.init_alpha);
  require(s.net.batch_size >= 1, "network.batch_size", "an integer >= 1", s.net.batch_size);
  require(s.net.gamma >= 0.0 && s.net.gamma <= 1.0, "network.gamma", "a number in [0, 1]",
          s.net.gamma);
  require(s.net.tau > 0.0 && s.net.tau <= 1.0, "network.tau", "a number in (0, 1]", s.net.tau);
  require(s.cql.actions >= 1, "cql.actions", "an integer >= 1", s.cql.actions);
  require(s.cql.weight >= 0.0 && std::isfinite(s.cql.weight), "cql.weight", "a finite number >= 0",
          s.cql.weight);
  require(s.h2o.penalty >= 0.0 && std::isfinite(s.h2o.penalty), "h2o.penalty",
          "a finite number >= 0", s.h2o.penalty);
  require(s.h2o.real_penalty >= 0.0 && std::isfinite(s.h2o.real_penalty), "h2o.real_penalty",
          "a finite number >= 0", s.h2o.real_penalty);
  require(s.h2o.input_noise >= 0.0 && std::isfinite(s.h2o.input_noise), "h2o.input_noise",
          "a finite number >= 0", s.h2o.input_noise);
  require_widths(s.h2o.disc_hidden, "h2o.disc_hidden");
  require(s.h2o.disc_lr > 0.0, "h2o.disc_lr", "a number > 0", s.h2o.disc_lr);
  require(s.h2o.ratio_min > 0.0, "h2o.ratio_min", "a number > 0", s.h2o.ratio_min);
  require(s.h2o.ratio_max >= s.h2o.ratio_min && std::isfinite(s.h2o.ratio_max), "h2o.ratio_max",
          "a finite number >= h2o.ratio_min", s.h2o.ratio_max);
}

double update_flops(const AgentSpec& s, UpdateKind kind, int batch) {
  const double a = mlp_flops(s.obs_dim, s.net.hidden, 2 * s.act_dim);
  const double q = mlp_flops(s.obs_dim + s.act_dim, s.critic_widths(), 1);
  const double rows = kind == UpdateKind::kH2o ? 2.0 * batch : batch;
  // Target (forward only) + critics (fwd+bwd) + actor (fwd+bwd; critics without weight grads).
  double f = rows * ((a + 2 * q) + 3 * 2 * q + (3 * a + 2 * 2 * q));
  // States with a CQL(H) term: CQL's minibatch; H2O's simulated rows (sampled_actions) and its
  // real rows (h2o.real_penalty > 0).
  double states = kind == UpdateKind::kCql ? batch : 0.0;
  if (kind == UpdateKind::kH2o) {
    if (s.h2o.conservative == Conservative::kSampledActions) states += batch;
    if (s.h2o.real_penalty > 0.0) states += batch;
  }
  // Penalty: the actor once per state for pi(s) and once for pi(s') (forward only); twin
  // critics at 3N actions per state, forward and backward without input gradients at the first
  // layer, whose state columns are multiplied once per state (forward and weight gradient).
  const double pen_rows = 3.0 * states * s.cql.actions;
  const double first = 2.0 * s.critic_widths().front();  // per input column of the first layer
  const double q_act = q - first * s.obs_dim;            // a row's forward, action columns only
  const double critic = pen_rows * (3 * q_act - first * s.act_dim) + states * 2 * first * s.obs_dim;
  return f + 2 * states * a + 2 * critic;
}

}  // namespace mfhrl::learn
