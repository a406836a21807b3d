// Text from input files (actor, site, scenario, chip names), made safe for
// the two places reporters put it: a terminal and a CSV field.
#pragma once

#include <string>

namespace clustercap::report {

// RFC 4180: the field as is, or quoted when it holds a comma, a quote, CR or
// LF, with each quote doubled.
inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// The text with control characters written out, so a name cannot move the
// cursor, recolour or clear a terminal: C0 controls and DEL as "\x1b" (four
// characters), C1 controls (UTF-8 C2 80..C2 9F) as "\u009b". Other bytes,
// UTF-8 included, pass through.
inline std::string terminal_text(const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else if (byte == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      const auto c1 = static_cast<unsigned char>(text[++i]);
      out += "\\u00";
      out += kHex[c1 >> 4];
      out += kHex[c1 & 0xf];
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace clustercap::report
