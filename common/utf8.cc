// Strict UTF-8 validation and U+FFFD repair. Pure functions; thread-safe.
#include "common/utf8.h"

#include <cstdint>
#include <cstring>

namespace globaltable {
namespace {

// The length of the valid sequence at s[i], or 0 with *maximal set to the length of the
// maximal invalid subpart there (at least 1): the bytes to replace with one U+FFFD.
size_t SequenceAt(const unsigned char* s, size_t n, size_t i, size_t* maximal) {
  const unsigned char c = s[i];
  *maximal = 1;
  if (c < 0x80) return 1;
  size_t len;
  // The allowed range of the second byte narrows for E0, ED, F0 and F4 (Unicode Table 3-7):
  // it excludes overlong forms, surrogates and code points above U+10FFFF.
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;  // a continuation byte, C0, C1 or F5..FF
  }
  for (size_t k = 1; k < len; ++k) {
    if (i + k >= n) return 0;
    const unsigned char b = s[i + k];
    const unsigned char min = k == 1 ? lo : 0x80;
    const unsigned char max = k == 1 ? hi : 0xBF;
    if (b < min || b > max) return 0;
    *maximal = k + 1;
  }
  return len;
}

// The length of the leading ASCII run, eight bytes at a time.
size_t AsciiPrefix(const unsigned char* s, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, s + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) break;
  }
  while (i < n && s[i] < 0x80) ++i;
  return i;
}

}  // namespace

size_t FirstInvalidUtf8(absl::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = AsciiPrefix(s, n);
  while (i < n) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    size_t maximal;
    const size_t len = SequenceAt(s, n, i, &maximal);
    if (len == 0) return i;
    i += len;
  }
  return absl::string_view::npos;
}

std::string ToValidUtf8(absl::string_view text) {
  size_t bad = FirstInvalidUtf8(text);
  if (bad == absl::string_view::npos) return std::string(text);
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  std::string out(text.substr(0, bad));
  size_t i = bad;
  while (i < n) {
    size_t maximal;
    const size_t len = SequenceAt(s, n, i, &maximal);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      // One U+FFFD per maximal subpart: the lead and the continuation bytes that fit it.
      i += maximal;
      continue;
    }
    out.append(text.data() + i, len);
    i += len;
  }
  return out;
}

}  // namespace globaltable
