// Helpers for codec tests: hex strings to bytes and back, and message
// builders for the malformed cases.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hashi::of::test {

inline std::vector<uint8_t> Hex(const std::string& s) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;  // spaces and separators are for readability
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

inline std::string ToHex(const std::vector<uint8_t>& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += d[x >> 4];
    s += d[x & 15];
  }
  return s;
}

// Sets the header length field of a message to its size.
inline std::vector<uint8_t> Fix(std::vector<uint8_t> m) {
  m[2] = static_cast<uint8_t>(m.size() >> 8);
  m[3] = static_cast<uint8_t>(m.size());
  return m;
}

}  // namespace hashi::of::test
