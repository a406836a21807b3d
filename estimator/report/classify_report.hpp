// Reporters for `classify` (clustercap.classify.v1): the metrics behind each
// verdict and every threshold checked, per rule vintage and per reading of the
// chip's rates.
#pragma once

#include <ostream>
#include <vector>

#include "hardware/export_control.hpp"

namespace clustercap::report {

inline constexpr const char* kClassifySchema = "clustercap.classify.v1";

struct ClassifiedReading {
  export_control::ChipMetrics metrics;
  std::vector<export_control::Verdict> verdicts;
  std::vector<export_control::Headroom> headroom;  // filled with --headroom
  std::string headroom_rule;
};

struct ClassifiedChip {
  std::string id;
  std::string name;
  std::vector<ClassifiedReading> readings;
};

void write_classify_table(const std::vector<ClassifiedChip>& chips, std::ostream& out);
void write_classify_json(const std::vector<ClassifiedChip>& chips, std::ostream& out);
void write_classify_csv(const std::vector<ClassifiedChip>& chips, std::ostream& out);

}  // namespace clustercap::report
