#include "estimator/scenario/set_override.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

namespace clustercap {
namespace {

const char* const kNameRule =
    "each part of the key must be a name of letters, digits, _ or -, with [N] (0-based) or [+] "
    "after an array of tables";

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Splits "actor[0].site[+].power_mw" into steps; nullopt after reporting
// the first malformed part.
std::optional<std::vector<SetStep>> parse_key(const SetOverride& set, Diagnostics& diagnostics) {
  std::vector<SetStep> steps;
  const std::string& key = set.key;
  std::size_t i = 0;
  auto fail = [&](std::size_t at, const std::string& rule) {
    diagnostics.add({set.label, 1, static_cast<std::int64_t>(at + 1), key, "", rule});
    return std::nullopt;
  };
  while (true) {
    SetStep step;
    step.column = i + 1;
    if (i < key.size() && key[i] == '"') {
      // A quoted part, as TOML writes a key with dots or brackets in it:
      // sweep.grid."actor[0].site[0].power_mw".
      const std::size_t close = key.find('"', i + 1);
      if (close == std::string::npos || close == i + 1) {
        return fail(i, "a quoted part of the key must be a non-empty name in \"...\"");
      }
      step.name = key.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      while (i < key.size() && is_name_char(key[i])) step.name += key[i++];
    }
    if (step.name.empty()) return fail(i, kNameRule);
    if (i < key.size() && key[i] == '[') {
      const std::size_t close = key.find(']', i);
      if (close == std::string::npos) return fail(i, "\"[\" without \"]\"");
      const std::string index = key.substr(i + 1, close - i - 1);
      const bool digits =
          !index.empty() && index.size() <= 9 &&
          std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (index == "+") {
        step.index = SetStep::Index::append;
      } else if (digits) {
        step.index = SetStep::Index::at;
        step.position = static_cast<std::size_t>(std::stoul(index));
      } else {
        return fail(i + 1, "an index must be a whole number (0-based) or + to append");
      }
      i = close + 1;
    }
    steps.push_back(std::move(step));
    if (i == key.size()) return steps;
    if (key[i] != '.') return fail(i, kNameRule);
    ++i;
  }
}

// VALUE as a TOML basic string, so a bare word parses to itself.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(byte));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Parses `value_text` as the TOML value of key "v", laid out so that the
// value starts at `column` (1-based, >= 3) of line 1 under `label`.
toml::parse_result parse_value(const std::string& label, const std::string& value_text,
                               std::size_t column) {
  const std::string text = "v" + std::string(column - 3, ' ') + "=" + value_text;
  return toml::parse(text, std::string(label));
}

// A new, empty table (or a one-table array when `array`) sourced at
// label:1:column, so errors about it name the set.
toml::table sourced_table(const std::string& label, std::size_t column, bool array) {
  const std::string header = array ? "[[v]]" : "[v]";
  return toml::parse(std::string(column - 1, ' ') + header, std::string(label));
}

toml::key sourced_key(const SetOverride& set, const SetStep& step) {
  toml::source_region region;
  region.begin = {1, static_cast<toml::source_index>(step.column)};
  region.end = {1, static_cast<toml::source_index>(step.column + step.name.size())};
  region.path = std::make_shared<const std::string>(set.label);
  return toml::key(step.name, std::move(region));
}

// "actor.site": the table-array path of `steps[0..count)` as error keys name it.
std::string dotted(const std::vector<SetStep>& steps, std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += (i == 0 ? "" : ".") + steps[i].name;
  return text;
}

std::string type_name(const toml::node& node) {
  if (node.is_table()) return "a table";
  if (node.is_array()) return "an array";
  if (node.is_string()) return "a string";
  if (node.is_boolean()) return "a boolean";
  if (node.is_number()) return "a number";
  return "a date or time";
}

}  // namespace

std::string set_label(std::size_t ordinal) { return "--set #" + std::to_string(ordinal); }

std::vector<SetOverride> parse_sets(const std::vector<std::string>& arguments,
                                    Diagnostics& diagnostics) {
  std::vector<SetOverride> sets;
  for (std::size_t n = 0; n < arguments.size(); ++n) {
    SetOverride set;
    set.label = set_label(n + 1);
    set.text = arguments[n];
    const std::size_t equals = set.text.find('=');
    if (equals == std::string::npos) {
      diagnostics.add(
          {set.label, 1, 1, set.text, "", "must be KEY=VALUE, e.g. actor[0].site[0].power_mw=300"});
      continue;
    }
    set.key = set.text.substr(0, equals);
    const std::string value_text = set.text.substr(equals + 1);
    auto steps = parse_key(set, diagnostics);
    if (!steps) continue;
    set.steps = std::move(*steps);
    const std::size_t column = equals + 2;  // VALUE's column in KEY=VALUE; the key is not empty
    const std::size_t first = value_text.find_first_not_of(" \t");
    if (first == std::string::npos) {
      diagnostics.add({set.label, 1, static_cast<std::int64_t>(column), set.key, "",
                       "missing value after \"=\" (an empty string is written \"\")"});
      continue;
    }
    const char lead = value_text[first];
    const bool toml_only = lead == '"' || lead == '\'' || lead == '[' || lead == '{';
    try {
      try {
        set.value = parse_value(set.label, value_text, column);
      } catch (const toml::parse_error&) {
        if (toml_only) throw;
        // A bare word (nvidia_h100, h20): the string it spells.
        set.value = parse_value(set.label, quoted(value_text), column);
      }
    } catch (const toml::parse_error& error) {
      diagnostics.add({set.label, 1, std::max<std::int64_t>(1, error.source().begin.column),
                       set.key, value_text, "invalid TOML: " + std::string(error.description())});
      continue;
    }
    if (set.value.size() != 1 || !set.value.contains("v")) {
      diagnostics.add({set.label, 1, static_cast<std::int64_t>(column), set.key, value_text,
                       "VALUE must be one TOML value"});
      continue;
    }
    sets.push_back(std::move(set));
  }
  return sets;
}

void apply_sets(toml::table& root, std::vector<SetOverride>& sets, Diagnostics& diagnostics) {
  for (SetOverride& set : sets) {
    toml::table* table = &root;
    const std::size_t count = set.steps.size();
    for (std::size_t s = 0; s < count && table != nullptr; ++s) {
      const SetStep& step = set.steps[s];
      const bool last = s + 1 == count;
      auto fail = [&](const std::string& rule) {
        diagnostics.add({set.label, 1, static_cast<std::int64_t>(step.column), set.key, "", rule});
        table = nullptr;
      };
      toml::node* node = table->get(step.name);
      if (step.index == SetStep::Index::none) {
        if (last) {
          table->insert_or_assign(sourced_key(set, step), std::move(*set.value.get("v")));
        } else if (node == nullptr) {
          toml::table created = sourced_table(set.label, step.column, false);
          auto [it, inserted] = table->insert(sourced_key(set, step), std::move(*created.get("v")));
          table = it->second.as_table();
        } else if (node->is_table()) {
          table = node->as_table();
        } else if (node->is_array()) {
          fail(dotted(set.steps, s + 1) + " is an array of tables: give an index, e.g. " +
               step.name + "[0] (0-based)");
        } else {
          fail(dotted(set.steps, s + 1) + " is " + type_name(*node) + ", not a table");
        }
        continue;
      }
      // An indexed step: an element of an array of tables, or a new one.
      if (node != nullptr && !node->is_array()) {
        fail(dotted(set.steps, s + 1) + " is " + type_name(*node) +
             ", not an array of tables: drop the index");
        continue;
      }
      toml::array* array = node == nullptr ? nullptr : node->as_array();
      const std::size_t size = array == nullptr ? 0 : array->size();
      const std::size_t index = step.index == SetStep::Index::append ? size : step.position;
      if (index > size) {
        fail("index " + std::to_string(index) + " is out of range: " + dotted(set.steps, s + 1) +
             " has " + std::to_string(size) + (size == 1 ? " table" : " tables") +
             " here (0-based; [" + std::to_string(size) + "] or [+] appends one)");
        continue;
      }
      if (index < size) {
        toml::node& element = (*array)[index];
        if (last) {
          array->replace(array->cbegin() + static_cast<std::ptrdiff_t>(index),
                         std::move(*set.value.get("v")));
        } else if (element.is_table()) {
          table = element.as_table();
        } else {
          fail(dotted(set.steps, s + 1) + "[" + std::to_string(index) + "] is " +
               type_name(element) + ", not a table");
        }
        continue;
      }
      // index == size: append.
      if (array == nullptr) {
        toml::table created = sourced_table(set.label, step.column, true);
        auto [it, inserted] = table->insert(sourced_key(set, step), std::move(*created.get("v")));
        array = it->second.as_array();
        if (last) array->clear();
      }
      if (last) {
        array->push_back(std::move(*set.value.get("v")));
      } else if (array->size() > index) {
        table = (*array)[index].as_table();  // the one just created with the array
      } else {
        toml::table created = sourced_table(set.label, step.column, true);
        array->push_back(std::move((*created.get("v")->as_array())[0]));
        table = (*array)[index].as_table();
      }
    }
  }
}

}  // namespace clustercap
