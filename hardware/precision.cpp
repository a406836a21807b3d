#include "hardware/precision.hpp"

namespace clustercap {

std::string_view to_string(Precision precision) {
  switch (precision) {
    case Precision::fp64:
      return "fp64";
    case Precision::fp32:
      return "fp32";
    case Precision::tf32:
      return "tf32";
    case Precision::bf16:
      return "bf16";
    case Precision::fp16:
      return "fp16";
    case Precision::fp8:
      return "fp8";
    case Precision::int8:
      return "int8";
    case Precision::fp4:
      return "fp4";
  }
  return "unknown";
}

std::optional<Precision> parse_precision(std::string_view text) {
  for (Precision p : kAllPrecisions) {
    if (to_string(p) == text) return p;
  }
  return std::nullopt;
}

int bit_length(Precision precision) {
  switch (precision) {
    case Precision::fp64:
      return 64;
    case Precision::fp32:
      return 32;
    case Precision::tf32:
      return 32;
    case Precision::bf16:
      return 16;
    case Precision::fp16:
      return 16;
    case Precision::fp8:
      return 8;
    case Precision::int8:
      return 8;
    case Precision::fp4:
      return 4;
  }
  return 0;
}

std::string catalog_key(Precision precision) {
  return std::string(to_string(precision)) + (precision == Precision::int8 ? "_tops" : "_tflops");
}

}  // namespace clustercap
