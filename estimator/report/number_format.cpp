#include "estimator/report/number_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "hardware/common/input_error.hpp"

namespace clustercap::report {

std::string machine_number(double value) {
  if (!std::isfinite(value)) return "";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

namespace {

// Beyond 2^53: the shortest round-trip digits in scientific form, the text
// the JSON writer prints for the same double ("1.4757395258967641e+20").
std::string beyond_exact(double value) {
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  return std::string(buffer, result.ptr);
}

}  // namespace

std::optional<std::int64_t> exact_integer(double value) {
  const double rounded = std::round(value);
  if (!(std::fabs(rounded) <= kExactIntegerLimit)) return std::nullopt;  // also NaN
  return static_cast<std::int64_t>(rounded);
}

double checked_count(double value, const char* what) {
  if (value >= 0) return value;  // +inf included; NaN fails the comparison
  const std::string text = std::isnan(value)   ? "nan"
                           : std::isinf(value) ? "-inf"
                                               : machine_number(value);
  throw RuntimeFailure(std::string("internal: ") + what + " = " + text + ": a count must be >= 0");
}

std::string whole_number(double value, const char* what) {
  checked_count(value, what);
  if (std::isinf(value)) return "";
  if (const auto integer = exact_integer(value)) return std::to_string(*integer);
  return beyond_exact(value);
}

std::string grouped_integer(double value) {
  if (!std::isfinite(value)) return "n/a";
  const auto integer = exact_integer(std::fabs(value));
  if (!integer) return beyond_exact(value);
  const bool negative = value < 0;
  std::string digits = std::to_string(*integer);
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[i];
    if ((n - i - 1) % 3 == 0 && i + 1 < n) out += ',';
  }
  return negative ? "-" + out : out;
}

std::string significant(double value, int digits) {
  if (!std::isfinite(value)) return "n/a";
  if (value == 0.0) return "0";
  const double magnitude = std::floor(std::log10(std::fabs(value)));
  if (magnitude >= 6 || magnitude < -3) return scientific(value, digits);
  const int decimals = std::max(0, digits - 1 - static_cast<int>(magnitude));
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string scientific(double value, int digits) {
  if (!std::isfinite(value)) return "n/a";
  if (value == 0.0) return "0";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*e", std::max(0, digits - 1), value);
  // "3.2e+25" -> "3.2e25", "1.5e-03" -> "1.5e-3"
  std::string text = buffer;
  const auto e = text.find('e');
  if (e == std::string::npos) return text;
  std::string mantissa = text.substr(0, e);
  std::string exponent = text.substr(e + 1);
  const bool negative = exponent[0] == '-';
  exponent = exponent.substr(1);
  while (exponent.size() > 1 && exponent[0] == '0') exponent.erase(0, 1);
  return mantissa + "e" + (negative ? "-" : "") + exponent;
}

std::string power(double watts) {
  if (!std::isfinite(watts)) return "n/a";
  const double a = std::fabs(watts);
  if (a >= 1e9) return significant(watts / 1e9) + " GW";
  if (a >= 1e6) return significant(watts / 1e6) + " MW";
  if (a >= 1e3) return significant(watts / 1e3) + " kW";
  return significant(watts) + " W";
}

std::string ratio(double value) { return significant(value) + "x"; }

std::string count_with_suffix(double value) {
  if (!std::isfinite(value)) return "n/a";
  const double a = std::fabs(value);
  if (a >= 1e12) return significant(value / 1e12) + "T";
  if (a >= 1e9) return significant(value / 1e9) + "B";
  if (a >= 1e6) return significant(value / 1e6) + "M";
  if (a >= 1e3) return significant(value / 1e3) + "k";
  return significant(value);
}

}  // namespace clustercap::report
