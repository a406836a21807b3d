// `clustercap validate`: predicted vs published throughput for published
// training runs (configs/validation/published-runs.toml), with the
// published layout and with the layout left to the search.
#pragma once

#include <string>
#include <vector>

#include "estimator/training/search.hpp"
#include "hardware/catalog.hpp"

namespace clustercap::training {

struct ValidationCase {
  std::string id, source, chip_id, basis;  // basis: "megatron" or "model"
  Workload workload;
  Machine machine;
  int tp = 1, pp = 1, cp = 1;  // as published
  std::string recompute;  // forced recompute mode, or empty to search it
  double reported = 0;    // TFLOP/s per chip ("megatron") or MFU ("model")
};

struct ValidationRow {
  std::string id;
  double reported = 0;
  double predicted_published = 0;  // with the published TP/PP
  double predicted_searched = 0;   // with the best layout found
  double error_published = 0;      // predicted / reported - 1
  double mfu_published = 0, mfu_searched = 0;
  Layout layout_published, layout_searched;
  std::uint64_t evaluated = 0;
  std::string basis;
};

struct ValidationResult {
  std::vector<ValidationRow> rows;
  double median_abs_error = 0;
  double worst_abs_error = 0;
  std::uint64_t evaluated = 0;
};

// Throws InputErrors on a malformed cases file.
std::vector<ValidationCase> load_validation_cases(const std::string& name, const std::string& text,
                                                  const Catalog& catalog);
ValidationResult run_validation(const std::vector<ValidationCase>& cases, int threads);
// The embedded configs/validation/published-runs.toml.
const std::string& default_validation_text();

}  // namespace clustercap::training
