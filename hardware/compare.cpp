#include "hardware/compare.hpp"

#include "hardware/common/toml_reader.hpp"

namespace clustercap {
namespace {

CompareFigure from_system(const std::optional<double>& system_value, const char* system_key,
                          const std::optional<double>& chip_value, const char* chip_key,
                          const System& system, const Chip* chip, double chips) {
  if (system_value) {
    return {system_value, system.id + "." + system_key, system.provenance.is_estimated(system_key)};
  }
  if (chip != nullptr && chip_value) {
    return {*chip_value * chips, format_number(chips) + " x " + chip->id + "." + chip_key,
            chip->provenance.is_estimated(chip_key)};
  }
  return {};
}

CompareFigure from_chip(const std::optional<double>& value, const char* key, const Chip& chip) {
  if (!value) return {};
  return {value, chip.id + "." + key, chip.provenance.is_estimated(key)};
}

// Bidirectional per-chip scale-up, doubling one-way figures.
CompareFigure chip_scaleup(const Chip& chip, double chips, const std::string& prefix) {
  if (chip.scaleup_bidirectional_bytes_per_s) {
    return {*chip.scaleup_bidirectional_bytes_per_s * chips,
            prefix + chip.id + ".scaleup_gbs_bidirectional",
            chip.provenance.is_estimated("scaleup_gbs_bidirectional")};
  }
  if (chip.scaleup_unidirectional_bytes_per_s) {
    return {2 * *chip.scaleup_unidirectional_bytes_per_s * chips,
            prefix + "2 x " + chip.id + ".scaleup_gbs_unidirectional",
            chip.provenance.is_estimated("scaleup_gbs_unidirectional")};
  }
  if (chip.scaleup_direction_unstated_bytes_per_s) {
    return {std::nullopt,
            chip.id + ".scaleup_gbs_direction_unstated (direction not stated: not compared)",
            false};
  }
  return {};
}

std::optional<double> per(const CompareFigure& numerator, const CompareFigure& denominator,
                          double scale) {
  if (!numerator.value || !denominator.value || *denominator.value <= 0) return std::nullopt;
  return *numerator.value / (*denominator.value / scale);
}

void fill_efficiency(CompareItem& item, const Catalog& catalog) {
  item.w_per_bf16_tflop = per(item.power_w, item.bf16_flops, 1e12);
  item.w_per_hbm_tbs = per(item.power_w, item.hbm_bytes_per_s, 1e12);
  item.w_per_hbm_tb = per(item.power_w, item.hbm_bytes, 1e12);
  item.usd_per_bf16_pflop = per(item.price_usd, item.bf16_flops, 1e15);
  const Chip* h100 = catalog.find_chip(kH100Id);
  if (item.bf16_flops.value && h100 != nullptr && h100->peak_flops(Precision::bf16)) {
    item.h100e = *item.bf16_flops.value / *h100->peak_flops(Precision::bf16);
  }
}

CompareItem chip_item(const Chip& chip) {
  CompareItem item;
  item.id = chip.id;
  item.kind = "chip";
  item.name = chip.name;
  item.bf16_flops = from_chip(chip.peak_flops(Precision::bf16), "bf16_tflops", chip);
  item.fp8_flops = from_chip(chip.peak_flops(Precision::fp8), "fp8_tflops", chip);
  item.fp4_flops = from_chip(chip.peak_flops(Precision::fp4), "fp4_tflops", chip);
  item.hbm_bytes = from_chip(chip.hbm_bytes, "hbm_gb", chip);
  item.hbm_bytes_per_s = from_chip(chip.hbm_bandwidth_bytes_per_s, "hbm_bw_tbs", chip);
  item.scaleup_bidirectional_bytes_per_s = chip_scaleup(chip, 1, "");
  item.scaleout_bits_per_s = from_chip(chip.scaleout_bits_per_s, "scaleout_gbps", chip);
  item.power_w = from_chip(chip.tdp_w, "tdp_w", chip);
  item.power_scope = "chip TDP";
  item.price_usd = from_chip(chip.price_usd, "price_usd", chip);
  return item;
}

CompareItem system_item(const System& s, const Catalog& catalog, bool all_in) {
  CompareItem item;
  item.id = s.id;
  item.kind = "system";
  item.name = s.name;
  const Chip* chip = catalog.find_chip(s.chip_id);
  const double n = s.chips ? static_cast<double>(*s.chips) : 0.0;
  item.chips = n;
  auto peak = [&](Precision p) { return chip ? chip->peak_flops(p) : std::nullopt; };
  item.bf16_flops = from_system(s.bf16_dense_flops, "bf16_dense_pflops", peak(Precision::bf16),
                                "bf16_tflops", s, chip, n);
  item.fp8_flops = from_system(s.fp8_dense_flops, "fp8_dense_pflops", peak(Precision::fp8),
                               "fp8_tflops", s, chip, n);
  item.fp4_flops = from_system(s.fp4_dense_flops, "fp4_dense_pflops", peak(Precision::fp4),
                               "fp4_tflops", s, chip, n);
  item.hbm_bytes = from_system(s.hbm_bytes, "hbm_tb", chip ? chip->hbm_bytes : std::nullopt,
                               "hbm_gb", s, chip, n);
  item.hbm_bytes_per_s =
      from_system(s.hbm_bandwidth_bytes_per_s, "hbm_bw_tbs",
                  chip ? chip->hbm_bandwidth_bytes_per_s : std::nullopt, "hbm_bw_tbs", s, chip, n);
  if (s.scaleup_aggregate_bidirectional_bytes_per_s) {
    item.scaleup_bidirectional_bytes_per_s = {
        s.scaleup_aggregate_bidirectional_bytes_per_s,
        s.id + ".scaleup_aggregate_tbs_bidirectional",
        s.provenance.is_estimated("scaleup_aggregate_tbs_bidirectional")};
  } else if (s.scaleup_bidirectional_bytes_per_s_per_chip) {
    item.scaleup_bidirectional_bytes_per_s = {
        *s.scaleup_bidirectional_bytes_per_s_per_chip * n,
        format_number(n) + " x " + s.id + ".scaleup_gbs_bidirectional_per_chip", false};
  } else if (s.scaleup_unidirectional_bytes_per_s_per_chip) {
    item.scaleup_bidirectional_bytes_per_s = {
        2 * *s.scaleup_unidirectional_bytes_per_s_per_chip * n,
        format_number(n) + " x 2 x " + s.id + ".scaleup_gbs_unidirectional_per_chip", false};
  } else if (chip != nullptr) {
    item.scaleup_bidirectional_bytes_per_s = chip_scaleup(*chip, n, format_number(n) + " x ");
  }
  if (s.scaleout_bits_per_s_per_chip) {
    item.scaleout_bits_per_s = {*s.scaleout_bits_per_s_per_chip * n,
                                format_number(n) + " x " + s.id + ".scaleout_gbps_per_chip",
                                s.provenance.is_estimated("scaleout_gbps_per_chip")};
  } else if (chip != nullptr && chip->scaleout_bits_per_s) {
    item.scaleout_bits_per_s = {*chip->scaleout_bits_per_s * n,
                                format_number(n) + " x " + chip->id + ".scaleout_gbps",
                                chip->provenance.is_estimated("scaleout_gbps")};
  }
  item.includes_scaleout = s.power_includes_scaleout;
  if (all_in) {
    item.power_w = {s.power_all_in_w, s.id + ".power_all_in_kw",
                    s.provenance.is_estimated("power_all_in_kw")};
    item.power_scope = s.power_all_in_scope;
  } else {
    item.power_w = {s.power_w, s.id + ".power_kw", s.provenance.is_estimated("power_kw")};
    item.power_scope = s.power_scope;
  }
  if (s.price_usd) {
    item.price_usd = {s.price_usd, s.id + ".price_usd", s.provenance.is_estimated("price_usd")};
  } else if (chip != nullptr && chip->price_usd) {
    item.price_usd = {*chip->price_usd * n, format_number(n) + " x " + chip->id + ".price_usd",
                      true};
  }
  return item;
}

}  // namespace

ComparisonResult compare_hardware(const Catalog& catalog, const std::vector<std::string>& ids) {
  ComparisonResult result;
  bool all_in = !ids.empty();
  for (const auto& id : ids) {
    const System* s = catalog.find_system(id);
    all_in = all_in && s != nullptr && s->power_all_in_w.has_value();
  }
  result.power_basis = all_in ? "all-in (system plus its share of scale-out network and optics)"
                              : "each item's catalogued scope (see power_scope)";
  for (const auto& id : ids) {
    CompareItem item;
    if (const Chip* chip = catalog.find_chip(id)) {
      item = chip_item(*chip);
    } else {
      item = system_item(*catalog.find_system(id), catalog, all_in);
    }
    fill_efficiency(item, catalog);
    result.items.push_back(std::move(item));
  }
  return result;
}

std::optional<double> ratio_to_first(const std::optional<double>& value,
                                     const std::optional<double>& first) {
  if (!value || !first || *first == 0.0) return std::nullopt;
  return *value / *first;
}

}  // namespace clustercap
