// Internal: YAML tree -> validated Config.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "mfhrl/core/config.h"

namespace mfhrl::config::detail {

// Reads every known key (refusing unknown ones) and validates ranges; errors name `source`.
Config config_from_yaml(const YAML::Node& root, const std::string& source);

}  // namespace mfhrl::config::detail
