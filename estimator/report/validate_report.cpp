#include "estimator/report/validate_report.hpp"

#include <iomanip>

#include <nlohmann/json.hpp>

#include "estimator/report/number_format.hpp"
#include "estimator/report/version.hpp"

namespace clustercap::report {
namespace {

using json = nlohmann::ordered_json;

std::string layout_text(const training::Layout& l) {
  return "tp" + std::to_string(l.tp) + (l.cp > 1 ? " cp" + std::to_string(l.cp) : "") + " pp" +
         std::to_string(l.pp) + " dp" + std::to_string(l.dp) +
         (l.ep > 1 ? " ep" + std::to_string(l.ep) : "") + " mb" + std::to_string(l.microbatch) +
         (l.interleave > 1 ? " v" + std::to_string(l.interleave) : "") + " " + training::to_string(l.recompute);
}

json layout_json(const training::Layout& l) {
  return {{"tp", l.tp}, {"pp", l.pp}, {"dp", l.dp}, {"ep", l.ep}, {"cp", l.cp}, {"microbatch", l.microbatch},
          {"interleave", l.interleave}, {"recompute", training::to_string(l.recompute)}};
}

std::string value(const training::ValidationRow& r, double v) {
  return r.basis == "megatron" ? significant(v) + " TF" : significant(v * 100) + "%";
}

}  // namespace

void write_validate_table(const training::ValidationResult& result, std::ostream& out) {
  out << "clustercap validate: predicted vs published throughput (TFLOP/s per chip in the paper's "
         "basis, or MFU)\n\n";
  out << std::left << std::setw(30) << "run" << std::right << std::setw(10) << "reported" << std::setw(11)
      << "predicted" << std::setw(9) << "error" << "  " << std::left << std::setw(30) << "published layout (best mb/v/rc)"
      << std::right << std::setw(11) << "searched" << "  " << std::left << "searched layout\n";
  for (const auto& r : result.rows) {
    out << std::left << std::setw(30) << r.id << std::right << std::setw(10) << value(r, r.reported)
        << std::setw(11) << value(r, r.predicted_published) << std::setw(8)
        << significant(r.error_published * 100, 2) << "%  " << std::left << std::setw(30)
        << layout_text(r.layout_published) << std::right << std::setw(11) << value(r, r.predicted_searched)
        << "  " << std::left << layout_text(r.layout_searched) << "\n";
  }
  out << "\nmedian absolute error " << significant(result.median_abs_error * 100, 2) << "%, worst "
      << significant(result.worst_abs_error * 100, 2) << "% (published layouts); "
      << grouped_integer(static_cast<double>(result.evaluated)) << " layouts evaluated\n";
}

void write_validate_json(const training::ValidationResult& result, std::ostream& out) {
  json rows = json::array();
  for (const auto& r : result.rows) {
    rows.push_back({{"id", r.id}, {"basis", r.basis}, {"reported", r.reported},
                    {"predicted_published_layout", r.predicted_published},
                    {"error", r.error_published}, {"mfu_published_layout", r.mfu_published},
                    {"layout_published", layout_json(r.layout_published)},
                    {"predicted_searched_layout", r.predicted_searched}, {"mfu_searched_layout", r.mfu_searched},
                    {"layout_searched", layout_json(r.layout_searched)}, {"layouts_evaluated", r.evaluated}});
  }
  json doc = {{"schema", kValidateSchema}, {"clustercap_version", kVersion},
              {"median_abs_error", result.median_abs_error}, {"worst_abs_error", result.worst_abs_error},
              {"layouts_evaluated", result.evaluated}, {"runs", rows}};
  out << doc.dump(2) << '\n';
}

void write_validate_csv(const training::ValidationResult& result, std::ostream& out) {
  out << "id,basis,reported,predicted_published_layout,error,predicted_searched_layout\n";
  for (const auto& r : result.rows) {
    out << r.id << "," << r.basis << "," << machine_number(r.reported) << ","
        << machine_number(r.predicted_published) << "," << machine_number(r.error_published) << ","
        << machine_number(r.predicted_searched) << "\n";
  }
}

}  // namespace clustercap::report
