// Protobuf wire-format helpers for splicing already-serialized messages into a message being
// written, instead of parsing them into objects and serializing them again:
//
//   std::string out = head.SerializeAsString();        // the fields numbered below 6
//   AppendLengthDelimited(6, record_bytes, &out);      // field 6, a serialized sub-message
//   out += tail.SerializeAsString();                   // the fields numbered above 6
//
// Protobuf serializes fields in number order, so parts written in that order give the same
// bytes as serializing the whole message (tests compare them).
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_COMMON_PROTO_WIRE_H_
#define GLOBALTABLE_COMMON_PROTO_WIRE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace globaltable {

// Appends `bytes` as the length-delimited field `field` (tag, length, bytes).
void AppendLengthDelimited(uint32_t field, absl::string_view bytes, std::string* out);

}  // namespace globaltable

#endif  // GLOBALTABLE_COMMON_PROTO_WIRE_H_
