#include "mfhrl/sim/level_model.h"

#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include <cmath>
#include <string>
#include <vector>

#include "fixture.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/log.h"
#include "mfhrl/sim/measure.h"
#include "sim_fixture.h"

namespace mfhrl::sim {
namespace {

using testing::default_level;
using testing::expect_throw_with;
using testing::level_model;

double total_mass(const mjModel* m) {
  double s = 0.0;
  for (int b = 0; b < m->nbody; ++b) s += m->body_mass[b];
  return s;
}

int joint_dof(const mjModel* m, const char* name) {
  return m->jnt_dofadr[mj_name2id(m, mjOBJ_JOINT, name)];
}

TEST(LevelModel, RealLevelIsThePublishedModel) {
  const mjModel* m = level_model("real")->mj();
  EXPECT_EQ(m->nq, 9);
  EXPECT_EQ(m->nv, 9);
  EXPECT_EQ(m->nu, 6);
  EXPECT_EQ(m->ngeom, 9);  // floor, torso, head and six limb capsules
  EXPECT_DOUBLE_EQ(m->opt.gravity[2], -9.81);
  EXPECT_DOUBLE_EQ(m->opt.timestep, 0.01);
  EXPECT_EQ(m->opt.iterations, 100);
  EXPECT_EQ(m->opt.integrator, mjINT_EULER);
  EXPECT_NEAR(total_mass(m), 14.0, 1e-9);
  const double gears[] = {120, 90, 60, 120, 60, 30};
  for (int a = 0; a < 6; ++a) EXPECT_DOUBLE_EQ(m->actuator_gear[6 * a], gears[a]) << a;
  EXPECT_DOUBLE_EQ(m->dof_damping[joint_dof(m, "bthigh")], 6.0);
  EXPECT_DOUBLE_EQ(m->dof_damping[joint_dof(m, "ffoot")], 1.5);
  EXPECT_DOUBLE_EQ(m->dof_damping[joint_dof(m, "rootx")], 0.0);
  EXPECT_DOUBLE_EQ(m->geom_friction[3 * 1], 0.4);
  EXPECT_DOUBLE_EQ(m->body_pos[3 * mj_name2id(m, mjOBJ_BODY, "torso") + 2], 0.7);
  for (int i = 0; i < m->nq; ++i) EXPECT_EQ(m->qpos0[i], 0.0);
}

TEST(LevelModel, CoarseLevelScalesTheDynamics) {
  const mjModel* real = level_model("real")->mj();
  const mjModel* m = level_model("coarse")->mj();
  EXPECT_DOUBLE_EQ(m->opt.gravity[2], -9.81 * 0.9);
  EXPECT_DOUBLE_EQ(m->opt.timestep, 0.025);
  EXPECT_EQ(m->opt.iterations, 20);
  EXPECT_NEAR(total_mass(m), 14.0 * 1.2, 1e-9);
  for (int g = 0; g < m->ngeom; ++g) {
    EXPECT_DOUBLE_EQ(m->geom_friction[3 * g], real->geom_friction[3 * g] * 0.6);
    EXPECT_DOUBLE_EQ(m->geom_friction[3 * g + 1], real->geom_friction[3 * g + 1]);  // torsional
  }
  for (int b = 0; b < m->nbody; ++b) {
    EXPECT_DOUBLE_EQ(m->body_inertia[3 * b + 1], real->body_inertia[3 * b + 1] * 1.2);
  }
  EXPECT_DOUBLE_EQ(m->dof_damping[joint_dof(m, "bthigh")], 12.0);
}

TEST(LevelModel, IntegratorNamesMapToMuJoCo) {
  LevelConfig l = default_level("real");
  l.integrator = "rk4";
  EXPECT_EQ(LevelModel::create(l)->mj()->opt.integrator, mjINT_RK4);
  l.integrator = "implicit";
  EXPECT_EQ(LevelModel::create(l)->mj()->opt.integrator, mjINT_IMPLICIT);
}

TEST(LevelModel, DefaultLevelsAreValidAndCheaperFirst) {
  const auto& levels = testing::default_levels();  // the shipped config's
  ASSERT_EQ(levels.size(), 3u);
  for (const auto& l : levels) EXPECT_NO_THROW(validate_level(l)) << l.name;
  EXPECT_LT(levels[0].substeps, levels[1].substeps);
  EXPECT_LT(levels[1].substeps, levels[2].substeps);
  EXPECT_LT(levels[0].cost, levels[1].cost);
}

TEST(LevelModel, RefusesInvalidLevelsNamingLevelAndField) {
  auto with = [](auto change) {
    LevelConfig l = default_level("medium");
    change(l);
    return l;
  };
  expect_throw_with<InputError>(
      [&] { validate_level(with([](LevelConfig& l) { l.substeps = 2; })); },
      {"level 'medium'", "timestep*substeps", "0.05"});
  expect_throw_with<InputError>(
      [&] { validate_level(with([](LevelConfig& l) { l.integrator = "rk5"; })); },
      {"level 'medium'", "integrator", "'rk5'", "euler, rk4, implicit"});
  expect_throw_with<InputError>(
      [&] { validate_level(with([](LevelConfig& l) { l.mass_scale = 0.0; })); },
      {"level 'medium'", "mass_scale", "> 0"});
  expect_throw_with<InputError>(
      [&] { validate_level(with([](LevelConfig& l) { l.friction_scale = -1.0; })); },
      {"friction_scale", ">= 0", "-1"});
  expect_throw_with<InputError>(
      [&] { validate_level(with([](LevelConfig& l) { l.action_noise_std = std::nan(""); })); },
      {"action_noise_std", "finite"});
  expect_throw_with<InputError>(
      [&] { validate_level(with([](LevelConfig& l) { l.solver_iterations = 0; })); },
      {"solver_iterations", ">= 1"});
  expect_throw_with<InputError>(
      [&] { validate_level(with([](LevelConfig& l) { l.substeps = 0; })); }, {"substeps"});
  expect_throw_with<InputError>(
      [&] {
        LevelModel::create(with([](LevelConfig& l) {
          l.name = "x";
          l.cost = 0.0;
        }));
      },
      {"level 'x'", "cost"});
}

TEST(LevelModel, MissingModelFileIsAnInputError) {
  expect_throw_with<InputError>(
      [] { LevelModel::create(default_level("real"), "/nonexistent/cheetah.xml"); },
      {"cannot load MuJoCo model", "/nonexistent/cheetah.xml"});
}

TEST(LevelModel, MuJoCoWarningsAreLoggedAndErrorsThrow) {
  install_mujoco_handlers();
  std::vector<std::string> seen;
  log::set_listener([&](log::Level level, const std::string& msg) {
    if (level == log::Level::kWarn) seen.push_back(msg);
  });
  mju_warning("probe warning");
  // Put back the test main's rule: an unexpected warning fails the test.
  log::set_listener([](log::Level level, const std::string& msg) {
    if (level >= log::Level::kWarn && testing::g_expected_logs == 0) {
      ADD_FAILURE() << "unexpected log message: " << msg;
    }
  });
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0].find("MuJoCo warning: probe warning"), std::string::npos) << seen[0];
  expect_throw_with<InvariantError>([] { mju_error("probe error"); },
                                    {"MuJoCo error: probe error"});
}

TEST(LevelModel, MeasuredCostIsLowerForCheaperLevels) {
  const double coarse = measure_cost_per_transition(default_level("coarse"), 400);
  const double real = measure_cost_per_transition(default_level("real"), 400);
  EXPECT_GT(coarse, 0.0);
  EXPECT_LT(coarse, real);  // 2 small-solver steps against 5 full ones
  expect_throw_with<InvariantError>([] { measure_cost_per_transition(default_level("real"), 0); },
                                    {"steps"});
}

}  // namespace
}  // namespace mfhrl::sim
