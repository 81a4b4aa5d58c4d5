// Typed reads of YAML mappings that remember which keys were used, so unknown keys are refused.
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

namespace mfhrl::config::detail {

// Reads fields of one mapping at `path` (e.g. "budget"); every error names source and full key.
class Fields {
 public:
  Fields(const YAML::Node& node, std::string path, const std::string& source);

  bool has(const std::string& key) const;
  const YAML::Node& node() const { return node_; }
  std::string key_path(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& expected,
                         const YAML::Node& got) const;

  // Each read marks the key as known; `required` keys missing are errors.
  double number(const std::string& key, double fallback, bool required = false);
  long long integer(const std::string& key, long long fallback, bool required = false);
  std::string text(const std::string& key, const std::string& fallback, bool required = false);
  // true | false (YAML's spellings); anything else is an error naming the key.
  bool boolean(const std::string& key, bool fallback);
  std::vector<int> int_list(const std::string& key, const std::vector<int>& fallback);
  // A sub-mapping (empty node when absent; error when not a mapping).
  YAML::Node child(const std::string& key);
  // A non-empty sequence (error when absent or not a sequence).
  YAML::Node sequence(const std::string& key, const std::string& expected);
  // Throws naming the first key that no read asked for.
  void finish() const;

 private:
  YAML::Node node_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> used_;
};

}  // namespace mfhrl::config::detail
