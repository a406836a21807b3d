// Chips and systems side by side (`clustercap compare`).
//
// Every figure is a total for the item (a chip counts as one), from the
// catalog: a system's own aggregate where it states one, else chips x the
// chip's figure (the basis says which). Scale-up bandwidth uses one
// convention: bidirectional (one-way figures doubled; figures whose direction
// the source does not state are shown but not compared). Power uses the
// all-in figure when every item has one, otherwise each item's catalogued
// scope, and says which. Pure; no I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hardware/catalog.hpp"

namespace clustercap {

struct CompareFigure {
  std::optional<double> value;  // SI: FLOP/s, bytes, bytes/s, bits/s, W, USD
  std::string basis;            // where it comes from
  bool estimated = false;
};

struct CompareItem {
  std::string id;
  std::string kind;  // "chip" or "system"
  std::string name;
  double chips = 1;
  CompareFigure bf16_flops, fp8_flops, fp4_flops;
  CompareFigure hbm_bytes, hbm_bytes_per_s;
  CompareFigure scaleup_bidirectional_bytes_per_s;
  CompareFigure scaleout_bits_per_s;
  CompareFigure power_w;
  std::string power_scope;
  CompareFigure price_usd;
  bool includes_scaleout = false;  // the system's figures cover its scale-out network
  std::optional<double> h100e;     // dense bf16 / H100 SXM dense bf16
  // Efficiency: lower is better for all four.
  std::optional<double> w_per_bf16_tflop;
  std::optional<double> w_per_hbm_tbs;
  std::optional<double> w_per_hbm_tb;
  std::optional<double> usd_per_bf16_pflop;
};

struct ComparisonResult {
  std::vector<CompareItem> items;
  std::string power_basis;  // "all-in" or "catalogued scope of each item"
};

// `ids` are chip or system ids; the caller validates they exist.
ComparisonResult compare_hardware(const Catalog& catalog, const std::vector<std::string>& ids);

// value(item) / value(first item); nullopt when either side is unknown or zero.
std::optional<double> ratio_to_first(const std::optional<double>& value,
                                     const std::optional<double>& first);

}  // namespace clustercap
