// The config key table: its defaults are the struct's and the shipped config's, the shipped
// configs/halfcheetah.yaml is the text it generates, and its bounds are what validation checks.
#include "keys.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "mfhrl/config/load.h"
#include "mfhrl/core/error.h"
#include "validate.h"

namespace mfhrl::config::detail {
namespace {

std::string show(const Value& v) {
  return std::visit(
      [](const auto& x) {
        using X = std::decay_t<decltype(x)>;
        std::ostringstream os;
        if constexpr (std::is_same_v<X, std::vector<int>>) {
          for (int i : x) os << i << ",";
        } else if constexpr (std::is_same_v<X, AutoOr>) {
          os << (x.is_auto ? "auto/" : "") << x.value;
        } else {
          os << x;
        }
        return os.str();
      },
      v);
}

bool scalar(Type t) {
  return t != Type::kLevels && t != Type::kLevel;
}

// Every key of `c` holds the table's default.
void expect_table_defaults(const Config& c) {
  for (const auto& k : config_keys()) {
    if (!scalar(k.type)) continue;
    EXPECT_EQ(k.get(c), k.fallback)
        << k.name << ": " << show(k.get(c)) << " vs the table's " << show(k.fallback);
  }
}

void expect_same_level(const LevelConfig& a, const LevelConfig& b) {
  for (const auto& k : level_keys()) {
    EXPECT_EQ(k.get(a), k.get(b)) << a.name << "." << k.name;
  }
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ConfigKeys, NamesUniqueSectionsContiguousEveryKeyCommented) {
  std::set<std::string> names, closed;
  std::string section;
  for (const auto& k : config_keys()) {
    EXPECT_TRUE(names.insert(k.name).second) << k.name;
    if (k.section() != section) {
      closed.insert(section);
      EXPECT_FALSE(closed.count(k.section()) && !k.section().empty())
          << "section '" << k.section() << "' is split (at " << k.name << ")";
      section = k.section();
    }
    EXPECT_TRUE(!k.comment.empty() || !k.note.empty()) << k.name << " has no comment";
    EXPECT_TRUE(k.type == Type::kLevels || k.type == Type::kLevel || (k.get && k.set)) << k.name;
  }
  std::set<std::string> level_names;
  for (const auto& k : level_keys()) {
    EXPECT_TRUE(level_names.insert(k.name).second) << k.name;
    EXPECT_EQ(k.section(), "") << k.name;
    EXPECT_FALSE(k.comment.empty()) << k.name;
  }
}

// config.h keeps its member initializers; they must be the table's defaults.
TEST(ConfigKeys, DefaultConfigHoldsTheTableDefaults) {
  expect_table_defaults(Config{});
  const LevelConfig l{};
  for (const auto& k : level_keys()) {
    EXPECT_EQ(k.get(l), k.fallback) << k.name << ": " << show(k.get(l));
  }
}

TEST(ConfigKeys, GeneratedTemplateParsesToTheTableDefaults) {
  const Config c = config_from_yaml(YAML::Load(config_template()), "template");
  expect_table_defaults(c);
  ASSERT_EQ(c.levels.size(), default_levels().size());
  for (std::size_t i = 0; i < c.levels.size(); ++i) {
    expect_same_level(c.levels[i], default_levels()[i].level);
  }
  EXPECT_FALSE(c.real_is_separate);
  expect_same_level(c.real, default_levels().back().level);
  // And so do the built-in defaults (the embedded configs/halfcheetah.yaml).
  expect_table_defaults(load_config({}));
}

// "" when equal, else the first line that differs.
std::string first_difference(const std::string& have, const std::string& want) {
  std::istringstream a(have), b(want);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return have == want ? "" : "the last newline";
    if (!more_a || !more_b || la != lb) {
      return "line " + std::to_string(line) + ": '" + (more_a ? la : "<end>") + "', generated: '" +
             (more_b ? lb : "<end>") + "'";
    }
  }
}

TEST(ConfigKeys, ShippedConfigIsTheGeneratedTemplate) {
  const std::string path = std::string(MFHRL_SOURCE_DIR) + "/configs/halfcheetah.yaml";
  EXPECT_EQ(first_difference(read(path), config_template()), "")
      << path << " is not what the key table generates: run scripts/gen-config.sh";
  EXPECT_EQ(first_difference(embedded_config("halfcheetah"), config_template()), "")
      << "the embedded configs/halfcheetah.yaml (rebuild mfhrl_config)";
}

TEST(ConfigKeys, TemplateNumbersReadBack) {
  EXPECT_EQ(template_number(0), "0.0");
  EXPECT_EQ(template_number(1), "1.0");
  EXPECT_EQ(template_number(10000), "10000.0");
  EXPECT_EQ(template_number(0.005), "0.005");
  EXPECT_EQ(template_number(3e-4), "3.0e-4");
  EXPECT_EQ(template_number(1.5e-5), "1.5e-5");
  EXPECT_EQ(template_number(-17.25), "-17.25");
  EXPECT_EQ(template_number(0.0166666666666667), "0.0166666666666667");
  for (double v : {1.0 / 3, 1e-300, 123456789.125, 0.1 + 0.2}) {
    EXPECT_EQ(YAML::Load(template_number(v)).as<double>(), v) << template_number(v);
  }
}

// A value just outside each bound is refused with the table's text, naming the key.
TEST(ConfigKeys, EveryBoundIsChecked) {
  struct Probe {
    std::string key;  // as an override addresses it
    std::string value;
    std::string expected;
  };
  std::vector<Probe> probes;
  auto add = [&](const std::string& key, const auto& k) {
    const std::string expected = expected_text(k);
    if (k.type == Type::kInteger || k.type == Type::kIntOrAuto) {
      if (k.ints.lo > std::numeric_limits<long long>::min()) {
        probes.push_back({key, std::to_string(k.ints.lo - 1), expected});
      }
      if (k.ints.hi != kNoUpperBound) {
        probes.push_back({key, std::to_string(k.ints.hi + 1), expected});
      }
    } else if (k.type == Type::kNumber || k.type == Type::kNumOrAuto) {
      if (k.nums.lo > -kInf) {
        probes.push_back(
            {key, template_number(k.nums.lo_open ? k.nums.lo : k.nums.lo - 1), expected});
      }
      if (k.nums.hi < kInf) {
        probes.push_back(
            {key, template_number(k.nums.hi_open ? k.nums.hi : k.nums.hi + 1), expected});
      }
    } else if (k.type == Type::kIntList) {
      probes.push_back({key, "[" + std::to_string(k.list.max_value + 1) + "]", expected});
    } else if (k.type == Type::kEnum || (k.type == Type::kText && k.valid)) {
      probes.push_back(
          {key, k.type == Type::kText && k.name == "name" ? "''" : "nonsense", expected});
    }
  };
  for (const auto& k : config_keys()) add(k.name, k);
  for (const auto& k : level_keys()) {
    add("fidelity.levels.coarse." + k.name, k);
    add("real." + k.name, k);
  }
  ASSERT_GT(probes.size(), 80u);
  for (const Probe& p : probes) {
    const std::string item = p.key + "=" + p.value;
    SCOPED_TRACE(item);
    // real.* needs a whole level; give it one (cost optional there).
    const std::string yaml =
        p.key.rfind("real.", 0) == 0 ? "real: {name: gap, timestep: 0.01, substeps: 5}" : "";
    try {
      parse_config_text(yaml, "t.yaml", {item});
      ADD_FAILURE() << "accepted " << item;
    } catch (const InputError& e) {
      const std::string what = e.what();
      std::string shown = p.key;
      if (p.key.rfind("fidelity.levels.coarse.", 0) == 0) {
        shown = "fidelity.levels[0]." + p.key.substr(std::string("fidelity.levels.coarse.").size());
      }
      EXPECT_NE(what.find("key '" + shown + "': expected " + p.expected + ", got"),
                std::string::npos)
          << what;
    }
  }
}

}  // namespace
}  // namespace mfhrl::config::detail
