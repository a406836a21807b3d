// The one CSV writer every CSV output goes through (RFC 4180): a header and
// rows that share one column list, each field quoted when it must be.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace clustercap::report {

// RFC 4180: the field as is, or quoted when it holds a comma, a quote, CR or
// LF, with each quote doubled.
std::string csv_field(const std::string& text);

// Writes the header on construction and one record per row(); every cell is
// passed through csv_field, so callers hand over plain text and numbers
// already formatted for machines (number_format.hpp). A row whose length
// differs from the header's is a bug in the caller: row() throws
// RuntimeFailure "internal: CSV row of N fields under a header of M" and
// writes nothing of it. Records end in LF. Not thread-safe (one stream).
class CsvWriter {
 public:
  CsvWriter(std::ostream& out, std::vector<std::string> columns);
  void row(const std::vector<std::string>& cells);
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  void write(const std::vector<std::string>& cells);
  std::ostream& out_;
  std::vector<std::string> columns_;
};

}  // namespace clustercap::report
