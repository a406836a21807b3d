// `clustercap validate`: predicted vs published throughput for published
// training runs (configs/validation/published-runs.toml), with the
// published layout and with the layout left to the search.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "estimator/training/search.hpp"
#include "hardware/catalog.hpp"

namespace clustercap::training {

struct ValidationCase {
  // basis: "megatron" (TFLOP/s per chip by Megatron's formula), "model"
  // (MFU against the dense BF16 peak), "model_tflops" (NVIDIA's benchmark
  // tables: model FLOPs per step, causal attention at half, / step time /
  // chips, whatever the precision) or "tokens" (tokens/s per chip).
  std::string id, source, chip_id, basis;
  Workload workload;
  Machine machine;
  int tp = 1, pp = 1, cp = 1;  // as published
  int ep = 1;                  // as published; divides dp and the experts
  std::string recompute;       // forced recompute mode, or empty to search it
  // The recipe as published (tp/pp/cp/recompute too); unset choices searched.
  LayoutConstraints fixed;
  bool host_link_defaulted = false;  // offload set, host_link_gbps not: the default was used
  double reported = 0;               // TFLOP/s per chip, MFU or tokens/s per chip, in `basis`
};

// One prediction of a case, or the step model's reason there is none.
struct ValidationPrediction {
  bool fit = false;          // some layout ran and fit in memory
  LayoutCheck no_fit;        // when !fit: why (memory: the smallest need over the layouts tried)
  Layout layout;             // when fit: the fastest layout
  double predicted = 0;      // when fit: in the case's basis
  double mfu = 0;            // when fit: against the dense BF16 peak (the convention)
  double mfu_precision = 0;  // when fit: against the dense peak at the run's precision
};

struct ValidationRow {
  std::string id;
  std::string basis;
  Precision precision = Precision::bf16;
  bool host_link_defaulted = false;
  double reported = 0;
  ValidationPrediction published;  // TP/PP/CP as published
  ValidationPrediction searched;   // the best layout the search finds
  double error_published = 0;      // published.predicted / reported - 1, when published.fit
  std::uint64_t evaluated = 0;
};

struct ValidationResult {
  std::vector<ValidationRow> rows;
  // Over the rows whose published layout fits (cases_scored of them); 0 when none.
  std::size_t cases_scored = 0;
  double median_abs_error = 0;
  double worst_abs_error = 0;
  std::uint64_t evaluated = 0;
};

// Throws InputErrors on a malformed cases file, or a case whose chip lacks a
// figure the step model needs (dense BF16 peak, HBM capacity and bandwidth).
std::vector<ValidationCase> load_validation_cases(const std::string& name, const std::string& text,
                                                  const Catalog& catalog);
ValidationResult run_validation(const std::vector<ValidationCase>& cases, int threads);
// The embedded configs/validation/published-runs.toml.
const std::string& default_validation_text();

}  // namespace clustercap::training
