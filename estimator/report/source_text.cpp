#include "estimator/report/source_text.hpp"

#include <cmath>

#include "estimator/report/number_format.hpp"
#include "estimator/report/text_format.hpp"

namespace clustercap::report {
namespace {

std::string value_text(double value) {
  return std::abs(value) >= 1000 ? grouped_integer(std::round(value)) : significant(value);
}

std::string estimate_text(const sweep::SourceEstimate& e) {
  std::string text = terminal_text(e.by) + " " + value_text(e.dist.median());
  if (!e.point) {
    text += " [p5-p95 " + value_text(e.dist.quantile(0.05)) + "-" +
            value_text(e.dist.quantile(0.95)) + "]";
  }
  return text + " (" + terminal_text(e.date) + ", " + terminal_text(e.cite) + ")";
}

}  // namespace

std::string used_estimate_text(const sweep::SourcedInput& input) {
  if (input.used >= 0) return estimate_text(input.estimates[static_cast<std::size_t>(input.used)]);
  std::string text = "mix of";
  for (std::size_t i = 0; i < input.estimates.size(); ++i) {
    const auto& e = input.estimates[i];
    text += (i == 0 ? " " : ", ") + terminal_text(e.by) + " (weight " + significant(e.weight) + ")";
  }
  return text;
}

std::string chosen_by_text(const sweep::SourcedInput& input, const sweep::SourceChoice& choice) {
  if (input.from_preference) {
    const std::string how = choice.line > 0 ? "[sources] use" : "--sources";
    return choice.reading.empty() ? how : how + " \"" + terminal_text(choice.reading) + "\"";
  }
  return input.used == 0 ? "the first listed" : "the value's use";
}

std::string sources_table_text(const std::vector<sweep::SourcedInput>& inputs,
                               const sweep::SourceChoice& choice, const std::string& hint) {
  if (inputs.empty()) return "";
  std::string text = std::to_string(inputs.size()) +
                     (inputs.size() == 1 ? " input has" : " inputs have") +
                     " competing published estimates (" + hint + "):\n";
  for (const auto& input : inputs) {
    text += "  " + terminal_text(input.label()) + " = " + value_text(input.value) + ": " +
            used_estimate_text(input) + "; chosen by " + chosen_by_text(input, choice) + "\n";
    std::string others;
    for (std::size_t i = 0; i < input.estimates.size(); ++i) {
      if (static_cast<int>(i) == input.used) continue;
      others += (others.empty() ? "" : "; ") + estimate_text(input.estimates[i]);
    }
    if (!others.empty() && input.used >= 0) text += "      other estimates: " + others + "\n";
    if (input.used < 0) text += "      estimates: " + others + "\n";
  }
  return text;
}

nlohmann::json sources_json(const std::vector<sweep::SourcedInput>& inputs,
                            const sweep::SourceChoice& choice) {
  using nlohmann::json;
  json list = json::array();
  for (const auto& input : inputs) {
    json estimates = json::array();
    for (const auto& e : input.estimates) {
      estimates.push_back({{"by", e.by},
                           {"date", e.date},
                           {"cite", e.cite},
                           {"note", e.note},
                           {"weight", e.weight},
                           {"point", e.point},
                           {"median", e.dist.median()},
                           {"p5", e.dist.quantile(0.05)},
                           {"p95", e.dist.quantile(0.95)}});
    }
    list.push_back(
        {{"input", input.label()},
         {"key", input.indexed_key},
         {"used", input.used >= 0 ? json(input.estimates[static_cast<std::size_t>(input.used)].by)
                                  : json("mix")},
         {"chosen_by", chosen_by_text(input, choice)},
         {"value", input.value},
         {"estimates", estimates}});
  }
  return {{"preference", choice.preference}, {"reading", choice.reading}, {"inputs", list}};
}

}  // namespace clustercap::report
