// Known answers for config_hash (FNV-1a over to_yaml): run files store the hash and the YAML, so
// resuming one needs both to stay byte-identical across builds. Recorded before the key table;
// the demo's two changed when it gained h2o.real_penalty, and their old values are kept with it at
// 0.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mfhrl/config/load.h"

namespace mfhrl::config {
namespace {

struct HashCase {
  const char* name;
  std::vector<std::string> files;  // under configs/
  std::vector<std::string> overrides;
  bool demo;
  const char* hash;
};

const std::vector<HashCase>& hash_cases() {
  static const std::vector<HashCase> cases = {
      {"defaults", {}, {}, false, "a3f23555ebf1e8a0"},
      // The demo gained h2o.real_penalty: 5 (2026-12-02); with it at 0 it is the earlier demo.
      {"demo", {}, {}, true, "b50ec69e764f2c25"},
      {"demo, real_penalty 0", {}, {"h2o.real_penalty=0"}, true, "1c347d276b68d212"},
      {"tiny", {"tiny.yaml"}, {}, false, "32fe10611934666e"},
      {"learning/base", {"learning/base.yaml"}, {}, false, "068738da13fefaa2"},
      {"learning/sac", {"learning/sac.yaml"}, {}, false, "1919f2cc669cd7b8"},
      {"learning/h2o-gravity2", {"learning/h2o-gravity2.yaml"}, {}, false, "36cc396317776398"},
      {"learning/posterior-large",
       {"learning/posterior-large.yaml"},
       {},
       false,
       "dfbc2fa8ed5ef58f"},
      {"learning/base+h2o-gravity2",
       {"learning/base.yaml", "learning/h2o-gravity2.yaml"},
       {},
       false,
       "6f067334bfea1eba"},
      {"learning/base+posterior-large",
       {"learning/base.yaml", "learning/posterior-large.yaml"},
       {},
       false,
       "7f2c405d79ce5175"},
      {"eta=0.3", {}, {"posterior.eta=0.3"}, false, "2927323c801bb65f"},
      {"threads=auto", {}, {"threads=auto"}, false, "259ee6e90009041e"},
      {"threads=2", {}, {"threads=2"}, false, "b85dba0feeb49715"},
      {"hidden=[32,16,8]", {}, {"network.hidden=[32,16,8]"}, false, "60b7c614bf79a65a"},
      {"demo+real",
       {},
       {"real.name=gap", "real.gravity_scale=1.1", "real.timestep=0.025", "real.substeps=2"},
       true,
       "2c206ad896f131d8"},
      {"demo+real, real_penalty 0",
       {},
       {"real.name=gap", "real.gravity_scale=1.1", "real.timestep=0.025", "real.substeps=2",
        "h2o.real_penalty=0"},
       true,
       "0957bac0e9c6b947"},
      {"every-enum",
       {},
       {"fidelity.cost=measured", "offline.obs_normalization=dataset", "online.rollout=map",
        "online.update=cql", "network.init=torch", "network.inference=plain",
        "h2o.conservative=sampled_actions", "h2o.dynamics_ratio=one", "igm.trust=agreement",
        "posterior.calibrate=first_batch", "posterior.return_actions=mean", "posterior.loss=return",
        "online.envs=8", "cql.backup_entropy=true", "h2o.backup_entropy=true"},
       false,
       "8426f418c2cab3f2"},
      {"every-text",
       {},
       {"strategy=fixed:2", "offline.bootstrap=bernoulli:0.5", "offline.dataset=data/x y.h5",
        "igm.threshold=paper", "igm.threshold_budget=spent", "collect.policy=medium-replay",
        "fidelity.levels.coarse.integrator=rk4", "fidelity.levels.medium.integrator=implicit",
        "seed=12345678901", "budget.total=123.25", "regret.reference_return=-17.5",
        "h2o.ratio_min=1e-300", "network.gamma=0.1"},
       false,
       "69ddccc5b032325f"},
      {"tiny+numbers",
       {"tiny.yaml"},
       {"network.actor_lr=1e-4", "h2o.disc_lr=0.001", "posterior.step=2", "eval.all_every=3",
        "checkpoint.every=2", "collect.medium_return=1234.5", "offline.eval_every=100"},
       false,
       "cbc270657e3d1a68"},
  };
  return cases;
}

TEST(ConfigHash, KnownAnswers) {
  for (const HashCase& hc : hash_cases()) {
    SCOPED_TRACE(hc.name);
    ConfigSource s;
    for (const auto& f : hc.files)
      s.files.push_back(std::string(MFHRL_SOURCE_DIR) + "/configs/" + f);
    s.overrides = hc.overrides;
    s.use_demo = hc.demo;
    const Config c = load_config(s);
    EXPECT_EQ(config_hash(c), hc.hash) << to_yaml(c);
    // The resolved YAML reproduces the config and so the hash.
    EXPECT_EQ(config_hash(parse_config_text(to_yaml(c), "resolved")), hc.hash);
  }
}

// The whole text for the defaults, so a change shows where it is.
TEST(ConfigHash, DefaultsYamlKnownAnswer) {
  EXPECT_EQ(to_yaml(load_config({})), R"(seed: 0
threads: 1
strategy: igm
fidelity:
  cost: declared
  levels:
    - name: coarse
      gravity_scale: 0.90000000000000002
      friction_scale: 0.59999999999999998
      mass_scale: 1.2
      damping_scale: 2
      action_noise_std: 0.10000000000000001
      timestep: 0.025000000000000001
      substeps: 2
      solver_iterations: 20
      integrator: euler
      cost: 0.10000000000000001
    - name: medium
      gravity_scale: 0.94999999999999996
      friction_scale: 0.80000000000000004
      mass_scale: 1.1000000000000001
      damping_scale: 1.5
      action_noise_std: 0.050000000000000003
      timestep: 0.016666666666666701
      substeps: 3
      solver_iterations: 50
      integrator: euler
      cost: 0.29999999999999999
    - name: real
      gravity_scale: 1
      friction_scale: 1
      mass_scale: 1
      damping_scale: 1
      action_noise_std: 0
      timestep: 0.01
      substeps: 5
      solver_iterations: 100
      integrator: euler
      cost: 1
env:
  episode_steps: 1000
budget:
  total: 10000
offline:
  policies: 8
  steps: 10000
  bootstrap: poisson
  dataset: ""
  obs_normalization: none
  eval_every: 0
online:
  batch_transitions: 1000
  updates_per_round: 100
  envs: 4
  rollout: thompson
  buffer_capacity: 1000000
  update: h2o
network:
  hidden: [256, 256]
  actor_lr: 0.00029999999999999997
  critic_lr: 0.00029999999999999997
  alpha_lr: 0.00029999999999999997
  init_alpha: 1
  batch_size: 256
  gamma: 0.98999999999999999
  tau: 0.0050000000000000001
  init: reference
  inference: torch
cql:
  actions: 10
  weight: 5
  backup_entropy: false
h2o:
  penalty: 0.01
  conservative: gap
  gap_samples: 10
  dynamics_ratio: learned
  backup_entropy: false
  input_noise: 0.10000000000000001
  disc_hidden: [256, 256]
  disc_lr: 0.00029999999999999997
  disc_steps_per_update: 1
  ratio_min: 1.0000000000000001e-05
  ratio_max: 1
igm:
  history: 8
  threshold_scale: 1
  threshold_budget: remaining
  threshold: entropy_rate
  trust: none
posterior:
  eta: auto
  step: 0.5
  loss: critic
  calibrate: offline
  return_actions: sampled
eval:
  episodes: 5
  all_every: 0
regret:
  reference_return: 0
checkpoint:
  every: 1
collect:
  steps: 10000
  policy: random
  sac_steps: 10000
  medium_return: 3000
  eval_every: 5000
  eval_episodes: 3
reference:
  sac_steps: 20000
)");
}

// A key added after run files stored hashes (h2o.real_penalty) is written only when it differs
// from its default, so every config above keeps its hash; set, it is in the text and round-trips.
TEST(ConfigHash, KeyAddedLaterIsWrittenOnlyAwayFromItsDefault) {
  const Config d = load_config({});
  EXPECT_EQ(to_yaml(d).find("real_penalty"), std::string::npos);
  ConfigSource s;
  s.overrides = {"h2o.real_penalty=2.5"};
  const Config c = load_config(s);
  EXPECT_DOUBLE_EQ(c.h2o.real_penalty, 2.5);
  const std::string y = to_yaml(c);
  EXPECT_NE(y.find("  real_penalty: 2.5\n"), std::string::npos) << y;
  EXPECT_NE(config_hash(c), config_hash(d));
  EXPECT_DOUBLE_EQ(parse_config_text(y, "resolved").h2o.real_penalty, 2.5);
  s.overrides = {"h2o.real_penalty=0"};
  EXPECT_EQ(config_hash(load_config(s)), config_hash(d));
}

}  // namespace
}  // namespace mfhrl::config
