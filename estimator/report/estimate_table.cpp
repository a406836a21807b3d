#include <cmath>
#include <iomanip>

#include "estimator/report/default_text.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/report/metric_format.hpp"
#include "estimator/report/mfu_text.hpp"
#include "estimator/report/number_format.hpp"
#include "estimator/report/source_text.hpp"
#include "estimator/report/text_format.hpp"

namespace clustercap::report {
namespace {

constexpr int kLabelWidth = 22;
constexpr std::size_t kMaxCandidatesShown = 5;

std::ostream& label(std::ostream& out, const std::string& text) {
  return out << "  " << std::left << std::setw(kLabelWidth) << text;
}

// "power 179,328 (binds)"; "budget none" for a limit that does not apply.
std::string limit_text(const char* name, double chips, bool binds) {
  checked_count(chips, "limit");
  return std::string(name) + " " +
         (std::isinf(chips) ? std::string("none") : grouped_integer(chips)) +
         (binds ? " (binds)" : "");
}

// Bytes per chip: "62.4 GB", "283 MB" (three significant figures either way).
std::string memory_text(double bytes) {
  return bytes >= 1e9 || bytes <= 0 ? significant(bytes / 1e9) + " GB"
                                    : significant(bytes / 1e6) + " MB";
}

// Why no layout of the workload was chosen.
std::string workload_unfit_text(const TrainingResult& t, double chips) {
  if (t.layouts_evaluated == 0) {
    return "no valid parallel layout on " + grouped_integer(chips) +
           " chips (tp x cp x pp x dp must use every chip and split the batch into whole "
           "microbatches)";
  }
  if (t.layouts_fitting > 0) {
    return grouped_integer(static_cast<double>(t.layouts_fitting)) +
           " layouts fit in memory, none with the scenario's [workload] tp/pp";
  }
  return "does not fit in any layout: needs at least " + memory_text(t.min_memory_per_chip_bytes) +
         " per chip, chips have " + memory_text(t.hbm_per_chip_bytes);
}

void write_actor(const ActorResult& a, const EstimateResult& result, std::ostream& out) {
  const ClusterResult& c = a.cluster;
  const TrainingResult& t = a.training;
  out << "\n== " << terminal_text(a.name)
      << (!a.centralize                ? ""
          : a.cluster.sites.size() > 1 ? "  [chips pooled over linked sites]"
                                       : "  [chips pooled in one site]")
      << " ==\n";

  label(out, "Inventory") << grouped_integer(a.inventory_count)
                          << " chips = " << grouped_integer(a.inventory_h100e) << " H100e\n";
  for (const auto& s : a.inventory) {
    out << "    " << std::left << std::setw(24) << terminal_text(s.chip_id) << std::right
        << std::setw(12) << grouped_integer(s.count) << " chips " << std::setw(12)
        << grouped_integer(s.h100e) << " H100e  (";
    for (std::size_t k = 0; k < s.by_source.size(); ++k) {
      out << (k ? ", " : "") << to_string(s.by_source[k].first) << " "
          << grouped_integer(s.by_source[k].second);
    }
    out << ")";
    if (s.export_control) {
      out << "  [" << terminal_text(s.export_control->rule) << ": "
          << terminal_text(s.export_control->status) << "]";
    }
    out << "\n";
  }
  for (const auto& w : estimate_warnings(a)) out << "  warning: " << terminal_text(w) << "\n";

  if (c.chip_id.empty()) {
    label(out, "Largest cluster") << "none: the actor holds no chips at this date\n";
    return;
  }
  label(out, "Largest cluster") << grouped_integer(c.chips) << " x " << terminal_text(c.chip_id)
                                << " in " << grouped_integer(c.systems) << " x "
                                << terminal_text(c.system_label) << " at site \""
                                << terminal_text(c.site) << "\"\n";
  for (const SiteShare& s : c.sites) {
    if (c.sites.size() < 2) break;
    label(out, "  site") << "\"" << terminal_text(s.name) << "\": " << grouped_integer(s.chips)
                         << " chips, facility " << power(s.facility_power_w) << ", MFU "
                         << significant(s.mfu, 2) << "\n";
  }
  if (c.wan) {
    const WanSummary& w = *c.wan;
    label(out, "WAN") << significant(w.bandwidth_bits_per_s / 1e12) << " Tbps slowest link, "
                      << significant(w.hop_latency_s * 1e3) << " ms longest hop; "
                      << scientific(w.step.bytes_per_step) << " B per step, "
                      << significant(w.step.exposed_s) << " s exposed of "
                      << significant(w.step.compute_s) << " s compute; efficiency "
                      << significant(w.step.efficiency, 3) << "\n";
  }
  const auto b = c.binding;
  label(out, "Binding constraint") << model::to_string(b) << "\n";
  label(out, "Limits (chips)");
  for (std::size_t k = 0; k < model::kLimitCount; ++k) {
    out << (k ? " | " : "")
        << limit_text(model::kLimitLabels[k], c.limits[k], b == static_cast<model::Constraint>(k));
  }
  out << "\n";
  label(out, "Power") << "IT " << power(c.it_power_w) << ", facility " << power(c.facility_power_w)
                      << " of " << power(c.site_power_w) << " site (PUE " << significant(c.pue)
                      << ")\n";
  label(out, "  per system") << power(c.system_it_power_w) << " IT ("
                             << terminal_text(describe_power_basis(c.system_power)) << ")\n";
  label(out, "Network") << c.network.tiers << "-tier fat tree, "
                        << grouped_integer(c.network.switches) << " switches, "
                        << grouped_integer(c.network.transceivers) << " transceivers, "
                        << power(c.network.power_w)
                        << (c.network.included_in_system_power ? " (inside system power)" : "")
                        << terminal_text(planes_note(c.network)) << "\n";
  label(out, "Compute") << "peak " << scientific(c.peak_flops) << " FLOP/s x MFU "
                        << significant(c.mfu, 2) << " x goodput " << significant(t.goodput, 2)
                        << "\n";
  label(out, "  MFU basis") << terminal_text(describe_mfu_basis(c.mfu_basis)) << "\n";
  if (c.training_chips < c.chips)
    label(out, "  trains on") << grouped_integer(c.training_chips) << " of "
                              << grouped_integer(c.chips)
                              << " chips deployed (the rest idle: more sustained FLOP/s)\n";
  label(out, "Sustained") << scientific(c.sustained_flops)
                          << " FLOP/s = " << grouped_integer(c.h100e) << " H100e of chips\n";
  label(out, "Training compute") << scientific(t.train_flop) << " FLOP in "
                                 << significant(t.duration_s / 86400.0) << " days\n";
  // Metrics table entries with a line of their own (the others are in the sentences here).
  for (std::size_t k = 0; k < kMetricCount; ++k) {
    const Metric& m = kMetrics[k];
    if (m.label != nullptr)
      label(out, m.label) << metric_text(m, a.metrics[k]) << " " << m.unit << "\n";
    if (k == metric_index("capex_chips_usd") && !systems_priced(c, a.metrics))
      label(out, "    unpriced")
          << "the systems have no price (no inventory price_usd, none in the catalog): capex, "
             "run cost and cost of compute leave them out\n";
  }
  label(out, "Largest model") << count_with_suffix(t.params) << " params on "
                              << count_with_suffix(t.tokens) << " tokens (limited by "
                              << model::to_string(t.limited_by) << "; memory allows "
                              << count_with_suffix(t.params_memory_limit) << ")\n";
  if (t.has_workload) {
    if (t.workload_fits) {
      const auto& l = t.layout;
      label(out, "Workload " + terminal_text(t.workload_name.substr(0, 12)))
          << describe_layout(l) << " (best of "
          << grouped_integer(static_cast<double>(t.layouts_evaluated)) << " layouts)\n";
      label(out, "  step") << significant(t.step_time_s) << " s, predicted MFU "
                           << significant(t.predicted_mfu * 100) << "%, "
                           << scientific(t.tokens_per_s) << " tokens/s, "
                           << significant(t.days_to_train) << " days for its tokens; "
                           << significant(t.step.memory_bytes / 1e9) << " GB per chip\n";
      label(out, "  scale-out") << significant(t.scaleout_gbps) << " Gb/s per chip ("
                                << t.scaleout_source << ")\n";
    } else {
      label(out, "Workload " + terminal_text(t.workload_name.substr(0, 12)))
          << workload_unfit_text(t, c.chips) << "\n";
    }
  }
  for (std::size_t r = 0; r < a.vs_reference.size(); ++r) {
    const auto& cmp = a.vs_reference[r];
    label(out, r == 0 ? "vs reference" : "")
        << terminal_text(cmp.reference) << ": " << ratio(cmp.ratio_sustained_flops)
        << " sustained FLOP/s, " << ratio(cmp.ratio_chips) << " chips, " << ratio(cmp.ratio_h100e)
        << " H100e" << (cmp.ratio_power ? ", " + ratio(*cmp.ratio_power) + " power" : std::string())
        << "\n";
  }
  if (a.candidates.size() > 1) {
    out << "  Other candidates\n";
    for (std::size_t k = 1; k < a.candidates.size() && k <= kMaxCandidatesShown; ++k) {
      const auto& cand = a.candidates[k];
      out << "    " << std::left << std::setw(24) << terminal_text(cand.chip_id) << std::right
          << std::setw(12) << grouped_integer(cand.chips) << " chips  " << std::setw(9)
          << scientific(cand.sustained_flops) << " FLOP/s (MFU " << significant(cand.mfu, 2)
          << ")  " << model::to_string(cand.binding) << "-bound at \"" << terminal_text(cand.site)
          << "\"\n";
    }
    if (a.candidates.size() > kMaxCandidatesShown + 1) {
      out << "    ... " << a.candidates.size() - kMaxCandidatesShown - 1
          << " more (see --format json)\n";
    }
  }
  (void)result;
}

}  // namespace

void write_estimate_table(const EstimateResult& result, std::ostream& out) {
  const std::string precision(to_string(result.precision));
  out << "clustercap estimate: " << terminal_text(result.scenario_name) << "\n";
  out << "scenario " << terminal_text(result.scenario_file)
      << (result.scenario_date.empty() ? "" : ", as of " + terminal_text(result.scenario_date))
      << "; dense " << precision << " peaks; H100e = dense " << precision << " peak / H100 SXM's\n";
  if (!result.medians_used.empty()) {
    out << result.medians_used.size()
        << " inputs are distributions; this point estimate uses their medians (clustercap sweep "
           "gives ranges):";
    for (const auto& [label, value] : result.medians_used)
      out << " " << terminal_text(label) << " " << significant(value);
    out << "\n";
  }
  out << sources_table_text(result.sources_used, result.source_choice,
                            "--sources ID picks one, sweep --by-source compares them");
  for (const auto& a : result.actors) write_actor(a, result, out);
  if (!result.references.empty()) {
    out << "\n== Reference clusters (same precision, goodput and MFU basis as the actors) ==\n";
    for (const auto& r : result.references) {
      out << "  " << terminal_text(r.id) << ": " << grouped_integer(r.chips) << " chips, "
          << grouped_integer(r.h100e) << " H100e, " << scientific(r.sustained_flops)
          << " FLOP/s sustained"
          << (r.power_w ? ", " + power(*r.power_w) + " catalog power (scope in --format json)"
                        : std::string())
          << "\n    MFU " << significant(r.mfu, 2) << ": "
          << terminal_text(describe_mfu_basis(r.mfu_basis)) << "\n";
    }
  }
}

}  // namespace clustercap::report
