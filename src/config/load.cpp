// Config sources: built-in defaults <- files <- key=value overrides, then validation.
#include "mfhrl/config/load.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <type_traits>
#include <variant>

#include "keys.h"
#include "mfhrl/core/bootstrap.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/selection.h"
#include "mfhrl/core/strategy.h"
#include "validate.h"

namespace mfhrl::config {
namespace embedded {
extern const char* const k_halfcheetah;
extern const char* const k_demo;
}  // namespace embedded

namespace {

YAML::Node parse_yaml(const std::string& text, const std::string& source) {
  YAML::Node n;
  try {
    n = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(source + ": not valid YAML (line " + std::to_string(e.mark.line + 1) +
                     ", column " + std::to_string(e.mark.column + 1) + "): " + e.msg);
  }
  if (n.IsNull()) return YAML::Node(YAML::NodeType::Map);
  if (!n.IsMap()) throw InputError(source + ": expected a YAML mapping of config keys at the top");
  return n;
}

// Deep merge: mappings merge key by key, anything else in `over` replaces `base`.
YAML::Node merge(const YAML::Node& base, const YAML::Node& over) {
  if (!base.IsMap() || !over.IsMap()) return YAML::Clone(over);
  YAML::Node out = YAML::Clone(base);
  for (const auto& kv : over) {
    const std::string key = kv.first.as<std::string>();
    out[key] = out[key].IsDefined() ? merge(out[key], kv.second) : YAML::Clone(kv.second);
  }
  return out;
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream ss(key);
  std::string part;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  return parts;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Applies `a.b.c=value`; a list element is addressed by index or by its `name` field.
void apply_override(YAML::Node& root, const std::string& item) {
  const auto eq = item.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw InputError("override '" + item + "': expected key=value (e.g. budget.total=500)");
  }
  const std::string key = item.substr(0, eq);
  const std::vector<std::string> parts = split_key(key);
  YAML::Node value;
  try {
    value = YAML::Load(item.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw InputError("override '" + item + "': value is not valid YAML: " + e.msg);
  }
  std::vector<YAML::Node> chain{root};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node cur = chain.back();
    const std::string& p = parts[i];
    if (cur.IsSequence()) {
      std::size_t found = cur.size();
      for (std::size_t j = 0; j < cur.size(); ++j) {
        if ((all_digits(p) && std::stoul(p) == j) ||
            (cur[j].IsMap() && cur[j]["name"] && cur[j]["name"].as<std::string>() == p)) {
          found = j;
        }
      }
      if (found == cur.size()) {
        throw InputError("override '" + item + "': no element '" + p + "' in list '" +
                         key.substr(0, key.find(p) - 1) + "' (use an index or a level name)");
      }
      chain.push_back(cur[found]);
    } else {
      if (!cur[p].IsDefined() || cur[p].IsNull()) cur[p] = YAML::Node(YAML::NodeType::Map);
      chain.push_back(cur[p]);
    }
  }
  YAML::Node last = chain.back();
  if (last.IsSequence()) {
    throw InputError("override '" + item + "': '" + parts.back() +
                     "' addresses a list element; set one of its fields instead");
  }
  last[parts.back()] = value;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("config file '" + path + "': cannot be opened for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string source_name(const std::vector<std::string>& files, bool overrides) {
  std::string s = files.empty() ? "built-in config" : "";
  for (const auto& f : files) s += (s.empty() ? "" : " + ") + f;
  if (overrides) s += " + command-line overrides";
  return "config (" + s + ")";
}

Config resolve(YAML::Node root, const std::string& source, const std::vector<std::string>& ov) {
  for (const auto& o : ov) apply_override(root, o);
  Config c = detail::config_from_yaml(root, source);
  // Keys whose grammar the core owns are checked here too, so a bad value fails before any work.
  try {
    make_strategy(c.strategy, c.num_levels());
    parse_bootstrap(c.offline.bootstrap);
    parse_threshold_budget(c.igm.threshold_budget);
  } catch (const InputError& e) {
    throw InputError(source + ": " + e.what());
  }
  return c;
}

}  // namespace

const std::string& embedded_config(const std::string& name) {
  static const std::string halfcheetah = embedded::k_halfcheetah;
  static const std::string demo = embedded::k_demo;
  if (name == "halfcheetah") return halfcheetah;
  if (name == "demo") return demo;
  throw InputError("no built-in config named '" + name + "' (known: halfcheetah, demo)");
}

Config load_config(const ConfigSource& src) {
  YAML::Node root = parse_yaml(embedded_config("halfcheetah"), "built-in halfcheetah.yaml");
  if (src.use_demo) root = merge(root, parse_yaml(embedded_config("demo"), "built-in demo.yaml"));
  for (const auto& f : src.files) root = merge(root, parse_yaml(read_file(f), f));
  return resolve(root, source_name(src.files, !src.overrides.empty()), src.overrides);
}

Config parse_config_text(const std::string& text, const std::string& source_name_,
                         const std::vector<std::string>& overrides) {
  YAML::Node root = parse_yaml(embedded_config("halfcheetah"), "built-in halfcheetah.yaml");
  root = merge(root, parse_yaml(text, source_name_));
  return resolve(root, source_name_, overrides);
}

namespace {

// One key's value at `slot`, typed as to_yaml has always written it: config_hash is FNV over the
// text, and run files store both, so the text must not change.
template <typename T>
void put(YAML::Node slot, const detail::Key<T>& k, const T& c) {
  using detail::AutoOr;
  using detail::Type;
  const detail::Value v = k.get(c);
  switch (k.type) {
    case Type::kIntList: {
      YAML::Node n(YAML::NodeType::Sequence);
      for (int x : std::get<std::vector<int>>(v)) n.push_back(x);
      n.SetStyle(YAML::EmitterStyle::Flow);
      slot = n;
      return;
    }
    case Type::kIntOrAuto:
    case Type::kNumOrAuto: {
      const auto& a = std::get<AutoOr>(v);
      if (a.is_auto) {
        slot = "auto";
      } else if (k.type == Type::kIntOrAuto) {
        slot = static_cast<long long>(a.value);
      } else {
        slot = a.value;
      }
      return;
    }
    default:
      std::visit(
          [&](const auto& x) {
            using X = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<X, long long> || std::is_same_v<X, double> ||
                          std::is_same_v<X, bool> || std::is_same_v<X, std::string>) {
              slot = x;
            }
          },
          v);
  }
}

YAML::Node level_node(const LevelConfig& l) {
  YAML::Node n;
  for (const auto& k : detail::level_keys()) put(n[k.name], k, l);
  return n;
}

}  // namespace

std::string to_yaml(const Config& c) {
  YAML::Node n;
  for (const auto& k : detail::config_keys()) {
    const std::string section = k.section();
    if (k.added_later && k.get(c) == k.fallback) continue;
    if (k.type == detail::Type::kLevels) {
      for (const auto& l : c.levels) n[section][k.leaf()].push_back(level_node(l));
    } else if (k.type == detail::Type::kLevel) {
      if (c.real_is_separate) n[k.name] = level_node(c.real);
    } else if (section.empty()) {
      put(n[k.name], k, c);
    } else {
      put(n[section][k.leaf()], k, c);
    }
  }
  YAML::Emitter out;
  out.SetDoublePrecision(17);
  out << n;
  return std::string(out.c_str()) + "\n";
}

std::string config_hash(const Config& c) {
  // FNV-1a over the resolved YAML: stable across runs and platforms.
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : to_yaml(c)) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  std::ostringstream os;
  os << std::hex << std::setw(16) << std::setfill('0') << h;
  return os.str();
}

}  // namespace mfhrl::config
