// A parallel layout and its step time by part as JSON, as `validate` and
// the estimate's workload block print them.
#pragma once

#include <nlohmann/json.hpp>

#include "estimator/training/step_model.hpp"

namespace clustercap::report {

inline nlohmann::ordered_json layout_json(const training::Layout& l) {
  return {{"tp", l.tp},
          {"pp", l.pp},
          {"dp", l.dp},
          {"ep", l.ep},
          {"etp", l.etp},
          {"cp", l.cp},
          {"microbatch", l.microbatch},
          {"interleave", l.interleave},
          {"recompute", training::to_string(l.recompute)},
          {"zero", l.zero},
          {"sequence_parallel", l.sequence_parallel},
          {"tp_overlap", l.tp_overlap},
          {"dp_overlap", l.dp_overlap},
          {"offload_optimizer", l.offload_optimizer},
          {"offload_activations", l.offload_activations}};
}

// The step's parts, s. moe_host only for MoE workloads (a dense step's
// output is unchanged).
inline nlohmann::ordered_json step_breakdown_json(const training::StepBreakdown& s) {
  nlohmann::ordered_json j = {
      {"compute", s.compute_s}, {"bubble", s.bubble_s},   {"tp_comm", s.tp_comm_s},
      {"pp_comm", s.pp_comm_s}, {"dp_comm", s.dp_comm_s}, {"ep_comm", s.ep_comm_s},
      {"cp_comm", s.cp_comm_s}, {"offload", s.offload_s}, {"edge_stage", s.edge_stage_s}};
  if (s.moe_host_s > 0) j["moe_host"] = s.moe_host_s;
  return j;
}

}  // namespace clustercap::report
