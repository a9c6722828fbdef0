// Attribute values and items: canonical form, validation, size, and key extraction.
//
// The storage layer keeps every value canonical (see proto/globaltable.proto): numbers
// normalized, sets sorted without duplicates, map entries and item attributes sorted by name.
// Canonical values serialize to the same bytes in every region, which digests rely on.
//
//   proto::Item item = ...;                       // straight from the API's JSON decoder
//   RETURN_IF_ERROR(CanonicalizeItem(&item));     // ValidationException on bad values
//   RETURN_IF_ERROR(ValidateItemForWrite(schema, item));
//   ASSIGN_OR_RETURN(proto::Item key, ExtractKey(schema, item));
//
// All errors are kInvalidArgument with messages close to DynamoDB's ValidationException.
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_STORAGE_VALUE_H_
#define GLOBALTABLE_STORAGE_VALUE_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/globaltable.pb.h"

namespace globaltable::storage {

inline constexpr size_t kMaxItemBytes = 400 * 1024;
inline constexpr size_t kMaxPartitionKeyBytes = 2048;
inline constexpr size_t kMaxSortKeyBytes = 1024;

// Normalizes numbers, sorts sets and map entries. Rejects: malformed numbers, empty sets,
// duplicate set members, duplicate map/attribute names, and unset values.
absl::Status CanonicalizeValue(proto::AttributeValue* value);
absl::Status CanonicalizeItem(proto::Item* item);

// DynamoDB's item size: sum over attributes of UTF-8 name length plus value size, with
// DynamoDB's rules for each type (numbers: about 1 byte per 2 significant digits + 1; maps and
// lists: 3 bytes overhead + 1 per element; NULL/BOOL: 1 byte; ...).
size_t ItemSize(const proto::Item& item);
size_t ValueSize(const proto::AttributeValue& value);

// Checks the key attributes (present, declared type, non-empty, size limits) and the 400 KB
// item limit. The item must be canonical.
absl::Status ValidateItemForWrite(const proto::TableSchema& schema, const proto::Item& item);

// Checks that `key` holds exactly the table's key attributes with the declared types.
absl::Status ValidateKey(const proto::TableSchema& schema, const proto::Item& key);

// The key attributes of `item` (partition key, then sort key if any) as an Item.
absl::StatusOr<proto::Item> ExtractKey(const proto::TableSchema& schema, const proto::Item& item);

// Lookup by name in a canonical (sorted) item or map; nullptr when absent.
const proto::AttributeValue* FindAttribute(const proto::Item& item, absl::string_view name);
// Inserts or replaces `name`, keeping the attributes sorted.
void SetAttribute(proto::Item* item, absl::string_view name, proto::AttributeValue value);
// Removes `name` if present; returns whether it was present.
bool RemoveAttribute(proto::Item* item, absl::string_view name);

// Deep equality by DynamoDB's rules (numbers numerically; sets as sets).
bool ValuesEqual(const proto::AttributeValue& a, const proto::AttributeValue& b);

// "S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"; "" for an unset value.
absl::string_view TypeName(const proto::AttributeValue& value);

}  // namespace globaltable::storage

#endif  // GLOBALTABLE_STORAGE_VALUE_H_
