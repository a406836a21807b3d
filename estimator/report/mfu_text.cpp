#include "estimator/report/mfu_text.hpp"

#include "estimator/report/number_format.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap::report {

std::string describe_layout(const training::Layout& l) {
  std::string text = "tp " + std::to_string(l.tp);
  if (l.cp > 1) text += " x cp " + std::to_string(l.cp);
  text += " x pp " + std::to_string(l.pp) + " x dp " + std::to_string(l.dp);
  if (l.ep > 1) text += " x ep " + std::to_string(l.ep);
  text += ", microbatch " + std::to_string(l.microbatch);
  if (l.interleave > 1) text += ", interleave " + std::to_string(l.interleave);
  text += ", recompute " + std::string(training::to_string(l.recompute)) + ", ZeRO " +
          std::to_string(l.zero);
  if (l.tp > 1 && !l.sequence_parallel) text += ", no sequence parallelism";
  if (l.tp_overlap) text += ", TP overlap";
  if (!l.dp_overlap) text += ", no DP overlap";
  if (l.offload_optimizer) text += ", optimizer offloaded";
  if (l.offload_activations) text += ", activations offloaded";
  return text;
}

std::string describe_no_prediction(const training::MfuPrediction& p) {
  using training::NoPrediction;
  switch (p.why_not) {
    case NoPrediction::none:
      return "";
    case NoPrediction::no_peak:
      return "the chip has no dense peak at this precision";
    case NoPrediction::no_memory_figures:
      return "the chip has no HBM capacity or bandwidth in the catalog";
    case NoPrediction::no_chips:
      return "the cluster has no chips";
    case NoPrediction::no_layout_divides:
      return "no parallel layout of a " + count_with_suffix(p.params) + "-param model divides " +
             std::to_string(p.modelled_chips) + " chips";
    case NoPrediction::no_layout_fits:
      return "no layout of a " + count_with_suffix(p.params) +
             "-param model fits in memory (needs " + significant(p.min_memory_bytes / 1e9) +
             " GB per chip, has " + significant(p.hbm_bytes / 1e9) + " GB)";
  }
  return "";
}

std::string describe_idling(const training::MfuPrediction& p) {
  if (!p.predicted || !p.idles()) return "";
  const std::string all = grouped_integer(p.chips);
  return "trains on " + grouped_integer(p.chips_used) + " of " + all + " chips at MFU " +
         significant(p.layout_mfu, 3) + ", " + significant(p.mfu, 3) + " per chip deployed: " +
         (p.all_chips_predicted
              ? "on all " + all + " the best layout runs at MFU " + significant(p.all_chips_mfu, 3)
              : "no layout of the model runs on all " + all);
}

std::string describe_prediction(const training::MfuPrediction& p) {
  if (!p.predicted) return "step model: " + describe_no_prediction(p);
  const std::string idling = describe_idling(p);
  return "step-model fixed point (" + count_with_suffix(p.params) + " params, layout " +
         describe_layout(p.layout) + "; " + std::to_string(p.iterations) +
         (p.iterations == 1 ? " iteration" : " iterations") +
         (!p.converged ? ", not converged"
          : p.on_step  ? ", settled on a step of " + significant(p.residual, 2) + " MFU"
                       : "") +
         ")" + (idling.empty() ? "" : "; " + idling);
}

std::string describe_mfu_basis(const MfuBasis& b) {
  if (b.step_model && b.prediction.predicted) return describe_prediction(b.prediction);
  std::string text;
  switch (b.source) {
    case MfuSource::inventory_line:
      text = "scenario actor.inventory.mfu";
      break;
    case MfuSource::training:
      text = "scenario training.mfu";
      break;
    case MfuSource::prior:
      text =
          "catalog prior " + b.chip_id + ".mfu_" + (b.precision == Precision::fp8 ? "fp8" : "bf16");
      break;
  }
  if (!b.reason.empty()) text += ": " + b.reason;
  if (b.step_model) text += " (step model: " + describe_no_prediction(b.prediction) + ")";
  return text;
}

std::string mfu_basis_label(const MfuBasis& b) {
  if (b.step_model)
    return !b.prediction.predicted ? "prior, no fit"
           : b.prediction.idles()  ? "step, idling"
                                   : "step model";
  switch (b.source) {
    case MfuSource::inventory_line:
      return "file, line";
    case MfuSource::training:
      return "file, training";
    case MfuSource::prior:
      return "catalog prior";
  }
  return "";
}

std::string describe_mfu_basis(const std::vector<MfuBasis>& parts) {
  std::string text;
  for (const MfuBasis& b : parts) {
    text += (text.empty() ? "" : "; ") + (parts.size() > 1 ? b.chip_id + ": " : std::string()) +
            describe_mfu_basis(b);
  }
  return text;
}

std::string describe_power_basis(const power::SystemPower& p) {
  if (p.from_system)
    return p.source_id + ".power_kw = " + format_number(p.it_power_w / 1e3) + " kW";
  return p.source_id + ".tdp_w = " + format_number(p.tdp_w) + " W x " +
         format_number(p.system_overhead) + " overhead x " + format_number(p.chips_per_system) +
         " chips";
}

}  // namespace clustercap::report
