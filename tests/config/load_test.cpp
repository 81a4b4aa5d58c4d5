#include "mfhrl/config/load.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "fixture.h"
#include "mfhrl/core/error.h"

namespace mfhrl::config {
namespace {

using testing::expect_throw_with;

TEST(ConfigLoad, BuiltInDefaultsAreTheThreeHalfCheetahLevels) {
  const Config c = config::load_config({});
  ASSERT_EQ(c.num_levels(), 3);
  EXPECT_EQ(c.levels[0].name, "coarse");
  EXPECT_EQ(c.levels[2].name, "real");
  EXPECT_DOUBLE_EQ(c.levels[0].cost, 0.1);
  EXPECT_DOUBLE_EQ(c.levels[1].cost, 0.3);
  EXPECT_DOUBLE_EQ(c.levels[2].cost, 1.0);
  EXPECT_EQ(c.levels[2].substeps, 5);
  EXPECT_LT(c.levels[0].substeps, c.levels[1].substeps);
  EXPECT_FALSE(c.real_is_separate);
  EXPECT_EQ(c.real.name, "real");
  EXPECT_EQ(c.offline.policies, 8);
  EXPECT_EQ(c.cql.actions, 10);
  EXPECT_DOUBLE_EQ(c.cql.weight, 5.0);
  EXPECT_EQ(c.igm.history, 8);
  EXPECT_DOUBLE_EQ(c.posterior.eta, 1.0);
  EXPECT_EQ(c.igm.threshold_budget, "remaining");
  EXPECT_EQ(c.eval_all_every, 0);
  EXPECT_EQ(c.strategy, "igm");
}

TEST(ConfigLoad, DemoMergesOverDefaults) {
  config::ConfigSource s;
  s.use_demo = true;
  const Config c = config::load_config(s);
  EXPECT_EQ(c.num_levels(), 3);
  EXPECT_EQ(c.network.hidden, (std::vector<int>{64, 64}));
  EXPECT_EQ(c.offline.policies, 4);
  EXPECT_DOUBLE_EQ(c.cql.weight, 5.0);  // untouched default
}

TEST(ConfigLoad, OverridesByKeyIndexAndLevelName) {
  const Config c = config::parse_config_text(
      "budget: {total: 5}", "t.yaml",
      {"budget.total=500", "network.hidden=[32,16]", "fidelity.levels.coarse.cost=0.2",
       "fidelity.levels.1.cost=0.4", "strategy=fixed:2", "seed=7"});
  EXPECT_DOUBLE_EQ(c.budget_total, 500);
  EXPECT_EQ(c.network.hidden, (std::vector<int>{32, 16}));
  EXPECT_DOUBLE_EQ(c.levels[0].cost, 0.2);
  EXPECT_DOUBLE_EQ(c.levels[1].cost, 0.4);
  EXPECT_EQ(c.strategy, "fixed:2");
  EXPECT_EQ(c.seed, 7u);
}

TEST(ConfigLoad, ResolvedYamlReproducesTheConfig) {
  const Config a = config::parse_config_text(
      "real: {name: gap, gravity_scale: 1.1, timestep: 0.01, substeps: 5}", "t.yaml",
      {"budget.total=123.25", "h2o.penalty=0.03"});
  const std::string y = config::to_yaml(a);
  const Config b = config::parse_config_text(y, "resolved");
  EXPECT_EQ(config::to_yaml(b), y);
  EXPECT_EQ(config::config_hash(a), config::config_hash(b));
  EXPECT_TRUE(b.real_is_separate);
  EXPECT_DOUBLE_EQ(b.real.gravity_scale, 1.1);
  EXPECT_NE(config::config_hash(a),
            config::config_hash(config::parse_config_text(y, "r", {"seed=1"})));
  // posterior.eta: auto survives the round trip as the word, a number as the number.
  const Config au = config::parse_config_text(
      "", "t.yaml",
      {"posterior.eta=auto", "posterior.loss=value", "posterior.calibrate=first_batch"});
  EXPECT_TRUE(au.posterior.eta_auto);
  const Config au2 = config::parse_config_text(config::to_yaml(au), "resolved");
  EXPECT_TRUE(au2.posterior.eta_auto);
  EXPECT_EQ(au2.posterior.loss, PosteriorLoss::kValue);
  EXPECT_EQ(au2.posterior.calibrate, EtaCalibration::kFirstBatch);
  EXPECT_EQ(config::parse_config_text(
                config::to_yaml(config::parse_config_text("", "t", {"igm.trust=agreement"})), "r")
                .igm.trust,
            LevelTrust::kAgreement);
  EXPECT_EQ(
      parse_config_text(to_yaml(parse_config_text("", "t", {"posterior.return_actions=mean"})), "r")
          .posterior.return_actions,
      ReturnActions::kMean);
  EXPECT_EQ(config::parse_config_text("", "t.yaml").posterior.calibrate, EtaCalibration::kOffline);
  EXPECT_NE(config::to_yaml(au).find("eta: auto"), std::string::npos);
  // threads: auto round-trips as the word (0 inside), a count as the count, 1 by default.
  EXPECT_EQ(config::parse_config_text("", "t.yaml").threads, 1);
  const Config th = config::parse_config_text("", "t.yaml", {"threads=auto"});
  EXPECT_EQ(th.threads, 0);
  EXPECT_NE(config::to_yaml(th).find("threads: auto"), std::string::npos);
  EXPECT_EQ(config::parse_config_text(config::to_yaml(th), "r").threads, 0);
  EXPECT_EQ(config::parse_config_text("", "t.yaml", {"threads=2"}).threads, 2);
  const Config raw = config::parse_config_text("", "t.yaml", {"posterior.eta=0.25"});
  EXPECT_FALSE(raw.posterior.eta_auto);
  EXPECT_DOUBLE_EQ(config::parse_config_text(config::to_yaml(raw), "r").posterior.eta, 0.25);
}

TEST(ConfigLoad, FileIsReadAndNamedInErrors) {
  const std::string path = ::testing::TempDir() + "/mfhrl_cfg_test.yaml";
  { std::ofstream(path) << "budget:\n  total: -3\n"; }
  expect_throw_with<InputError>(
      [&] {
        config::load_config({{path}, {}});
      },
      {path, "budget.total", "> 0", "-3"});
  std::remove(path.c_str());
  expect_throw_with<InputError>(
      [&] {
        config::load_config({{path}, {}});
      },
      {path, "cannot be opened"});
}

TEST(ConfigLoad, BadConfigsNameTheKey) {
  struct Case {
    std::string yaml;
    std::vector<std::string> overrides;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"budget: {total: 1}\nfoo: 1", {}, {"unknown key 'foo'"}},
      {"budget: {total: 1}", {"threads=0"}, {"threads", "[1, 256]", "or auto"}},
      {"budget: {total: 1}", {"threads=many"}, {"threads"}},
      {"budget: {total: 1, totl: 2}", {}, {"unknown key 'budget.totl'"}},
      {"budget: {total: 0}", {}, {"budget.total", "> 0"}},
      {"budget: {total: 1}",
       {"fidelity.levels.0.cost=-0.1"},
       {"fidelity.levels[0].cost", "cost > 0", "-0.1"}},
      {"budget: {total: 1}",
       {"fidelity.levels.real.timestep=0"},
       {"fidelity.levels[2].timestep", "> 0"}},
      {"budget: {total: 1}",
       {"fidelity.levels.real.timestep=-0.01"},
       {"fidelity.levels[2].timestep"}},
      {"budget: {total: 1}", {"fidelity.levels.real.substeps=4"}, {"0.05"}},
      {"budget: {total: 1}\nfidelity: {levels: [{name: a, timestep: 0.01, substeps: 5}]}",
       {},
       {"fidelity.levels[0].cost", "required"}},
      {"budget: {total: 1}\nfidelity: {levels: [{name: a, cost: 1, substeps: 5}]}",
       {},
       {"fidelity.levels[0].timestep", "required"}},
      {"budget: {total: 1}", {"fidelity.levels.nosuch.cost=1"}, {"no element 'nosuch'"}},
      {"budget: {total: 1}",
       {"fidelity.levels.coarse.integrator=leapfrog"},
       {"integrator", "euler, rk4, implicit", "leapfrog"}},
      {"budget: {total: 1}", {"posterior.eta=0"}, {"posterior.eta", "auto or a learning rate"}},
      {"budget: {total: 1}", {"posterior.eta=often"}, {"posterior.eta", "'often'"}},
      {"budget: {total: 1}", {"posterior.step=0"}, {"posterior.step", "(0, 100]"}},
      {"budget: {total: 1}", {"posterior.forget=0"}, {"posterior.forget", "(0, 1]", "factor"}},
      {"budget: {total: 1}", {"posterior.forget=1.5"}, {"posterior.forget", "(0, 1]"}},
      {"budget: {total: 1}",
       {"posterior.loss=regret"},
       {"posterior.loss", "critic, value or return"}},
      {"budget: {total: 1}",
       {"posterior.loss=return", "offline.policies=8", "online.batch_transitions=4"},
       {"posterior.loss", "online.batch_transitions (4) < offline.policies (8)"}},
      {"budget: {total: 1}",
       {"posterior.loss=return", "offline.policies=4", "online.envs=6"},
       {"posterior.loss", "online.envs (6) is not a multiple of offline.policies (4)"}},
      {"budget: {total: 1}",
       {"posterior.calibrate=online"},
       {"posterior.calibrate", "offline or first_batch", "'online'"}},
      {"budget: {total: 1}",
       {"posterior.return_actions=greedy"},
       {"posterior.return_actions", "sampled or mean", "'greedy'"}},
      {"budget: {total: 1}",
       {"igm.trust=blind"},
       {"igm.trust", "none, agreement or pooled", "'blind'"}},
      {"budget: {total: 1}",
       {"igm.trust_explore=0.5"},
       {"igm.trust_explore", "0 when igm.trust is none", "0.5"}},
      {"budget: {total: 1}",
       {"igm.trust=pooled", "igm.trust_explore=-1"},
       {"igm.trust_explore", "[0, 10]", "-1"}},
      {"budget: {total: 1}", {"igm.threshold=sqrt"}, {"igm.threshold", "entropy_rate or paper"}},
      {"budget: {total: 1}", {"eval.all_every=-1"}, {"eval.all_every", "[0, 1000000]"}},
      {"budget: {total: 1}", {"eval.episodes=100000"}, {"eval.episodes", "[1, 1000]"}},
      {"budget: {total: 1}", {"offline.policies=0"}, {"offline.policies", "[1, 1024]"}},
      {"budget: {total: 1}", {"igm.history=100000000"}, {"igm.history", "[1, 1000]", "K * M"}},
      {"budget: {total: 1}",
       {"online.batch_transitions=4294967297"},
       {"online.batch_transitions", "[1, 1000000]", "4294967297"}},
      {"budget: {total: 1}", {"network.hidden=[64,100000]"}, {"network.hidden", "8192"}},
      {"budget: {total: 1e308}", {}, {"budget.total", "1e+308", "at most 100000 rounds"}},
      {"budget: {total: 1}", {"offline.steps=1000000000"}, {"offline.steps", "[0, 100000000]"}},
      {"budget: {total: 1}", {"network.hidden=[0]"}, {"network.hidden"}},
      {"budget: {total: 1}", {"igm.threshold_budget=all"}, {"igm.threshold_budget"}},
      {"budget: {total: 1}", {"budget.total"}, {"expected key=value"}},
      {"budget: {total: 1}", {"strategy=greedy"}, {"strategy", "greedy"}},
      {"budget: {total: 1}", {"strategy=fixed:4"}, {"strategy", "fixed:4"}},
      {"budget: {total: 1}", {"strategy=fixed:0"}, {"strategy", "fixed:0"}},
      {"budget: {total: 1}", {"offline.bootstrap=bernoulli:2"}, {"offline.bootstrap"}},
      {"budget: {total: [1}", {}, {"not valid YAML", "line 1"}},
      {"- just\n- a list", {}, {"mapping"}},
      {"budget: {total: abc}", {}, {"budget.total", "finite number", "abc"}},
      {"budget: {total: 1}\nfidelity: {levels: [{name: a, cost: 1, timestep: 0.01, substeps: 5}, "
       "{name: a, cost: 2, timestep: 0.01, substeps: 5}]}",
       {},
       {"used twice"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml + (c.overrides.empty() ? "" : " with " + c.overrides[0]));
    try {
      config::parse_config_text(c.yaml, "t.yaml", c.overrides);
      ADD_FAILURE() << "accepted a bad config";
    } catch (const InputError& e) {
      const std::string what = e.what();
      for (const auto& p : c.parts) {
        EXPECT_NE(what.find(p), std::string::npos) << "'" << what << "' lacks '" << p << "'";
      }
    }
  }
}

}  // namespace
}  // namespace mfhrl::config
