// Internal: the table of config keys. Each key's YAML name, type, default, bounds, comment and
// place in Config are written once, here and in keys.cpp; validation (schema.cpp), to_yaml
// (load.cpp) and the shipped configs/halfcheetah.yaml (template.cpp) all walk the table.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "mfhrl/core/config.h"

namespace mfhrl::config::detail {

enum class Type {
  kInteger,
  kNumber,
  kBoolean,
  kText,       // free text, optionally checked by Key::valid (grammars owned elsewhere)
  kEnum,       // one of EnumNames<E>'s names, parsed into E
  kIntList,    // a non-empty flow list of positive integers
  kIntOrAuto,  // threads: auto | an integer
  kNumOrAuto,  // posterior.eta: auto | a number
  kLevels,     // fidelity.levels: the list of levels, each read with level_keys()
  kLevel,      // real: absent (level K) or one level read with level_keys()
};

// auto, or a number (an integer for kIntOrAuto).
struct AutoOr {
  bool is_auto = true;
  double value = 0;
  bool operator==(const AutoOr& o) const { return is_auto == o.is_auto && value == o.value; }
};

// A key's value: integers (kInteger) as long long, kNumber as double, kText and kEnum as text.
using Value = std::variant<long long, double, bool, std::string, std::vector<int>, AutoOr>;

inline constexpr long long kNoUpperBound = std::numeric_limits<long long>::max();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// Integers (and kIntOrAuto counts): [lo, hi]; `why` says what the upper bound protects (memory or
// time), so a user who hits it knows what to change. hi == kNoUpperBound: no upper bound.
struct IntRange {
  long long lo = std::numeric_limits<long long>::min();
  long long hi = kNoUpperBound;
  std::string why;
};

// Numbers: lo and hi, each open or closed, infinite when absent. The error says
// "<noun> > lo<unit>", "<noun> in [lo, hi)<unit>" and so on.
struct NumRange {
  std::string noun = "a number";
  double lo = -kInf;
  double hi = kInf;
  bool lo_open = false;
  bool hi_open = false;
  std::string unit;
};

// Integer lists (layer widths): at most max_len entries of at most max_value each.
struct ListRange {
  std::size_t max_len = 16;
  int max_value = 8192;
};

enum class Need {
  kOptional,
  kRequired,
  kInLevels,  // required in fidelity.levels[i], optional in real (a level's cost)
};

// One key of a mapping of T (Config, or LevelConfig for the keys of a level).
template <typename T>
struct Key {
  std::string name;  // dotted YAML name: "online.batch_transitions", "seed"; a level's: "cost"
  Type type = Type::kInteger;
  Value fallback;  // the default (for required keys: what the shipped config gives)
  Need need = Need::kOptional;
  IntRange ints;                                  // kInteger, kIntOrAuto
  NumRange nums;                                  // kNumber, kNumOrAuto
  ListRange list;                                 // kIntList
  std::vector<std::string> choices;               // kEnum: the names, in EnumNames order
  std::function<bool(const std::string&)> valid;  // kText: the value's grammar (empty: any)
  // The "expected ..." of an out-of-bounds error when the bounds cannot say it themselves
  // (kText always; a bound that depends on another key).
  std::string expected;
  std::string comment;  // one line after the value in configs/halfcheetah.yaml (wrapped there)
  std::string note;     // a paragraph above the key there (empty: none)
  // A key added after run files began to store config_hash: to_yaml writes it only when its value
  // differs from `fallback`, so the text (and hash) of every config that leaves it at its default
  // is what earlier builds wrote, and their run files still resume. Config keys only: to_yaml
  // writes every level key (a level key marked so would still be written).
  bool added_later = false;
  std::function<Value(const T&)> get;
  std::function<void(T&, const Value&)> set;

  // "online" for "online.batch_transitions", "" for a top-level key.
  std::string section() const;
  // "batch_transitions" for "online.batch_transitions".
  std::string leaf() const;
};

// The keys of a config, in the order to_yaml writes them (so config_hash of existing run files
// holds) and configs/halfcheetah.yaml lists them; the keys of one section are contiguous.
const std::vector<Key<Config>>& config_keys();
// The keys of one level (fidelity.levels[i] and real), in to_yaml's order.
const std::vector<Key<LevelConfig>>& level_keys();
// The key named `name` (throws std::out_of_range when there is none).
const Key<Config>& config_key(const std::string& name);

// The shipped default levels, each with a one-line comment for configs/halfcheetah.yaml.
struct DefaultLevel {
  LevelConfig level;
  std::string comment;
};
const std::vector<DefaultLevel>& default_levels();

// The comment block at the top of configs/halfcheetah.yaml (lines separated by '\n').
extern const char* const kTemplateHeader;

// Whether v is within k's bounds (and, for kText and kEnum, its grammar or names).
template <typename T>
bool in_bounds(const Key<T>& k, const Value& v);
// What a value of k must be, for the error when it is not: "an integer in [1, 1024] (L; ...)".
template <typename T>
std::string expected_text(const Key<T>& k);

// The text of configs/halfcheetah.yaml: the header, every key with its default and comment,
// the default levels (template.cpp).
std::string config_template();
// A number as configs/halfcheetah.yaml writes it: the shortest text that reads back to v, with
// a decimal point ("1.0", "0.005", "3.0e-4").
std::string template_number(double v);

}  // namespace mfhrl::config::detail
