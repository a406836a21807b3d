// `clustercap validate`: predicted vs published throughput for published
// training runs (every file of configs/validation/ by default), with the
// published layout and with the layout left to the search, scored overall,
// in-sample vs out-of-sample (fitted_constants.hpp), per chip family and per
// precision.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "estimator/training/search.hpp"
#include "hardware/catalog.hpp"

namespace clustercap::training {

// A chip's catalogued matmul efficiency (hardware/data/chips.toml,
// matmul_efficiency), which the step model uses in place of the A100-fitted
// ceiling, with the validation cases it was derived from.
struct ChipMatmulEfficiency {
  std::string chip_id;
  double value = 0;
  std::vector<std::string> fitted_on;  // case ids; these cases are in-sample
  std::string notes;                   // how it was read from its sources
};

struct ValidationCase {
  // basis: "megatron" (TFLOP/s per chip by Megatron's formula), "model"
  // (MFU against the dense BF16 peak), "model_tflops" (NVIDIA's benchmark
  // tables: model FLOPs per step, causal attention at half, / step time /
  // chips, whatever the precision) or "tokens" (tokens/s per chip).
  std::string id, source, chip_id, basis;
  std::string file;         // the cases file it was read from
  std::string chip_family;  // chip_family() of its chip
  Workload workload;
  Machine machine;
  int tp = 1, pp = 1, cp = 1;  // as published
  int ep = 1;                  // as published; divides the experts, ep x etp divides tp x cp x dp
  int etp = 1;                 // expert tensor-parallel degree as published (Megatron-Core's)
  std::string recompute;       // forced recompute mode, or empty to search it
  // The recipe as published (tp/pp/cp/recompute too, microbatch when the
  // case gives it); unset choices searched.
  LayoutConstraints fixed;
  bool host_link_defaulted = false;  // offload set, host_link_gbps not: the default was used
  double reported = 0;               // TFLOP/s per chip, MFU or tokens/s per chip, in `basis`
  // The chip's matmul efficiency when the catalog gives one (chip_id empty otherwise).
  ChipMatmulEfficiency matmul_efficiency;
};

// One prediction of a case, or the step model's reason there is none.
struct ValidationPrediction {
  bool fit = false;      // some layout ran and fit in memory
  LayoutCheck no_fit;    // when !fit: why (memory: the smallest need over the layouts tried)
  Layout layout;         // when fit: the fastest layout
  double predicted = 0;  // when fit: in the case's basis
  // When fit: the fastest layout's step, term by term, with its MFU against
  // the dense BF16 peak (mfu_bf16, the convention) and against the dense
  // peak at the run's precision (mfu).
  StepBreakdown step;
};

// Which side of the calibration a case is on: in-sample when some step-model
// constant was fitted on it (fitted_constants()), else out-of-sample.
enum class CaseGroup { in_sample, out_of_sample };
const char* to_string(CaseGroup g);

struct ValidationRow {
  std::string id;
  std::string basis;
  std::string file;
  CaseGroup group = CaseGroup::out_of_sample;
  std::string chip_family;
  Precision precision = Precision::bf16;  // the precision its matmuls are modelled at
  bool host_link_defaulted = false;
  bool microbatch_pinned = false;  // the case gives the published microbatch
  double reported = 0;
  ValidationPrediction published;  // TP/PP/CP as published
  ValidationPrediction searched;   // the best layout the search finds
  double error_published = 0;      // published.predicted / reported - 1, when published.fit
  std::uint64_t evaluated = 0;
};

// Median and worst |error| over the scored cases (published layout fits) of
// one slice of the set; both 0 when none is scored.
struct ErrorSummary {
  std::string label;  // "in_sample", "A100", "bf16", ...
  std::size_t cases = 0;
  std::size_t cases_scored = 0;
  double median_abs_error = 0;
  double worst_abs_error = 0;
};

struct ValidationResult {
  std::vector<ValidationRow> rows;
  // In-sample then out-of-sample; chip families and precisions in order of
  // first appearance among the rows.
  std::vector<ErrorSummary> by_group, by_chip_family, by_precision;
  // The catalogued matmul efficiencies of the cases' chips, in order of
  // first appearance (a case is also in-sample when one was fitted on it).
  std::vector<ChipMatmulEfficiency> matmul_efficiencies;
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
// Several files (name, text) as one set, in the order given: every file's
// errors are collected and thrown together, each naming its file; a case id
// that repeats one in an earlier file is an error.
std::vector<ValidationCase> load_validation_files(
    const std::vector<std::pair<std::string, std::string>>& files, const Catalog& catalog);
ValidationResult run_validation(const std::vector<ValidationCase>& cases, int threads);
// The embedded configs/validation/published-runs.toml (the original 14 cases).
const std::string& default_validation_text();
// The embedded configs/validation/*.toml (name, text), sorted by name: the
// default set.
std::vector<std::pair<std::string, std::string>> default_validation_files();
// Median and worst of |errors| (the upper-middle pair averaged).
ErrorSummary summarize_errors(std::string label, std::size_t cases, std::vector<double> abs_errors);
// The family a chip is scored under: "A100", "H100-class" (H100/H200/H800/
// H20), "B200-class" (B200/B300/GB200/GB300), "TPU", "Ascend", "AMD Instinct",
// "Gaudi", else the catalog's vendor.
std::string chip_family(const Chip& chip);

}  // namespace clustercap::training
