#include "mfhrl/sim/level_model.h"

#include <mujoco/mujoco.h>

#include <cmath>
#include <mutex>
#include <sstream>

#include "mfhrl/core/error.h"
#include "mfhrl/core/log.h"
#include "mfhrl/core/transitions.h"
#include "mfhrl/sim/data_path.h"

namespace mfhrl::sim {
namespace {

std::string level_label(const LevelConfig& level) {
  return "level '" + (level.name.empty() ? std::string("(unnamed)") : level.name) + "'";
}

[[noreturn]] void bad_field(const LevelConfig& level, const char* field, const std::string& what) {
  throw InputError(level_label(level) + ": " + field + " " + what);
}

void require_finite_min(const LevelConfig& level, const char* field, double v, double min,
                        bool strict) {
  const bool ok = std::isfinite(v) && (strict ? v > min : v >= min);
  if (!ok) {
    std::ostringstream os;
    os << "must be a finite number " << (strict ? "> " : ">= ") << min << ", got " << v;
    bad_field(level, field, os.str());
  }
}

int integrator_code(const std::string& name) {
  if (name == "euler") return mjINT_EULER;
  if (name == "rk4") return mjINT_RK4;
  if (name == "implicit") return mjINT_IMPLICIT;
  return -1;
}

void on_mujoco_warning(const char* msg) {
  log::warn(std::string("MuJoCo warning: ") + msg);
}

// MuJoCo's errors are unrecoverable in its own terms (it would exit); we unwind instead.
void on_mujoco_error(const char* msg) {
  throw InvariantError(std::string("MuJoCo error: ") + msg);
}

}  // namespace

void install_mujoco_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    mju_user_warning = &on_mujoco_warning;
    mju_user_error = &on_mujoco_error;
  });
}

void validate_level(const LevelConfig& level) {
  require_finite_min(level, "gravity_scale", level.gravity_scale, 0.0, false);
  require_finite_min(level, "friction_scale", level.friction_scale, 0.0, false);
  require_finite_min(level, "mass_scale", level.mass_scale, 0.0, true);
  require_finite_min(level, "damping_scale", level.damping_scale, 0.0, false);
  require_finite_min(level, "action_noise_std", level.action_noise_std, 0.0, false);
  require_finite_min(level, "timestep", level.timestep, 0.0, true);
  require_finite_min(level, "cost", level.cost, 0.0, true);
  if (level.substeps < 1) {
    bad_field(level, "substeps", "must be >= 1, got " + std::to_string(level.substeps));
  }
  // A tolerance so that YAML decimals such as 0.0166666666666667 * 3 are accepted.
  const double period = level.timestep * level.substeps;
  if (std::abs(period - kControlPeriod) > 1e-6) {
    std::ostringstream os;
    os << "timestep*substeps must equal the control period 0.05 s, got " << level.timestep << "*"
       << level.substeps << " = " << period;
    throw InputError(level_label(level) + ": " + os.str());
  }
  if (level.solver_iterations < 1) {
    bad_field(level, "solver_iterations",
              "must be >= 1, got " + std::to_string(level.solver_iterations));
  }
  if (integrator_code(level.integrator) < 0) {
    bad_field(level, "integrator",
              "must be one of euler, rk4, implicit, got '" + level.integrator + "'");
  }
}

std::shared_ptr<const LevelModel> LevelModel::create(const LevelConfig& level) {
  return create(level, find_data_file(kHalfCheetahXml));
}

std::shared_ptr<const LevelModel> LevelModel::create(const LevelConfig& level,
                                                     const std::string& xml_path) {
  validate_level(level);
  install_mujoco_handlers();
  char err[1024] = {0};
  mjModel* m = mj_loadXML(xml_path.c_str(), nullptr, err, sizeof(err));
  if (m == nullptr) {
    throw InputError("cannot load MuJoCo model '" + xml_path + "': " + err);
  }
  if (m->nq != 9 || m->nv != 9 || m->nu != kActDim) {
    std::ostringstream os;
    os << "MuJoCo model '" << xml_path << "' has nq=" << m->nq << ", nv=" << m->nv
       << ", nu=" << m->nu << "; expected the HalfCheetah's nq=9, nv=9, nu=6";
    mj_deleteModel(m);
    throw InputError(os.str());
  }
  // The dynamics gap: scale what the level names, leave everything else as published.
  for (int i = 0; i < 3; ++i) m->opt.gravity[i] *= level.gravity_scale;
  for (int g = 0; g < m->ngeom; ++g) m->geom_friction[3 * g] *= level.friction_scale;
  for (int b = 0; b < m->nbody; ++b) {
    m->body_mass[b] *= level.mass_scale;
    for (int k = 0; k < 3; ++k) m->body_inertia[3 * b + k] *= level.mass_scale;
  }
  for (int v = 0; v < m->nv; ++v) m->dof_damping[v] *= level.damping_scale;
  // The compute setting.
  m->opt.timestep = level.timestep;
  m->opt.iterations = level.solver_iterations;
  m->opt.integrator = integrator_code(level.integrator);
  return std::shared_ptr<const LevelModel>(new LevelModel(level, m));
}

LevelModel::LevelModel(const LevelConfig& level, mjModel* model)
    : config_(level),
      display_name_(level.name.empty() ? std::string("(unnamed)") : level.name),
      model_(model) {}

LevelModel::~LevelModel() {
  mj_deleteModel(model_);
}

}  // namespace mfhrl::sim
