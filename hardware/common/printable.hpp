// Text from files and the command line made safe for a terminal: a name, a
// path or a value cannot move the cursor, recolour or clear the screen.
#pragma once

#include <string>

namespace clustercap {

// The text with control characters written out: C0 controls and DEL as
// "\x1b" (four characters), C1 controls (UTF-8 C2 80..C2 9F) as "\u009b".
// Other bytes, UTF-8 included, pass through.
inline std::string printable_text(const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else if (byte == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
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

}  // namespace clustercap
