// Numeric formats a chip's dense peak throughput is catalogued in.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace clustercap {

enum class Precision { fp64, fp32, tf32, bf16, fp16, fp8, int8, fp4 };

inline constexpr std::array<Precision, 8> kAllPrecisions = {
    Precision::fp64, Precision::fp32, Precision::tf32, Precision::bf16,
    Precision::fp16, Precision::fp8,  Precision::int8, Precision::fp4};

// "bf16", "fp8", ...
std::string_view to_string(Precision precision);
std::optional<Precision> parse_precision(std::string_view text);
// Bit length used by the export-control TPP formula.
int bit_length(Precision precision);
// Catalog key holding the dense peak: "bf16_tflops", "int8_tops", ...
std::string catalog_key(Precision precision);

}  // namespace clustercap
