// A parallel layout as JSON, as `validate` and the estimate's workload
// block print it.
#pragma once

#include <nlohmann/json.hpp>

#include "estimator/training/step_model.hpp"

namespace clustercap::report {

inline nlohmann::ordered_json layout_json(const training::Layout& l) {
  return {{"tp", l.tp},
          {"pp", l.pp},
          {"dp", l.dp},
          {"ep", l.ep},
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

}  // namespace clustercap::report
