#include "hardware/export_control.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

#include "hardware/common/input_error.hpp"
#include "hardware/common/text_match.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap {
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_rule_files();
}  // namespace clustercap

namespace clustercap::export_control {
namespace {

constexpr Metric kMetrics[] = {Metric::tpp, Metric::pd, Metric::io_bidir_gbs,
                               Metric::total_dram_bw_gbs, Metric::mbd_gbs_per_mm2};
constexpr Comparison kComparisons[] = {Comparison::ge, Comparison::gt, Comparison::le,
                                       Comparison::lt};

const char* suffix(Comparison c) {
  switch (c) {
    case Comparison::ge:
      return "ge";
    case Comparison::gt:
      return "gt";
    case Comparison::le:
      return "le";
    case Comparison::lt:
      return "lt";
  }
  return "";
}

Condition read_condition(TableReader& reader) {
  Condition condition;
  for (Metric m : kMetrics) {
    for (Comparison c : kComparisons) {
      const std::string key = std::string(to_string(m)) + "_" + suffix(c);
      if (auto value = reader.number(key, Range::non_negative(1e12))) {
        condition.bounds.push_back({m, c, *value});
      }
    }
  }
  condition.datacenter = reader.boolean("datacenter");
  return condition;
}

std::string text(TableReader& reader, std::string_view key,
                 Presence presence = Presence::optional) {
  return reader.string(key, presence).value_or("");
}

Vintage read_vintage(TableReader& reader, const Catalog& catalog) {
  Vintage v;
  v.defined_in = reader.file();
  v.id = text(reader, "id", Presence::required);
  v.name = text(reader, "name", Presence::required);
  v.effective = reader.date("effective", Presence::required).value_or("");
  v.ended = reader.date("ended").value_or("");
  v.destinations =
      reader.string_list("destinations", Presence::required).value_or(std::vector<std::string>{});
  v.destination_groups = text(reader, "destination_groups");
  v.sources =
      reader.string_list("sources", Presence::required).value_or(std::vector<std::string>{});
  v.notes = text(reader, "notes");
  for (auto& r : reader.table_array("clause", Presence::required)) {
    Clause c;
    c.eccn = text(r, "eccn", Presence::required);
    c.id = text(r, "id", Presence::required);
    const std::string applies = r.string("applies_to").value_or("ic");
    if (applies != "ic" && applies != "hbm") r.error_at("applies_to", "must be \"ic\" or \"hbm\"");
    c.applies_to_hbm = applies == "hbm";
    c.condition = read_condition(r);
    if (c.condition.bounds.empty()) r.error_missing("tpp_ge", "a clause needs at least one bound");
    r.report_unknown_keys();
    v.clauses.push_back(std::move(c));
  }
  for (auto& r : reader.table_array("exclusion")) {
    Exclusion e{text(r, "id", Presence::required), text(r, "effect", Presence::required),
                read_condition(r)};
    r.report_unknown_keys();
    v.exclusions.push_back(std::move(e));
  }
  for (auto& r : reader.table_array("license_exception")) {
    LicenseException e;
    e.id = text(r, "id", Presence::required);
    e.eccn = text(r, "eccn", Presence::required);
    e.notes = text(r, "notes");
    e.condition = read_condition(r);
    r.report_unknown_keys();
    v.license_exceptions.push_back(std::move(e));
  }
  for (auto& r : reader.table_array("license_policy")) {
    LicensePolicy p;
    p.id = text(r, "id", Presence::required);
    p.destinations =
        r.string_list("destinations", Presence::required).value_or(std::vector<std::string>{});
    p.policy = text(r, "policy", Presence::required);
    p.otherwise = text(r, "otherwise", Presence::required);
    p.notes = text(r, "notes");
    p.condition = read_condition(r);
    r.report_unknown_keys();
    v.license_policies.push_back(std::move(p));
  }
  for (auto& r : reader.table_array("named")) {
    NamedControl n;
    n.id = text(r, "id", Presence::required);
    n.chip_ids = r.string_list("chips", Presence::required).value_or(std::vector<std::string>{});
    for (const auto& chip_id : n.chip_ids) {
      if (catalog.find_chip(chip_id) == nullptr) {
        r.error_at("chips", "unknown chip id \"" + chip_id + "\"" +
                                did_you_mean(chip_id, catalog.chip_ids()));
      }
    }
    n.effective = r.date("effective", Presence::required).value_or("");
    n.effect = text(r, "effect", Presence::required);
    n.sources = r.string_list("sources", Presence::required).value_or(std::vector<std::string>{});
    r.report_unknown_keys();
    v.named.push_back(std::move(n));
  }
  reader.report_unknown_keys();
  return v;
}

Truth holds(const Bound& b, std::optional<double> value) {
  if (!value) return Truth::unknown;
  bool ok = false;
  switch (b.comparison) {
    case Comparison::ge:
      ok = *value >= b.threshold;
      break;
    case Comparison::gt:
      ok = *value > b.threshold;
      break;
    case Comparison::le:
      ok = *value <= b.threshold;
      break;
    case Comparison::lt:
      ok = *value < b.threshold;
      break;
  }
  return ok ? Truth::yes : Truth::no;
}

// All-of: no beats unknown beats yes.
Truth all_of(Truth a, Truth b) {
  if (a == Truth::no || b == Truth::no) return Truth::no;
  if (a == Truth::unknown || b == Truth::unknown) return Truth::unknown;
  return Truth::yes;
}

// Any-of: yes beats unknown beats no.
Truth any_of(Truth a, Truth b) {
  if (a == Truth::yes || b == Truth::yes) return Truth::yes;
  if (a == Truth::unknown || b == Truth::unknown) return Truth::unknown;
  return Truth::no;
}

ConditionCheck check(const Condition& condition, const ChipMetrics& m) {
  ConditionCheck result;
  result.holds = Truth::yes;
  for (const auto& b : condition.bounds) {
    BoundCheck bc{b, m.value(b.metric), Truth::unknown};
    bc.holds = holds(b, bc.value);
    if (b.metric == Metric::io_bidir_gbs && m.io_bidir_gbs_if_one_way &&
        holds(b, m.io_bidir_gbs_if_one_way) != bc.holds) {
      bc.holds = Truth::unknown;
    }
    result.holds = all_of(result.holds, bc.holds);
    result.bounds.push_back(bc);
  }
  if (condition.datacenter) {
    result.datacenter_required = condition.datacenter;
    result.datacenter_value = m.datacenter;
    const Truth dc = !m.datacenter
                         ? Truth::unknown
                         : (*m.datacenter == *condition.datacenter ? Truth::yes : Truth::no);
    result.holds = all_of(result.holds, dc);
  }
  return result;
}

void note_missing(const ConditionCheck& c, std::vector<std::string>& missing) {
  auto add = [&](const std::string& name) {
    if (std::find(missing.begin(), missing.end(), name) == missing.end()) missing.push_back(name);
  };
  for (const auto& b : c.bounds) {
    if (b.holds == Truth::unknown) add(to_string(b.bound.metric));
  }
  if (c.datacenter_required && !c.datacenter_value) add("datacenter");
}

std::string format_plain(double x) {
  if (std::fabs(x) >= 100 && std::fabs(x) < 1e15) return std::to_string(std::llround(x));
  return format_number(std::round(x * 100) / 100);
}

// How the vintage's licence review policy (the last one listed) treats the chip.
std::string review_policy(const Vintage& vintage, const ChipMetrics& m) {
  std::string policy;
  for (const auto& p : vintage.license_policies) {
    const ConditionCheck c = check(p.condition, m);
    std::string because;
    for (const auto& b : c.bounds) {
      because += (because.empty() ? "" : ", ") + std::string(to_string(b.bound.metric)) + " " +
                 (b.value ? format_plain(*b.value) : "unknown") + " " + symbol(b.bound.comparison) +
                 " " + format_plain(b.bound.threshold) + (b.holds == Truth::yes ? "" : " fails");
    }
    policy = (c.holds == Truth::yes  ? p.policy
              : c.holds == Truth::no ? p.otherwise
                                     : "undecided") +
             " (" + p.id + ": " + because + ")";
  }
  return policy;
}

}  // namespace

const char* to_string(Metric metric) {
  switch (metric) {
    case Metric::tpp:
      return "tpp";
    case Metric::pd:
      return "pd";
    case Metric::io_bidir_gbs:
      return "io_bidir_gbs";
    case Metric::total_dram_bw_gbs:
      return "total_dram_bw_gbs";
    case Metric::mbd_gbs_per_mm2:
      return "mbd_gbs_per_mm2";
  }
  return "";
}

const char* symbol(Comparison comparison) {
  switch (comparison) {
    case Comparison::ge:
      return ">=";
    case Comparison::gt:
      return ">";
    case Comparison::le:
      return "<=";
    case Comparison::lt:
      return "<";
  }
  return "";
}

const Vintage* RuleBook::find(const std::string& id) const {
  for (const auto& v : vintages) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

std::vector<std::string> RuleBook::ids() const {
  std::vector<std::string> out;
  for (const auto& v : vintages) out.push_back(v.id);
  return out;
}

RuleBook load_rule_book(const std::vector<TextSource>& sources, const Catalog& catalog) {
  Diagnostics diagnostics;
  RuleBook book;
  for (const auto& source : sources) {
    auto document = parse_toml(source.name, source.text, diagnostics);
    if (!document) continue;
    TableReader root(*document, "", source.name, diagnostics);
    for (auto& reader : root.table_array("vintage", Presence::required)) {
      Vintage v = read_vintage(reader, catalog);
      if (!v.id.empty() && book.find(v.id) != nullptr)
        reader.error_at("id", "duplicate vintage id");
      book.vintages.push_back(std::move(v));
    }
    root.report_unknown_keys();
  }
  diagnostics.throw_if_any();
  return book;
}

RuleBook load_builtin_rule_book(const Catalog& catalog) {
  std::vector<TextSource> sources;
  for (const auto& [name, text] : embedded_rule_files()) {
    sources.push_back({std::string(name), std::string(text)});
  }
  return load_rule_book(sources, catalog);
}

std::optional<double> ChipMetrics::value(Metric metric) const {
  switch (metric) {
    case Metric::tpp:
      return tpp;
    case Metric::pd:
      return pd;
    case Metric::io_bidir_gbs:
      return io_bidir_gbs;
    case Metric::total_dram_bw_gbs:
      return total_dram_bw_gbs;
    case Metric::mbd_gbs_per_mm2:
      return mbd_gbs_per_mm2;
  }
  return std::nullopt;
}

namespace {

struct Rate {
  std::string name;
  double tera;  // dense TFLOPS or TOPS
  int bits;
};

// The rates a reading counts: `only` when given (a TppVariant), else every
// catalogued rate (fp64 tensor included) but those in `without`.
std::vector<Rate> rates(const Chip& chip, const std::vector<Precision>& only,
                        const std::vector<Precision>& without) {
  auto listed = [](const std::vector<Precision>& list, Precision p) {
    return std::find(list.begin(), list.end(), p) != list.end();
  };
  std::vector<Rate> out;
  for (Precision p : kAllPrecisions) {
    if (!only.empty() && !listed(only, p)) continue;
    if (listed(without, p)) continue;
    if (auto peak = chip.peak_flops(p))
      out.push_back({std::string(to_string(p)), *peak / 1e12, bit_length(p)});
  }
  if (only.empty() && chip.fp64_tensor_flops) {
    out.push_back({"fp64 tensor", *chip.fp64_tensor_flops / 1e12, 64});
  }
  return out;
}

ChipMetrics metrics_for(const Chip& chip, const std::string& reading,
                        const std::vector<Precision>& formats,
                        const std::vector<Precision>& without = {}) {
  ChipMetrics m;
  m.chip_id = chip.id;
  m.reading = reading;
  double best = -1;
  int best_bits = 0;
  for (const auto& r : rates(chip, formats, without)) {
    const double tpp = r.tera * r.bits;
    // On a tie name the shortest format (H20: fp8 296 x 8 = bf16 148 x 16),
    // the basis BIS's worked example and trackers quote.
    if (tpp > best || (tpp == best && r.bits < best_bits)) {
      best = tpp;
      best_bits = r.bits;
      m.tpp_basis = r.name + " " + format_number(r.tera) +
                    (r.name == "int8" ? " TOPS" : " TFLOPS") + " x " + std::to_string(r.bits);
    }
  }
  if (best >= 0) m.tpp = best;
  m.die_area_mm2 = chip.die_area_mm2;
  if (m.tpp && m.die_area_mm2) m.pd = *m.tpp / *m.die_area_mm2;
  if (chip.io_bidirectional_bytes_per_s) {
    m.io_bidir_gbs = *chip.io_bidirectional_bytes_per_s / 1e9;
    m.io_basis = chip.io_basis;
  } else if (chip.scaleup_bidirectional_bytes_per_s) {
    m.io_bidir_gbs = *chip.scaleup_bidirectional_bytes_per_s / 1e9;
    m.io_basis = "scale-up bidirectional";
  } else if (chip.scaleup_unidirectional_bytes_per_s) {
    m.io_bidir_gbs = 2 * *chip.scaleup_unidirectional_bytes_per_s / 1e9;
    m.io_basis = "2 x scale-up unidirectional";
  } else if (chip.scaleup_direction_unstated_bytes_per_s) {
    m.io_bidir_gbs = *chip.scaleup_direction_unstated_bytes_per_s / 1e9;
    m.io_bidir_gbs_if_one_way = 2 * *m.io_bidir_gbs;
    m.io_basis = "scale-up, direction unstated: " + format_number(*m.io_bidir_gbs) +
                 " if bidirectional, " + format_number(*m.io_bidir_gbs_if_one_way) + " if one way";
  }
  if (chip.hbm_bandwidth_bytes_per_s) m.total_dram_bw_gbs = *chip.hbm_bandwidth_bytes_per_s / 1e9;
  m.datacenter = chip.datacenter;
  return m;
}

// Where the readings come from. The default counts TF32 at 32 bits as the
// trackers do (docs/policy-supply.md §A.1).
constexpr const char* kDefaultReadingSource =
    "every catalogued dense rate x its format's bit length (TF32 at 32), the maximum taken as "
    "in BIS's worked example (88 FR 73458) and eCFR-based trackers: "
    "https://www.govinfo.gov/content/pkg/FR-2023-10-25/html/2023-23055.htm, "
    "https://github.com/s-w-kelly/chip-export-controls";
constexpr const char* kTf32ReadingSource =
    "TF32 stores 19 bits (1 sign, 8 exponent, 10 mantissa), NVIDIA A100 architecture whitepaper: "
    "https://images.nvidia.com/aem-dam/en-zz/Solutions/data-center/"
    "nvidia-ampere-architecture-whitepaper.pdf";

}  // namespace

std::vector<ChipMetrics> chip_metrics(const Chip& chip) {
  std::vector<ChipMetrics> out = {metrics_for(chip, "all catalogued rates", {})};
  out.front().reading_source = kDefaultReadingSource;
  for (const auto& v : chip.tpp_variants) {
    out.push_back(metrics_for(chip, v.label, v.formats));
    out.back().reading_source = "the chip's tpp_variants entry; its notes give the rate's source";
  }
  // TF32 x 32 above every other rate: show the chip without it as well.
  ChipMetrics without_tf32 = metrics_for(chip, kTf32Reading, {}, {Precision::tf32});
  const auto tf32 = chip.peak_flops(Precision::tf32);
  if (tf32 && out.front().tpp && *out.front().tpp > without_tf32.tpp.value_or(0) &&
      *tf32 / 1e12 * bit_length(Precision::tf32) >= *out.front().tpp) {
    without_tf32.reading_source = kTf32ReadingSource;
    out.push_back(std::move(without_tf32));
  }
  return out;
}

Verdict classify(const ChipMetrics& m, const Vintage& vintage) {
  Verdict v;
  v.vintage_id = vintage.id;
  // Paragraphs in the order the rule lists them (3A090.a before .b).
  std::vector<std::pair<std::string, Truth>> paragraphs;
  std::vector<std::string> first_clause;
  for (const auto& clause : vintage.clauses) {
    if (clause.applies_to_hbm) {
      v.hbm_clauses.push_back(clause.id);
      continue;
    }
    ClauseCheck cc{&clause, check(clause.condition, m)};
    auto it = std::find_if(paragraphs.begin(), paragraphs.end(),
                           [&](const auto& p) { return p.first == clause.eccn; });
    if (it == paragraphs.end()) {
      paragraphs.emplace_back(clause.eccn, Truth::no);
      first_clause.emplace_back();
      it = paragraphs.end() - 1;
    }
    const auto index = static_cast<std::size_t>(it - paragraphs.begin());
    if (cc.check.holds == Truth::yes && first_clause[index].empty())
      first_clause[index] = clause.id;
    if (cc.check.holds == Truth::unknown) note_missing(cc.check, v.missing);
    it->second = any_of(it->second, cc.check.holds);
    v.clauses.push_back(cc);
  }

  std::string status = "not controlled";
  Truth controlled = Truth::no;
  std::vector<std::string> undecided_before;
  for (std::size_t i = 0; i < paragraphs.size(); ++i) {
    if (paragraphs[i].second == Truth::yes) {
      status = paragraphs[i].first;
      v.matched_clause = first_clause[i];
      controlled = Truth::yes;
      break;
    }
    if (paragraphs[i].second == Truth::unknown) {
      undecided_before.push_back(paragraphs[i].first);
      controlled = Truth::unknown;
    }
  }
  if (controlled == Truth::unknown) status = "undecided";
  if (controlled == Truth::yes && !undecided_before.empty()) {
    status += " or stricter (" + undecided_before.front() + " undecided)";
  }
  v.thresholds_status = status;

  for (const auto& exclusion : vintage.exclusions) {
    const ConditionCheck c = check(exclusion.condition, m);
    if (c.holds == Truth::yes && controlled != Truth::no) {
      v.exclusion = exclusion.id + ": " + exclusion.effect;
      status = "outside 3A090";
      controlled = Truth::no;
      v.matched_clause.clear();
    } else if (c.holds == Truth::unknown && controlled != Truth::no) {
      note_missing(c, v.missing);
      if (controlled == Truth::yes) status += " unless " + exclusion.id + " applies";
      controlled = Truth::unknown;
    }
  }
  v.status = status;
  v.controlled_truth = controlled;
  v.controlled = controlled == Truth::yes;
  if (controlled != Truth::no) {
    const std::string eccn = v.thresholds_status.substr(0, v.thresholds_status.find(' '));
    for (const auto& e : vintage.license_exceptions) {
      if (e.eccn != eccn) continue;
      const ConditionCheck c = check(e.condition, m);
      if (c.holds == Truth::yes) v.license_exceptions.push_back(e.id);
      if (c.holds == Truth::unknown)
        v.license_exceptions.push_back(e.id + " (if its conditions hold)");
    }
    v.license_policy = review_policy(vintage, m);
  }
  for (const auto& n : vintage.named) {
    if (std::find(n.chip_ids.begin(), n.chip_ids.end(), m.chip_id) == n.chip_ids.end()) continue;
    v.named_effects.push_back(n.effect + " (from " + n.effective + ")");
    // The thresholds leave the chip out (or cannot tell): the named control
    // decides, and says so in the status itself.
    if (v.controlled_truth != Truth::yes) {
      v.status = "licence required (" + n.id + ", " + n.effective + ")";
      v.controlled_truth = Truth::yes;
      v.controlled = true;
      v.named_sources = n.sources;
      v.license_policy = review_policy(vintage, m);
    }
  }
  return v;
}

std::vector<Headroom> headroom(const ChipMetrics& m, const Vintage& vintage) {
  std::vector<Headroom> out;
  auto add = [&](const Condition& condition, const std::string& id) {
    for (const auto& b : condition.bounds) {
      const auto value = m.value(b.metric);
      if (!value || b.threshold <= 0) continue;
      out.push_back(
          {b.metric, *value, b.threshold, id, *value - b.threshold, *value / b.threshold - 1.0});
    }
  };
  for (const auto& c : vintage.clauses) {
    if (!c.applies_to_hbm) add(c.condition, c.id);
  }
  for (const auto& e : vintage.exclusions) add(e.condition, e.id);
  for (const auto& p : vintage.license_policies) add(p.condition, p.id);
  std::stable_sort(out.begin(), out.end(), [](const Headroom& a, const Headroom& b) {
    if (a.metric != b.metric) return static_cast<int>(a.metric) < static_cast<int>(b.metric);
    return std::fabs(a.relative) < std::fabs(b.relative);
  });
  return out;
}

}  // namespace clustercap::export_control
