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
// duplicate set members (after normalization: "1" and "1.0" are duplicates), duplicate
// map/attribute names, empty attribute names (top level), unset values, and nesting deeper
// than DynamoDB's 32 levels. On error the value may be left partly canonicalized: callers
// discard it.
absl::Status CanonicalizeValue(proto::AttributeValue* value);
absl::Status CanonicalizeItem(proto::Item* item);

// Checks that no map or list in `item` is nested deeper than DynamoDB's 32 levels (the limit
// CanonicalizeItem applies). For items built by update expressions, which can set a deep value
// at a deep path. Recursion stops at the limit. kInvalidArgument with DynamoDB's message.
absl::Status CheckNesting(const proto::Item& item);

// DynamoDB's item size: sum over attributes of UTF-8 name length plus value size, with
// DynamoDB's rules for each type (docs "Item sizes and formats"): S and B their bytes; N
// 1 + ceil(significant digits / 2) (zero: 1); NULL/BOOL 1; sets the sum of their members;
// M and L 3 bytes + per element 1 byte + the element's size (+ its name's bytes in an M).
size_t ItemSize(const proto::Item& item);
size_t ValueSize(const proto::AttributeValue& value);

// Checks the key attributes (present, declared type, non-empty, size limits: 2048 bytes for
// the partition key, 1024 for the sort key, measured as ValueSize) and the 400 KB item limit
// (ItemSize). The item must be canonical.
absl::Status ValidateItemForWrite(const proto::TableSchema& schema, const proto::Item& item);

// Checks that `key` holds exactly the table's key attributes with the declared types (in any
// order), non-empty and within the key size limits.
absl::Status ValidateKey(const proto::TableSchema& schema, const proto::Item& key);

// Checks the key attributes inside a whole canonical `item` as ValidateKey checks a key, without
// copying them out: present (ExtractKey's error when missing), declared types, limits.
absl::Status ValidateKeyOf(const proto::TableSchema& schema, const proto::Item& item);

// The key attributes of `item` (partition key and sort key if any) as a canonical Item, i.e.
// sorted by name (use FindAttribute on it). The same missing-key error as ValidateItemForWrite.
absl::StatusOr<proto::Item> ExtractKey(const proto::TableSchema& schema, const proto::Item& item);

// Lookup by name in a canonical (sorted) item or map; nullptr when absent. O(log n).
const proto::AttributeValue* FindAttribute(const proto::Item& item, absl::string_view name);
const proto::AttributeValue* FindAttribute(const proto::MapValue& map, absl::string_view name);
// Inserts or replaces `name`, keeping the attributes sorted (a sorted item stays sorted).
void SetAttribute(proto::Item* item, absl::string_view name, proto::AttributeValue value);
void SetAttribute(proto::MapValue* map, absl::string_view name, proto::AttributeValue value);
// Removes `name` if present; returns whether it was present.
bool RemoveAttribute(proto::Item* item, absl::string_view name);
bool RemoveAttribute(proto::MapValue* map, absl::string_view name);

// Deep equality by DynamoDB's rules (numbers numerically; sets as sets).
bool ValuesEqual(const proto::AttributeValue& a, const proto::AttributeValue& b);

// "S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"; "" for an unset value.
absl::string_view TypeName(const proto::AttributeValue& value);

}  // namespace globaltable::storage

#endif  // GLOBALTABLE_STORAGE_VALUE_H_
