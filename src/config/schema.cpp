// The schema of a config file: a walk over the key table (keys.h) that reads every key with its
// default and checks its bounds, then the checks that involve more than one key.
#include <cmath>
#include <map>
#include <set>

#include "keys.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/footprint.h"
#include "validate.h"
#include "yaml_fields.h"

namespace mfhrl::config::detail {
namespace {

bool is_auto(const Fields& f, const std::string& key) {
  return f.has(key) && f.node()[key].IsScalar() && f.node()[key].Scalar() == "auto";
}

// Reads key k from f (the mapping k's section names) into out, checking k's bounds.
template <typename T>
void read_key(Fields& f, const Key<T>& k, T& out, bool in_levels) {
  const std::string key = k.leaf();
  const bool required = k.need == Need::kRequired || (k.need == Need::kInLevels && in_levels);
  Value v;
  switch (k.type) {
    case Type::kInteger:
      v = f.integer(key, std::get<long long>(k.fallback), required);
      break;
    case Type::kNumber:
      v = f.number(key, std::get<double>(k.fallback), required);
      break;
    case Type::kBoolean:
      v = f.boolean(key, std::get<bool>(k.fallback));
      break;
    case Type::kText:
    case Type::kEnum:
      v = f.text(key, std::get<std::string>(k.fallback), required);
      break;
    case Type::kIntList:
      v = f.int_list(key, std::get<std::vector<int>>(k.fallback));
      break;
    case Type::kIntOrAuto:
    case Type::kNumOrAuto: {
      const AutoOr& d = std::get<AutoOr>(k.fallback);
      if (is_auto(f, key) || (!f.has(key) && d.is_auto)) {
        f.text(key, "auto");
        v = AutoOr{true, d.is_auto ? d.value : 0};
      } else if (k.type == Type::kIntOrAuto) {
        v = AutoOr{false,
                   static_cast<double>(f.integer(key, static_cast<long long>(d.value), required))};
      } else {
        v = AutoOr{false, f.number(key, d.value, required)};
      }
      break;
    }
    case Type::kLevels:
    case Type::kLevel:
      return;  // read by the caller
  }
  if (!in_bounds(k, v)) f.fail(key, expected_text(k), f.node()[key]);
  k.set(out, v);
}

LevelConfig read_level(const YAML::Node& node, const std::string& path, const std::string& source,
                       bool in_levels) {
  Fields f(node, path, source);
  LevelConfig l;
  for (const Key<LevelConfig>& k : level_keys()) read_key(f, k, l, in_levels);
  if (std::fabs(l.timestep * l.substeps - 0.05) >= 1e-6) {
    f.fail("timestep",
           "timestep * substeps == 0.05 s (the control period); substeps is " +
               std::to_string(l.substeps),
           f.node()["timestep"]);
  }
  f.finish();
  return l;
}

std::vector<LevelConfig> read_levels(Fields& fid, const Key<Config>& k, const std::string& source) {
  const YAML::Node levels = fid.sequence(k.leaf(), expected_text(k));
  std::vector<LevelConfig> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const std::string path = k.name + "[" + std::to_string(i) + "]";
    out.push_back(read_level(levels[i], path, source, true));
    if (!names.insert(out.back().name).second) {
      throw InputError(source + ": key '" + path + ".name': level name '" + out.back().name +
                       "' is used twice");
    }
  }
  return out;
}

}  // namespace

Config config_from_yaml(const YAML::Node& root, const std::string& source) {
  Config c;
  Fields top(root, "", source);
  // One reader per section, kept for the checks after the walk; the keys of a section are
  // contiguous in the table, so each section's unknown keys are refused when it ends.
  std::map<std::string, Fields> sections;
  Fields* open = nullptr;
  std::string open_name;
  for (const Key<Config>& k : config_keys()) {
    const std::string s = k.section();
    if (s.empty()) {
      if (open) open->finish();
      open = nullptr;
    } else if (!open || s != open_name) {
      if (open) open->finish();
      open = &sections.try_emplace(s, top.child(s), s, source).first->second;
      open_name = s;
    }
    Fields& f = open ? *open : top;
    if (k.type == Type::kLevels) {
      c.levels = read_levels(f, k, source);
    } else if (k.type == Type::kLevel) {
      // Absent: the real system is level K (the levels come first in the table).
      c.real = c.levels.back();
      if (f.has(k.leaf())) {
        c.real = read_level(f.child(k.leaf()), k.name, source, false);
        c.real_is_separate = true;
      } else {
        f.child(k.leaf());
      }
    } else {
      read_key(f, k, c, false);
    }
  }
  if (open) open->finish();

  // Checks across keys, with the message of the key they name.
  auto fail = [&](const std::string& section, const std::string& key, const std::string& expected) {
    const Fields& f = sections.at(section);
    f.fail(key, expected, f.node()[key]);
  };
  if (c.online.envs > c.online.batch_transitions) {
    fail("online", "envs", expected_text(config_key("online.envs")));
  }
  if (!(c.h2o.ratio_min > 0 && c.h2o.ratio_min <= c.h2o.ratio_max)) {
    fail("h2o", "ratio_max", "0 < h2o.ratio_min <= h2o.ratio_max");
  }
  if (c.igm.trust_explore > 0.0 && c.igm.trust == LevelTrust::kNone) {
    fail("igm", "trust_explore", "0 when igm.trust is none (every level is trusted fully)");
  }
  // A budget is bounded by the rounds it buys at the cheapest level (time, and a trace row each).
  std::vector<double> costs;
  for (const LevelConfig& l : c.levels) costs.push_back(l.cost);
  const std::string too_long =
      rounds_bound_violation(c.budget_total, costs, c.online.batch_transitions);
  if (!too_long.empty()) throw InputError(source + ": key 'budget.total': " + too_long);
  // The history is the tail of the buffer, so the buffer must hold M batches; 20M rows are 3.3 GB.
  const long long min_capacity = static_cast<long long>(c.igm.history) * c.online.batch_transitions;
  if (c.online.buffer_capacity < min_capacity || c.online.buffer_capacity > 20000000) {
    throw InputError(source +
                     ": key 'online.buffer_capacity': expected an integer in [igm.history " +
                     "* online.batch_transitions = " + std::to_string(min_capacity) +
                     ", 20000000] (rows per level, ~166 bytes each), got " +
                     std::to_string(c.online.buffer_capacity));
  }
  // return: every policy collects a segment of each batch on its own env instances, so n must
  // give each one a row and the instances must divide evenly among the policies.
  if (c.posterior.loss == PosteriorLoss::kReturn &&
      c.online.batch_transitions < c.offline.policies) {
    fail("posterior", "loss",
         "critic or value when online.batch_transitions (" +
             std::to_string(c.online.batch_transitions) + ") < offline.policies (" +
             std::to_string(c.offline.policies) + "); return needs a row per policy");
  }
  if (c.posterior.loss == PosteriorLoss::kReturn && c.online.envs % c.offline.policies != 0) {
    fail("posterior", "loss",
         "critic or value when online.envs (" + std::to_string(c.online.envs) +
             ") is not a multiple of offline.policies (" + std::to_string(c.offline.policies) +
             "); return steps each policy on its own instances");
  }

  top.finish();
  return c;
}

}  // namespace mfhrl::config::detail
