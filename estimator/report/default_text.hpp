// Words for scenario settings the file left out (scenario.hpp
// DefaultedInput): what value the model used and where it comes from, and
// the warning when a cluster's binding limit depends on them.
#pragma once

#include <string>
#include <vector>

#include "estimator/estimate.hpp"
#include "estimator/model/cluster_batch.hpp"
#include "estimator/scenario/scenario.hpp"
#include "estimator/sweep/sweep.hpp"
#include "estimator/timeline.hpp"

namespace clustercap::report {

// Where the value comes from: "default, not in the file", or "from the
// catalog: nvidia_gb200_nvl72 scaleout_rails; not in the file".
std::string default_source_text(const DefaultedInput& d);
// "network.planes = 1 (default, not in the file)".
std::string defaulted_setting_text(const DefaultedInput& d);
// "network binds at 65,520 chips with network.planes = 1 (default, not in
// the file); set [network] planes" (`where`: "at 65,520 chips"); empty
// when `defaults` is.
std::string binding_default_warning(model::Constraint limit, const std::string& where,
                                    const std::vector<DefaultedInput>& defaults);
// "at 65,520 chips".
std::string at_chips(double chips);
// An actor's warnings as every estimate format prints them: the estimate's
// own, then the binding-default warning when there is one.
std::vector<std::string> estimate_warnings(const ActorResult& a);
// A timeline actor's binding-default warnings, one per limit: "network
// binds from 2026-04 at 65,520 chips with ...".
std::vector<std::string> timeline_warnings(const TimelineActor& a);
// A sweep actor's binding-default warnings, one per limit: "network binds
// in 37.5% of samples with ...".
std::vector<std::string> sweep_warnings(const sweep::ActorSweep& a);
// The fabric's planes for the Network line: "" when the file sets them,
// else ", 4 planes (from the catalog: ...; not in the file)".
std::string planes_note(const NetworkSummary& n);

}  // namespace clustercap::report
