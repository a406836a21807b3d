#include "hardware/common/toml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hardware/common/text_match.hpp"

namespace clustercap {
namespace {

constexpr std::size_t kMaxShownChars = 60;
constexpr std::size_t kMaxLineChars = 10000;

std::string node_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "nothing";
  }
}

std::string two_digits(int value) {
  return std::string(value < 10 ? "0" : "") + std::to_string(value);
}

std::string format_date(const toml::date& d) {
  return std::to_string(d.year) + '-' + two_digits(d.month) + '-' + two_digits(d.day);
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Empty when `text` is a real "YYYY-MM-DD" calendar date; otherwise the rule
// it breaks (`shape` for a malformed one, which callers word themselves).
std::string date_rule(const std::string& text, const std::string& shape) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return shape;
  for (std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U, 8U, 9U}) {
    if (text[i] < '0' || text[i] > '9') return shape;
  }
  const int year = std::stoi(text.substr(0, 4));
  const int month = std::stoi(text.substr(5, 2));
  const int day = std::stoi(text.substr(8, 2));
  if (month < 1 || month > 12 || day < 1) return shape;
  const int days = days_in_month(year, month);
  if (day > days) {
    return "is not a calendar date: " + text.substr(0, 7) + " has " + std::to_string(days) +
           " days";
  }
  return "";
}

}  // namespace

bool Range::contains(double x) const {
  if (!std::isfinite(x)) return false;
  const bool above_min = min_inclusive ? x >= min : x > min;
  const bool below_max = max_inclusive ? x <= max : x < max;
  return above_min && below_max;
}

std::string Range::rule() const {
  const bool has_min = std::isfinite(min);
  const bool has_max = std::isfinite(max);
  if (has_min && has_max && min_inclusive && max_inclusive) {
    return "must be in [" + format_number(min) + ", " + format_number(max) + "]";
  }
  if (has_min && has_max && !min_inclusive && max_inclusive) {
    return "must be in (" + format_number(min) + ", " + format_number(max) + "]";
  }
  std::string text = "must be";
  if (has_min) text += std::string(min_inclusive ? " >= " : " > ") + format_number(min);
  if (has_min && has_max) text += " and";
  if (has_max) text += std::string(max_inclusive ? " <= " : " < ") + format_number(max);
  return text;
}

std::string format_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Whole numbers below 1e15 print as integers (1000000, not 1e+06).
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, result.ptr);
  // "1e+30" -> "1e30", "2.5e-07" -> "2.5e-7": the form users type in TOML.
  const auto e = text.find('e');
  if (e != std::string::npos) {
    std::string exponent = text.substr(e + 1);
    const bool negative = exponent[0] == '-';
    if (exponent[0] == '+' || exponent[0] == '-') exponent.erase(0, 1);
    while (exponent.size() > 1 && exponent[0] == '0') exponent.erase(0, 1);
    text = text.substr(0, e + 1) + (negative ? "-" : "") + exponent;
  }
  return text;
}

std::string describe_node(const toml::node& node) {
  if (const auto* s = node.as_string()) {
    std::string text = s->get();
    if (text.size() > kMaxShownChars) text = text.substr(0, kMaxShownChars) + "...";
    std::string quoted = "\"";
    for (char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        quoted += '\\';
        quoted += c;
      } else if (byte < 0x20) {
        quoted += "\\x" + std::string(1, "0123456789abcdef"[byte >> 4]) +
                  std::string(1, "0123456789abcdef"[byte & 15]);
      } else {
        quoted += c;
      }
    }
    return quoted + "\"";
  }
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) return format_number(f->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* d = node.as_date()) return format_date(d->get());
  if (node.is_array()) return "[...]";
  if (node.is_table()) return "{...}";
  return node_type_name(node);
}

std::optional<toml::table> parse_toml(const std::string& name, std::string_view text,
                                      Diagnostics& diagnostics) {
  // toml++ recurses once per dotted-key part, so a pathological line (tens of
  // thousands of parts) overflows the stack; no real config line is this long.
  std::int64_t line_number = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      if (i - line_start > kMaxLineChars) {
        diagnostics.add(
            {name, line_number, 1, "", "",
             "line is longer than " + std::to_string(kMaxLineChars) + " characters; split it"});
        return std::nullopt;
      }
      ++line_number;
      line_start = i + 1;
    }
  }
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    std::string description(error.description());
    diagnostics.add({name, std::max<std::int64_t>(1, begin.line),
                     std::max<std::int64_t>(1, begin.column), "", "",
                     "invalid TOML: " + description});
    return std::nullopt;
  }
}

std::optional<std::string> read_text_file(const std::string& path, Diagnostics& diagnostics) {
  if (path.empty()) {
    diagnostics.add({"\"\"", 0, 0, "", "", "an empty string is not a file name"});
    return std::nullopt;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diagnostics.add({path, 0, 0, "", "", "is a directory, not a file"});
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.add({path, 0, 0, "", "", "cannot open file (does it exist and is it readable?)"});
    return std::nullopt;
  }
  // Read at most one byte past the cap: /dev/zero or a huge log given by
  // mistake must fail fast, not exhaust memory.
  std::string content;
  std::size_t size = 0;
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  while (size <= kMaxInputFileBytes && in) {
    const std::size_t want = std::min(kChunk, kMaxInputFileBytes + 1 - size);
    content.resize(size + want);
    in.read(&content[size], static_cast<std::streamsize>(want));
    size += static_cast<std::size_t>(in.gcount());
  }
  content.resize(size);
  if (in.bad()) {
    diagnostics.add({path, 0, 0, "", "", "cannot read file"});
    return std::nullopt;
  }
  if (size > kMaxInputFileBytes) {
    diagnostics.add({path, 0, 0, "", "",
                     "larger than 64 MiB, the cap for input files (is it the right file?)"});
    return std::nullopt;
  }
  return content;
}

TableReader::TableReader(const toml::table& table, std::string path, std::string file,
                         Diagnostics& diagnostics)
    : table_(&table), path_(std::move(path)), file_(std::move(file)), diagnostics_(&diagnostics) {}

std::string TableReader::indexed_key(std::string_view key) const {
  const std::string& base = indexed_path_.empty() ? path_ : indexed_path_;
  if (base.empty()) return std::string(key);
  if (key.empty()) return base;
  return base + "." + std::string(key);
}

std::optional<double> TableReader::distribution(std::string_view key, const toml::node& node,
                                                const Range& range) {
  TableReader spec(*node.as_table(), key_path(key), file_, *diagnostics_);
  spec.indexed_path_ = indexed_key(key);
  return (*distributions_)(spec, range, indexed_key(key));
}

std::string TableReader::key_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  if (key.empty()) return path_;
  return path_ + "." + std::string(key);
}

std::int64_t TableReader::line() const {
  return std::max<std::int64_t>(1, table_->source().begin.line);
}

std::int64_t TableReader::column() const {
  return std::max<std::int64_t>(1, table_->source().begin.column);
}

const std::string& TableReader::file() const {
  const auto& path = table_->source().path;
  return path ? *path : file_;
}

void TableReader::add_error(const toml::node* at, std::string_view key, std::string rule) {
  InputError error{file(), line(), column(), key_path(key), "", std::move(rule)};
  if (at != nullptr) {
    // A value spliced in from elsewhere (a --set) names where it came from.
    if (at->source().path) error.file = *at->source().path;
    error.line = std::max<std::int64_t>(1, at->source().begin.line);
    error.column = std::max<std::int64_t>(1, at->source().begin.column);
    error.value = describe_node(*at);
  }
  diagnostics_->add(std::move(error));
}

const std::string& TableReader::file_of(std::string_view key) const {
  const toml::node* node = table_->get(key);
  return node != nullptr && node->source().path ? *node->source().path : file();
}

std::string TableReader::location() const { return file_position(file(), line(), column()); }

std::pair<std::int64_t, std::int64_t> TableReader::position(std::string_view key) const {
  const toml::node* node = table_->get(key);
  if (node == nullptr) return {line(), column()};
  return {std::max<std::int64_t>(1, node->source().begin.line),
          std::max<std::int64_t>(1, node->source().begin.column)};
}

void TableReader::error_at(std::string_view key, std::string rule) {
  add_error(table_->get(key), key, std::move(rule));
}

void TableReader::error_missing(std::string_view key, std::string rule) {
  add_error(nullptr, key, std::move(rule));
}

void TableReader::type_error(std::string_view key, const toml::node& node,
                             std::string_view expected) {
  add_error(&node, key, "must be " + std::string(expected) + ", not " + node_type_name(node));
}

const toml::node* TableReader::find(std::string_view key, Presence presence,
                                    std::string_view expected) {
  known_keys_.emplace_back(key);
  const toml::node* node = table_->get(key);
  if (node == nullptr && presence == Presence::required) {
    add_error(nullptr, key, "missing required key (" + std::string(expected) + ")");
  }
  return node;
}

// The one reading of a number: a TOML integer or float (or a distribution's
// median, where allowed), finite, whole when asked, inside the range.
std::optional<double> TableReader::checked_number(std::string_view key, const Range& range,
                                                  Presence presence, bool whole) {
  const char* expected = whole ? "an integer" : "a number";
  const toml::node* node = find(key, presence, expected);
  if (node == nullptr) return std::nullopt;
  double value = 0.0;
  if (const auto* i = node->as_integer()) {
    value = static_cast<double>(i->get());
  } else if (const auto* f = node->as_floating_point()) {
    value = f->get();
  } else if (node->is_table() && distributions_) {
    const auto median = distribution(key, *node, range);
    if (median && whole) return std::round(*median);
    return median;
  } else {
    type_error(key, *node, expected);
    return std::nullopt;
  }
  if (!std::isfinite(value)) {
    add_error(node, key, "must be a finite number");
    return std::nullopt;
  }
  if (whole && value != std::floor(value)) {
    add_error(node, key, "must be a whole number");
    return std::nullopt;
  }
  if (!range.contains(value)) {
    add_error(node, key, range.rule());
    return std::nullopt;
  }
  return value;
}

std::optional<double> TableReader::number(std::string_view key, const Range& range,
                                          Presence presence) {
  return checked_number(key, range, presence, false);
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, const Range& range,
                                                 Presence presence) {
  const auto value = checked_number(key, range, presence, true);
  if (!value) return std::nullopt;
  return static_cast<std::int64_t>(*value);
}

std::optional<std::string> TableReader::string(std::string_view key, Presence presence) {
  const toml::node* node = find(key, presence, "a string");
  if (node == nullptr) return std::nullopt;
  const auto* s = node->as_string();
  if (s == nullptr) {
    type_error(key, *node, "a string");
    return std::nullopt;
  }
  return s->get();
}

std::optional<bool> TableReader::boolean(std::string_view key, Presence presence) {
  const toml::node* node = find(key, presence, "true or false");
  if (node == nullptr) return std::nullopt;
  const auto* b = node->as_boolean();
  if (b == nullptr) {
    type_error(key, *node, "true or false");
    return std::nullopt;
  }
  return b->get();
}

std::optional<std::string> TableReader::date(std::string_view key, Presence presence) {
  const toml::node* node = find(key, presence, "a date like 2025-12-31");
  if (node == nullptr) return std::nullopt;
  if (const auto* d = node->as_date()) return format_date(d->get());
  if (const auto* s = node->as_string()) {
    const std::string rule = date_rule(s->get(), "must be a date like 2025-12-31");
    if (rule.empty()) return s->get();
    add_error(node, key, rule);
    return std::nullopt;
  }
  type_error(key, *node, "a date like 2025-12-31");
  return std::nullopt;
}

std::optional<std::string> TableReader::month(std::string_view key, Presence presence) {
  const toml::node* node = find(key, presence, "a month like 2025-03");
  if (node == nullptr) return std::nullopt;
  if (const auto* d = node->as_date()) return format_date(d->get()).substr(0, 7);
  if (const auto* s = node->as_string()) {
    const std::string& text = s->get();
    const std::string shape = "must be a month like 2025-03";
    const std::string rule =
        text.size() == 7 ? date_rule(text + "-01", shape) : date_rule(text, shape);
    if (rule.empty()) return text.substr(0, 7);
    add_error(node, key, rule);
    return std::nullopt;
  }
  type_error(key, *node, "a month like 2025-03");
  return std::nullopt;
}

std::optional<std::vector<double>> TableReader::number_list(std::string_view key,
                                                            Presence presence) {
  const toml::node* node = find(key, presence, "an array of numbers");
  if (node == nullptr) return std::nullopt;
  const auto* array = node->as_array();
  if (array == nullptr) {
    type_error(key, *node, "an array of numbers");
    return std::nullopt;
  }
  std::vector<double> items;
  bool ok = true;
  for (const auto& item : *array) {
    std::optional<double> v;
    if (const auto* i = item.as_integer()) v = static_cast<double>(i->get());
    if (const auto* f = item.as_floating_point()) v = f->get();
    if (!v || !std::isfinite(*v)) {
      add_error(&item, key, "every element must be a finite number");
      ok = false;
    } else {
      items.push_back(*v);
    }
  }
  if (!ok) return std::nullopt;
  return items;
}

std::optional<std::vector<std::string>> TableReader::string_list(std::string_view key,
                                                                 Presence presence) {
  const toml::node* node = find(key, presence, "an array of strings");
  if (node == nullptr) return std::nullopt;
  const auto* array = node->as_array();
  if (array == nullptr) {
    type_error(key, *node, "an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (const auto& item : *array) {
    if (const auto* s = item.as_string()) {
      items.push_back(s->get());
    } else {
      add_error(&item, key, "every element must be a string, not " + node_type_name(item));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return items;
}

std::optional<TableReader> TableReader::table(std::string_view key, Presence presence) {
  const toml::node* node = find(key, presence, "a table [" + key_path(key) + "]");
  if (node == nullptr) return std::nullopt;
  const auto* sub = node->as_table();
  if (sub == nullptr) {
    type_error(key, *node, "a table");
    return std::nullopt;
  }
  TableReader child(*sub, key_path(key), file_, *diagnostics_);
  child.indexed_path_ = indexed_key(key);
  child.distributions_ = distributions_;
  return child;
}

std::vector<TableReader> TableReader::table_array(std::string_view key, Presence presence) {
  const toml::node* node = find(key, presence, "at least one [[" + key_path(key) + "]] table");
  std::vector<TableReader> readers;
  if (node == nullptr) return readers;
  const auto* array = node->as_array();
  if (array == nullptr) {
    type_error(key, *node, "an array of tables [[" + key_path(key) + "]]");
    return readers;
  }
  std::size_t index = 0;
  for (const auto& item : *array) {
    if (const auto* sub = item.as_table()) {
      readers.emplace_back(*sub, key_path(key), file_, *diagnostics_);
      readers.back().indexed_path_ = indexed_key(key) + "[" + std::to_string(index++) + "]";
      readers.back().distributions_ = distributions_;
    } else {
      add_error(&item, key, "every element must be a table, not " + node_type_name(item));
    }
  }
  if (readers.empty() && presence == Presence::required && array->empty()) {
    add_error(node, key, "must hold at least one table");
  }
  return readers;
}

std::vector<std::string> TableReader::keys() const {
  std::vector<std::string> names;
  for (const auto& [key, node] : *table_) names.emplace_back(key.str());
  return names;
}

void TableReader::report_unknown_keys() {
  for (const auto& [key, node] : *table_) {
    const std::string name(key.str());
    bool known = false;
    for (const auto& k : known_keys_) known = known || k == name;
    if (known) continue;
    // Point at the key itself, where the typo is.
    InputError error{key.source().path ? *key.source().path : file(),
                     std::max<std::int64_t>(1, key.source().begin.line),
                     std::max<std::int64_t>(1, key.source().begin.column),
                     key_path(name),
                     describe_node(node),
                     "unknown key" + did_you_mean(name, known_keys_)};
    diagnostics_->add(std::move(error));
  }
}

}  // namespace clustercap
