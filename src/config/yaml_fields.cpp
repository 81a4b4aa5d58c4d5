// From a merged YAML tree to a validated Config.
#include <cmath>
#include <limits>
#include <set>

#include "mfhrl/core/error.h"
#include "yaml_fields.h"

namespace mfhrl::config::detail {
namespace {

std::string describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  return n.IsSequence() ? "a list" : "a mapping";
}

}  // namespace

Fields::Fields(const YAML::Node& node, std::string path, const std::string& source)
    : node_(node), path_(std::move(path)), source_(source) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    throw InputError(source_ + ": key '" + path_ + "': expected a mapping, got " + describe(node_));
  }
}

bool Fields::has(const std::string& key) const {
  return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

std::string Fields::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void Fields::fail(const std::string& key, const std::string& expected,
                  const YAML::Node& got) const {
  throw InputError(source_ + ": key '" + key_path(key) + "': expected " + expected + ", got " +
                   describe(got));
}

double Fields::number(const std::string& key, double fallback, bool required) {
  used_.insert(key);
  if (!has(key)) {
    if (required) fail(key, "a number (the key is required)", YAML::Node());
    return fallback;
  }
  const YAML::Node n = node_[key];
  double v = 0;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v)) {
    fail(key, "a finite number", n);
  }
  return v;
}

long long Fields::integer(const std::string& key, long long fallback, bool required) {
  used_.insert(key);
  if (!has(key)) {
    if (required) fail(key, "an integer (the key is required)", YAML::Node());
    return fallback;
  }
  const YAML::Node n = node_[key];
  long long v = 0;
  if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v)) fail(key, "an integer", n);
  return v;
}

std::string Fields::text(const std::string& key, const std::string& fallback, bool required) {
  used_.insert(key);
  if (!has(key)) {
    if (required) fail(key, "a string (the key is required)", YAML::Node());
    return fallback;
  }
  const YAML::Node n = node_[key];
  if (!n.IsScalar()) fail(key, "a string", n);
  return n.Scalar();
}

bool Fields::boolean(const std::string& key, bool fallback) {
  used_.insert(key);
  if (!has(key)) return fallback;
  const YAML::Node n = node_[key];
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) fail(key, "true or false", n);
  return v;
}

std::vector<int> Fields::int_list(const std::string& key, const std::vector<int>& fallback) {
  used_.insert(key);
  if (!has(key)) return fallback;
  const YAML::Node n = node_[key];
  if (!n.IsSequence() || n.size() == 0) fail(key, "a non-empty list of integers", n);
  std::vector<int> out;
  for (const auto& e : n) {
    int v = 0;
    if (!e.IsScalar() || !YAML::convert<int>::decode(e, v) || v < 1) {
      fail(key, "a list of positive integers", n);
    }
    out.push_back(v);
  }
  return out;
}

YAML::Node Fields::child(const std::string& key) {
  used_.insert(key);
  if (!has(key)) return YAML::Node();
  const YAML::Node n = node_[key];
  if (!n.IsMap()) fail(key, "a mapping", n);
  return n;
}

YAML::Node Fields::sequence(const std::string& key, const std::string& expected) {
  used_.insert(key);
  const YAML::Node n = node_.IsMap() ? node_[key] : YAML::Node();
  if (!n.IsDefined() || !n.IsSequence() || n.size() == 0) fail(key, expected, n);
  return n;
}

void Fields::finish() const {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string k = kv.first.as<std::string>();
    if (!used_.count(k)) {
      std::string known;
      for (const auto& u : used_) known += (known.empty() ? "" : ", ") + u;
      throw InputError(source_ + ": unknown key '" + key_path(k) + "' (known keys here: " + known +
                       ")");
    }
  }
}

}  // namespace mfhrl::config::detail
