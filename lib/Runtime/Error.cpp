//===- Error.cpp - Runtime error helpers ----------------------------------===//

#include "kvcache/Runtime/Error.h"

std::string kvcache::runtime::printable(std::string_view text) {
  static const char digits[] = "0123456789abcdef";
  std::string result;
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      result += "\\x";
      result += digits[byte >> 4];
      result += digits[byte & 0xf];
    } else {
      result += c;
    }
  }
  return result;
}
