// The hardware catalog: chips, scale-up systems and reference clusters.
//
// Values are SI inside (FLOP/s, bytes, bytes/s, bits/s, W, USD); the loader
// converts from the catalog's unit-suffixed keys (bf16_tflops, hbm_gb, ...).
// Every entry keeps its sources and the list of fields that are estimates.
// A Catalog is immutable after loading and safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hardware/precision.hpp"

namespace clustercap {

// Which of an entry's sources back one figure (`figure_sources` in the
// catalog): indices into Provenance::sources, checked in range on load.
struct FigureSources {
  std::string key;  // catalog key, e.g. "bf16_tflops"
  std::vector<std::size_t> indices;
};

struct Provenance {
  std::vector<std::string> sources;           // URLs; never empty
  std::vector<std::string> estimated;         // catalog keys whose values are estimates
  std::vector<FigureSources> figure_sources;  // figures mapped to some of `sources`
  std::string notes;
  std::string defined_in;  // catalog file the entry came from
  bool is_estimated(const std::string& key) const;
  // The sources behind the figure `key`: its mapped ones, else all of them.
  std::vector<std::string> sources_for(const std::string& key) const;
};

// An alternative reading of a chip's rates for export-control TPP, e.g. a
// GeForce tensor rate with FP32 rather than FP16 accumulation.
struct TppVariant {
  std::string label;
  std::vector<Precision> formats;  // TPP is the max over these formats only
};

struct Chip {
  std::string id;
  std::string name;
  std::string vendor;
  std::optional<std::int64_t> year;
  std::string status;
  // Designed or marketed for datacenters (Note 2 to 3A090, License Exception NAC).
  std::optional<bool> datacenter;
  std::string process_node;
  std::string foundry;
  std::optional<double> die_area_mm2;  // applicable logic-die area for PD
  std::optional<std::int64_t> compute_dies;
  // Dense peak per precision, FLOP/s (OP/s for int8); index by Precision.
  std::array<std::optional<double>, kAllPrecisions.size()> dense_peak_flops{};
  std::optional<double> fp64_tensor_flops;
  std::optional<double> hbm_bytes;
  std::string memory_type;
  std::optional<double> hbm_bandwidth_bytes_per_s;
  std::string scaleup_tech;
  // "mesh": the chips of a scale-up domain are joined card to card, no
  // switch (Ascend 910B HCCS, Gaudi RoCE, AMD xGMI); empty or "switched":
  // through a switch. The step model's Machine::scaleup_mesh.
  std::string scaleup_topology;
  // Scale-up bandwidth per chip in bytes/s, in the direction the source states.
  std::optional<double> scaleup_bidirectional_bytes_per_s;
  std::optional<double> scaleup_unidirectional_bytes_per_s;
  std::optional<double> scaleup_direction_unstated_bytes_per_s;
  // Back-end NIC bandwidth per chip, one direction, bits/s.
  std::optional<double> scaleout_bits_per_s;
  // Aggregate bidirectional I/O to other ICs (not memory), bytes/s, as the
  // 2022 3A090 test counts it, when it differs from the scale-up figure (a
  // PCIe card's NVLink bridge, a module's Infinity Fabric links); io_basis
  // says what it is made of.
  std::optional<double> io_bidirectional_bytes_per_s;
  std::string io_basis;
  std::optional<double> tdp_w;
  std::optional<double> price_usd;
  // Model-FLOPs-utilisation priors against the dense peak at that precision.
  std::optional<double> mfu_bf16;
  std::optional<double> mfu_fp8;
  std::vector<std::string> mfu_sources;
  std::string mfu_notes;
  // Largest share of the dense BF16 peak a big GEMM reaches on the chip, the
  // step model's matmul ceiling (estimator/training/step_model.hpp); unset:
  // the A100-fitted default. Its sources, how it was read from them, and the
  // validation case ids it was derived from (those cases are in-sample).
  std::optional<double> matmul_efficiency;
  std::vector<std::string> matmul_efficiency_sources;
  std::string matmul_efficiency_notes;
  std::vector<std::string> matmul_efficiency_fitted_on;
  std::string default_system;  // system id or empty
  std::vector<TppVariant> tpp_variants;
  Provenance provenance;

  std::optional<double> peak_flops(Precision precision) const {
    return dense_peak_flops[static_cast<std::size_t>(precision)];
  }
  // MFU prior for training at `precision`; fp16 shares the bf16 prior.
  std::optional<double> mfu_prior(Precision precision) const;
};

struct System {
  std::string id;
  std::string name;
  std::string vendor;
  std::string chip_id;  // empty when the chip is not in the catalog
  std::optional<std::int64_t> chips;
  std::string cpus;
  std::optional<std::int64_t> year;
  std::string status;
  std::optional<std::int64_t> racks;
  std::string racks_note;
  std::optional<std::int64_t> scaleup_domain_chips;
  std::optional<double> bf16_dense_flops;
  std::optional<double> fp8_dense_flops;
  std::optional<double> fp4_dense_flops;
  std::optional<double> hbm_bytes;
  std::optional<double> hbm_bandwidth_bytes_per_s;
  std::string scaleup_tech;
  std::string scaleup_topology;  // as Chip::scaleup_topology; set, it wins over the chip's
  std::optional<double> scaleup_bidirectional_bytes_per_s_per_chip;
  std::optional<double> scaleup_unidirectional_bytes_per_s_per_chip;
  std::optional<double> scaleup_direction_unstated_bytes_per_s_per_chip;
  std::optional<double> scaleup_aggregate_bidirectional_bytes_per_s;
  std::optional<double> scaleup_aggregate_direction_unstated_bytes_per_s;
  std::optional<double> scaleout_bits_per_s_per_chip;
  // Rails of the vendor's reference scale-out design: NICs per node, one per
  // accelerator, each on its own rail (HGX H100/B200: 8). The estimate's
  // default network.planes (estimator/plan.hpp).
  std::optional<std::int64_t> scaleout_rails;
  std::optional<std::int64_t> optical_transceivers;
  std::optional<double> power_w;
  std::string power_scope;
  // power_w is the whole system's IT input (chips, hosts, in-system switches).
  bool power_is_system_it = false;
  // power_w already includes the system's share of the scale-out fabric.
  bool power_includes_scaleout = false;
  // An all-in figure (system plus its share of fabric and optics) used by
  // like-for-like comparisons, where the source gives one.
  std::optional<double> power_all_in_w;
  std::string power_all_in_scope;
  std::optional<double> price_usd;
  Provenance provenance;
};

struct ReferenceCluster {
  std::string id;
  std::string name;
  std::string operator_name;
  std::string country;
  std::string location;
  std::string status;
  std::string first_operational;
  std::string chip_id;
  std::optional<std::int64_t> chip_count;
  std::string chip_secondary_id;
  std::optional<std::int64_t> chip_secondary_count;
  std::optional<std::int64_t> total_chips;
  std::optional<std::int64_t> h100_equivalents;
  std::optional<bool> single_site;
  std::optional<double> power_w;
  std::string power_scope;
  Provenance provenance;
};

class Catalog {
 public:
  std::vector<Chip> chips;
  std::vector<System> systems;
  std::vector<ReferenceCluster> clusters;

  const Chip* find_chip(const std::string& id) const;
  const System* find_system(const std::string& id) const;
  const ReferenceCluster* find_cluster(const std::string& id) const;
  std::vector<std::string> chip_ids() const;
  std::vector<std::string> system_ids() const;
  std::vector<std::string> cluster_ids() const;
  std::vector<std::string> all_ids() const;
};

// The unit of a catalog figure, read from its key's suffix ("bf16_tflops" ->
// "TFLOPS", "scaleup_gbs_bidirectional" -> "GB/s", "chips" -> "count");
// empty for a text field.
std::string figure_unit(const std::string& key);

// One catalog figure with what an analyst needs to cite it.
struct CitedFigure {
  std::string entry_id;  // chip or system id
  std::string key;       // catalog key, e.g. "bf16_tflops"
  double value = 0;      // in the catalog's unit for `key`
  std::string unit;
  bool estimated = false;
  std::vector<std::string> sources;
};

// The figures a cluster estimate reads from the catalog for `chip_id` and
// `system_id` (may be empty or unknown): the chip's dense peak at
// `precision`, HBM, TDP and price; the system's chips, IT power and price.
// Figures the catalog lacks are left out.
std::vector<CitedFigure> model_figures(const Catalog& catalog, const std::string& chip_id,
                                       const std::string& system_id, Precision precision);

// --- What an entry can be used for (issue 14).
//
// The cluster model needs, for a chip in a packaging at a training precision:
// a dense peak at that precision, a power basis (the chip's tdp_w, or its
// system's whole-system IT power_kw), hbm_gb for the memory-fit check, and an
// MFU prior at that precision unless the scenario sets mfu. A figure that is
// missing is named with the catalog (or scenario) key that would supply it.
struct MissingFigure {
  std::string figure;  // what is missing, in words: "dense bf16 peak"
  std::string key;     // the key that supplies it: "bf16_tflops"
};

// True when `system` carries its own whole-system IT power (power_kw with
// power_is_system_it and a chip count), so its chips need no tdp_w.
bool has_system_it_power(const System& system);

// The figures the model lacks for `chip` packaged in `system` (null: generic
// servers) at `precision`; empty when the chip can be estimated. The MFU
// prior is not asked for when `mfu_given` (an inventory line's or
// [training] mfu). In the order: peak, power, memory, MFU.
std::vector<MissingFigure> missing_for_estimate(const Chip& chip, const System* system,
                                                Precision precision, bool mfu_given);

// What a catalog chip can be used for with its default system (or generic
// servers): the training precisions at which an estimate can use it with the
// catalog's own MFU prior, and those it could use with a user-set mfu.
struct ChipUsability {
  std::vector<Precision> with_prior;
  std::vector<Precision> with_user_mfu;
};
ChipUsability chip_usability(const Chip& chip, const Catalog& catalog);

// ID of the chip that H100-equivalents are normalised to.
inline constexpr const char* kH100Id = "nvidia_h100_sxm";

}  // namespace clustercap
