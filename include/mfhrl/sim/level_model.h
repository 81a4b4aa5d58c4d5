// One fidelity level as an immutable MuJoCo model: the published HalfCheetah scaled by the level's
// dynamics gap, with the level's compute setting. Shared (read-only) by every Env of that level.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mfhrl/core/config.h"

// MuJoCo's model type, declared here so that users of sim never include MuJoCo headers.
struct mjModel_;

namespace mfhrl::sim {

inline constexpr double kControlPeriod = 0.05;  // seconds per control step, every level
inline constexpr char kHalfCheetahXml[] = "halfcheetah.xml";

// Throws InputError naming the level and field when `level` cannot be simulated
// (non-positive scales, timestep*substeps != 0.05 s, unknown integrator, ...).
void validate_level(const LevelConfig& level);

class LevelModel {
 public:
  // Builds the level from data file halfcheetah.xml (found by find_data_file).
  static std::shared_ptr<const LevelModel> create(const LevelConfig& level);
  // Builds the level from an explicit MJCF file (tests, custom models).
  static std::shared_ptr<const LevelModel> create(const LevelConfig& level,
                                                  const std::string& xml_path);

  // Frees the MuJoCo model.
  ~LevelModel();
  LevelModel(const LevelModel&) = delete;
  LevelModel& operator=(const LevelModel&) = delete;

  // The level this model was built for (validated).
  const LevelConfig& config() const { return config_; }
  // The MuJoCo model (mjModel*); never modified after construction.
  const mjModel_* mj() const { return model_; }
  // Name for messages: the level name, or "(unnamed)".
  const std::string& name() const { return display_name_; }

 private:
  LevelModel(const LevelConfig& level, mjModel_* model);

  LevelConfig config_;
  std::string display_name_;
  mjModel_* model_;
};

// Routes MuJoCo warnings to mfhrl::log::warn and MuJoCo errors to an InvariantError; idempotent
// (LevelModel::create calls it).
void install_mujoco_handlers();

}  // namespace mfhrl::sim
