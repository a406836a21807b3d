#include "hardware/common/input_error.hpp"

#include <algorithm>

#include "hardware/common/printable.hpp"

namespace clustercap {
namespace {

std::string join_errors(const std::vector<InputError>& errors) {
  std::string text;
  for (const auto& error : errors) {
    if (!text.empty()) text += '\n';
    text += error.to_string();
  }
  return text;
}

}  // namespace

std::string file_position(const std::string& file, std::int64_t line, std::int64_t column) {
  return file + ':' + std::to_string(line) + ':' + std::to_string(column > 0 ? column : 1);
}

std::string InputError::to_string() const {
  std::string text = line > 0 ? file_position(file, line, column) : file;
  text += ": ";
  if (!key.empty()) {
    text += key;
    if (!value.empty()) text += " = " + value;
    text += ": ";
  }
  text += rule;
  return printable_text(text);  // file names, keys and values come from the user
}

InputErrors::InputErrors(std::vector<InputError> errors)
    : std::runtime_error(join_errors(errors)), errors_(std::move(errors)) {}

void Diagnostics::throw_if_any() const {
  if (errors_.empty()) return;
  // File order reads best; errors found in one pass keep their order on ties.
  std::vector<InputError> sorted = errors_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const InputError& a, const InputError& b) {
    if (a.file != b.file) return false;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
  throw InputErrors(std::move(sorted));
}

}  // namespace clustercap
