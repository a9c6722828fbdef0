// Attribute value canonicalization, validation and sizing. Pure functions.
#include "storage/value.h"

namespace globaltable::storage {

absl::Status CanonicalizeValue(proto::AttributeValue* value) {
  return absl::UnimplementedError("CanonicalizeValue");
}
absl::Status CanonicalizeItem(proto::Item* item) {
  return absl::UnimplementedError("CanonicalizeItem");
}
size_t ItemSize(const proto::Item& item) { return 0; }
size_t ValueSize(const proto::AttributeValue& value) { return 0; }
absl::Status ValidateItemForWrite(const proto::TableSchema& schema, const proto::Item& item) {
  return absl::UnimplementedError("ValidateItemForWrite");
}
absl::Status ValidateKey(const proto::TableSchema& schema, const proto::Item& key) {
  return absl::UnimplementedError("ValidateKey");
}
absl::StatusOr<proto::Item> ExtractKey(const proto::TableSchema& schema, const proto::Item& item) {
  return absl::UnimplementedError("ExtractKey");
}
const proto::AttributeValue* FindAttribute(const proto::Item& item, absl::string_view name) {
  return nullptr;
}
void SetAttribute(proto::Item* item, absl::string_view name, proto::AttributeValue value) {}
bool RemoveAttribute(proto::Item* item, absl::string_view name) { return false; }
bool ValuesEqual(const proto::AttributeValue& a, const proto::AttributeValue& b) { return false; }
absl::string_view TypeName(const proto::AttributeValue& value) { return ""; }

}  // namespace globaltable::storage
