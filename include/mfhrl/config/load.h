// Configuration: YAML files merged over the built-in defaults, key=value overrides, validation.
#pragma once

#include <string>
#include <vector>

#include "mfhrl/core/config.h"

namespace mfhrl::config {

// Where a configuration comes from: YAML files merged in order over the built-in defaults
// (configs/halfcheetah.yaml, embedded), then `key=value` overrides (value parsed as YAML).
struct ConfigSource {
  std::vector<std::string> files;      // empty: the built-in defaults only
  std::vector<std::string> overrides;  // "budget.total=500", "fidelity.levels.coarse.cost=0.2"
  bool use_demo = false;               // merge the embedded demo config (configs/demo.yaml) first
};

// Loads, merges, overrides and validates; throws InputError naming the file, key and expectation.
Config load_config(const ConfigSource& source);

// Parses YAML text (named `source_name` in errors) merged over the built-in defaults.
Config parse_config_text(const std::string& yaml_text, const std::string& source_name,
                         const std::vector<std::string>& overrides = {});

// The resolved configuration as YAML; parse_config_text(to_yaml(c)) reproduces c exactly.
std::string to_yaml(const Config& config);

// A short stable hash (hex) of the resolved YAML, to recognise a run file's config.
std::string config_hash(const Config& config);

// The embedded text of a shipped config ("halfcheetah" or "demo").
const std::string& embedded_config(const std::string& name);

}  // namespace mfhrl::config
