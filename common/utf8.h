// Strict UTF-8 (RFC 3629): validation, and repair for output.
//
// Valid means what every JSON reader and protobuf `string` accept: no overlong forms, no
// surrogates (U+D800..U+DFFF, which is what an escaped lone surrogate such as "\udc00" decodes
// to), nothing above U+10FFFF, no truncated sequences.
//
//   if (size_t bad = FirstInvalidUtf8(s); bad != absl::string_view::npos) { ...refuse... }
//   std::string shown = ToValidUtf8(stored);   // invalid sequences become U+FFFD
//
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_COMMON_UTF8_H_
#define GLOBALTABLE_COMMON_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace globaltable {

// The offset of the first byte of the first invalid sequence in `s`, or npos if `s` is valid.
size_t FirstInvalidUtf8(absl::string_view s);

inline bool IsValidUtf8(absl::string_view s) {
  return FirstInvalidUtf8(s) == absl::string_view::npos;
}

// `s` with every maximal invalid subpart replaced by U+FFFD (the Unicode Standard's
// "substitution of maximal subparts", the practice of the WHATWG decoder). Valid input is
// returned unchanged.
std::string ToValidUtf8(absl::string_view s);

}  // namespace globaltable

#endif  // GLOBALTABLE_COMMON_UTF8_H_
