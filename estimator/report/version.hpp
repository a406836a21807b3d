#pragma once

namespace clustercap {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace clustercap
