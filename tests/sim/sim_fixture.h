// Helpers shared by the sim tests: the default levels by name and reproducible random actions.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "mfhrl/config/load.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/rng.h"
#include "mfhrl/sim/env.h"
#include "mfhrl/sim/level_model.h"

namespace mfhrl::testing {

// The shipped default levels (configs/halfcheetah.yaml, from the config key table).
inline const std::vector<LevelConfig>& default_levels() {
  static const std::vector<LevelConfig> levels = config::load_config(config::ConfigSource{}).levels;
  return levels;
}

// The default level called `name` (coarse, medium, real).
inline LevelConfig default_level(const std::string& name) {
  for (const auto& l : default_levels()) {
    if (l.name == name) return l;
  }
  throw InvariantError("no default level " + name);
}

// A model of the default level `name`, loaded once per test binary.
inline std::shared_ptr<const sim::LevelModel> level_model(const std::string& name) {
  static std::shared_ptr<const sim::LevelModel> models[3];
  const int i = name == "coarse" ? 0 : name == "medium" ? 1 : 2;
  if (!models[i]) models[i] = sim::LevelModel::create(default_level(name));
  return models[i];
}

// Uniform actions in [-1, 1) from a test stream.
inline std::array<float, kActDim> random_action(Rng& rng) {
  std::array<float, kActDim> a{};
  for (float& x : a) x = static_cast<float>(rng.uniform(-1.0, 1.0));
  return a;
}

}  // namespace mfhrl::testing
