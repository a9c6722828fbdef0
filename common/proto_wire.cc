#include "common/proto_wire.h"

namespace globaltable {
namespace {

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

}  // namespace

void AppendLengthDelimited(uint32_t field, absl::string_view bytes, std::string* out) {
  AppendVarint((uint64_t{field} << 3) | 2, out);  // wire type 2: length-delimited
  AppendVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

}  // namespace globaltable
