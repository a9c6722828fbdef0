// Order-preserving item key encoding. Pure functions.
#include "storage/key_codec.h"

#include "absl/status/status.h"

namespace globaltable::storage {

uint32_t KeyHash(const proto::AttributeValue& partition_key) { return 0; }
std::string EncodeKeySuffix(const proto::TableSchema& schema, const proto::Item& key) {
  return "";
}
std::string EncodePartitionPrefix(const proto::TableSchema& schema,
                                  const proto::AttributeValue& partition_key) {
  return "";
}
void AppendSortKeyBytes(const proto::TableSchema& schema, const proto::AttributeValue& sort_key,
                        std::string* out) {}
absl::StatusOr<proto::Item> DecodeKeySuffix(const proto::TableSchema& schema,
                                            absl::string_view suffix) {
  return absl::UnimplementedError("DecodeKeySuffix");
}
std::string SegmentStart(uint32_t segment, uint32_t total) { return ""; }

}  // namespace globaltable::storage
