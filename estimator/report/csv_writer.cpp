#include "estimator/report/csv_writer.hpp"

#include "hardware/common/input_error.hpp"

namespace clustercap::report {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

CsvWriter::CsvWriter(std::ostream& out, std::vector<std::string> columns)
    : out_(out), columns_(std::move(columns)) {
  write(columns_);
}

void CsvWriter::row(const std::vector<std::string>& cells) {
  if (cells.size() != columns_.size()) {
    throw RuntimeFailure("internal: CSV row of " + std::to_string(cells.size()) +
                         " fields under a header of " + std::to_string(columns_.size()));
  }
  write(cells);
}

void CsvWriter::write(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    line += csv_field(cells[i]);
  }
  line += '\n';
  out_ << line;
}

}  // namespace clustercap::report
