// Input diagnostics shared by every loader (catalog, scenario, CLI).
//
// An InputError names where (file:line:col), what (the dotted key), the value
// as written and the rule it broke. Loaders collect every error in a
// Diagnostics object and throw InputErrors once at the end, so a user sees all
// problems of a file in one run. main() maps InputErrors to exit code 2.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace clustercap {

struct InputError {
  std::string file;
  std::int64_t line = 0;    // 1-based; 0 when the error has no position
  std::int64_t column = 0;  // 1-based; 0 when the error has no position
  std::string key;          // dotted path, e.g. "actor.site.power_mw"; may be empty
  std::string value;        // the value as written; empty when there is none
  std::string rule;         // what is wrong and, where possible, the fix

  // "FILE:LINE:COL: KEY = VALUE: RULE", dropping the parts that are empty.
  std::string to_string() const;
};

// "FILE:LINE:COL" (the column at least 1): where an error or a first
// definition is, the one form every message uses.
std::string file_position(const std::string& file, std::int64_t line, std::int64_t column);

// Thrown when input is invalid; carries every error found.
class InputErrors : public std::runtime_error {
 public:
  explicit InputErrors(std::vector<InputError> errors);
  const std::vector<InputError>& errors() const { return errors_; }

 private:
  std::vector<InputError> errors_;
};

// Thrown for failures that are not the input's fault (I/O, internal limits).
// main() maps it to exit code 1.
class RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Diagnostics {
 public:
  void add(InputError error) { errors_.push_back(std::move(error)); }
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  const std::vector<InputError>& errors() const { return errors_; }
  // Throws InputErrors when any error was added.
  void throw_if_any() const;

 private:
  std::vector<InputError> errors_;
};

}  // namespace clustercap
