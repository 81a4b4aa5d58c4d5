// configs/halfcheetah.yaml, generated from the key table: every key with its default and its
// comment, the default levels, the notes above keys.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "keys.h"

namespace mfhrl::config::detail {
namespace {

constexpr std::size_t kCommentColumn = 30;  // where a comment after a value starts
constexpr std::size_t kWidth = 100;         // comments wrap onto lines of at most this width

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// `text` as comment lines: the first after `first` (padded to kCommentColumn), the rest after
// `rest`, each "# " and as many words as fit in kWidth columns.
std::string wrap(const std::string& first, const std::string& rest, const std::string& text) {
  std::string out;
  std::string line = first;
  bool empty = true;
  for (const std::string& w : words(text)) {
    if (!empty && line.size() + 1 + w.size() > kWidth) {
      out += line + "\n";
      line = rest;
      empty = true;
    }
    line += (empty ? "# " : " ") + w;
    empty = false;
  }
  return out + line + "\n";
}

// A line `code` with `comment` after it at kCommentColumn (and continuation lines under it).
std::string commented(const std::string& code, const std::string& comment) {
  if (comment.empty()) return code + "\n";
  const std::size_t pad = code.size() < kCommentColumn ? kCommentColumn - code.size() : 1;
  return wrap(code + std::string(pad, ' '), std::string(kCommentColumn, ' '), comment);
}

// A comment block at `indent`, one paragraph per line of `text`.
std::string block(const std::string& text, std::size_t indent) {
  std::string out;
  std::istringstream in(text);
  const std::string prefix(indent, ' ');
  for (std::string paragraph; std::getline(in, paragraph);) out += wrap(prefix, prefix, paragraph);
  return out;
}

template <typename T>
std::string value_text(const Key<T>& k, const Value& v) {
  switch (k.type) {
    case Type::kInteger:
      return std::to_string(std::get<long long>(v));
    case Type::kNumber:
      return template_number(std::get<double>(v));
    case Type::kBoolean:
      return std::get<bool>(v) ? "true" : "false";
    case Type::kText:
    case Type::kEnum: {
      const auto& s = std::get<std::string>(v);
      return s.empty() ? "\"\"" : s;
    }
    case Type::kIntList: {
      std::string s = "[";
      for (int x : std::get<std::vector<int>>(v))
        s += (s.size() > 1 ? ", " : "") + std::to_string(x);
      return s + "]";
    }
    case Type::kIntOrAuto:
    case Type::kNumOrAuto: {
      const auto& a = std::get<AutoOr>(v);
      if (a.is_auto) return "auto";
      return k.type == Type::kIntOrAuto ? std::to_string(static_cast<long long>(a.value))
                                        : template_number(a.value);
    }
    case Type::kLevels:
    case Type::kLevel:
      break;
  }
  return "";
}

// The default levels under `  levels:`; the first level carries the comments of the level keys.
std::string levels_text() {
  std::string out;
  bool first = true;
  for (const DefaultLevel& d : default_levels()) {
    for (const Key<LevelConfig>& k : level_keys()) {
      const bool head = &k == &level_keys().front();
      const std::string code =
          (head ? "    - " : "      ") + k.name + ": " + value_text(k, k.get(d.level));
      out += commented(code, head ? d.comment : (first ? k.comment : ""));
    }
    first = false;
  }
  return out;
}

}  // namespace

std::string template_number(double v) {
  if (v == 0) return "0.0";
  // The fewest significant digits that read back to v.
  char buf[64];
  int digits = 1;
  for (; digits < 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
  const std::string sci = buf;
  const int exponent = std::atoi(sci.c_str() + sci.find('e') + 1);
  if (std::fabs(v) < 1e-3) {
    // 3.0e-4: the mantissa with a decimal point, the exponent without padding.
    std::string mantissa = sci.substr(0, sci.find('e'));
    if (mantissa.find('.') == std::string::npos) mantissa += ".0";
    return mantissa + "e" + std::to_string(exponent);
  }
  const int decimals = std::max(1, digits - 1 - exponent);
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string config_template() {
  std::string out = block(kTemplateHeader, 0);
  bool first = true;
  std::string section;
  for (const Key<Config>& k : config_keys()) {
    const std::string s = k.section();
    if (first || s != section) {
      if (!first) out += "\n";
      if (!s.empty()) out += s + ":\n";
      section = s;
      first = false;
    }
    const std::string indent(s.empty() ? 0 : 2, ' ');
    if (!k.note.empty()) out += block(k.note, indent.size());
    if (k.type == Type::kLevels) {
      out += commented(indent + k.leaf() + ":", k.comment);
      out += levels_text();
    } else if (k.type != Type::kLevel) {  // real: absent by default, only its note
      out += commented(indent + k.leaf() + ": " + value_text(k, k.fallback), k.comment);
    }
  }
  return out;
}

}  // namespace mfhrl::config::detail
