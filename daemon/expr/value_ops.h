// Attribute value helpers for the expression evaluators: types, equality and ordering by
// DynamoDB's rules, sorted attribute lists, document path lookup, set algebra. Internal to
// daemon/expr. Values and items are canonical (see proto/globaltable.proto).
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_DAEMON_EXPR_VALUE_OPS_H_
#define GLOBALTABLE_DAEMON_EXPR_VALUE_OPS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "daemon/expr/expressions.h"
#include "google/protobuf/repeated_field.h"
#include "proto/globaltable.pb.h"

namespace globaltable::daemon::expr::internal {

using AttributeList = google::protobuf::RepeatedPtrField<proto::Attribute>;

// "S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"; "" when unset.
absl::string_view TypeOf(const proto::AttributeValue& value);
// DynamoDB's long names used in some messages: "STRING", "NUMBER", "BINARY", "BOOLEAN", ...
absl::string_view LongTypeName(const proto::AttributeValue& value);
bool IsSet(const proto::AttributeValue& value);

// Deep equality of canonical values (numbers numerically, sets as sets, maps by entries).
bool Equal(const proto::AttributeValue& a, const proto::AttributeValue& b);
// Ordering for <, <=, >, >=, BETWEEN: both N, both S or both B; nullopt otherwise.
std::optional<int> Compare(const proto::AttributeValue& a, const proto::AttributeValue& b);

// Sorted attribute lists (Item::attributes, MapValue::entries).
const proto::AttributeValue* FindEntry(const AttributeList& list, absl::string_view name);
proto::AttributeValue* FindMutableEntry(AttributeList* list, absl::string_view name);
void SetEntry(AttributeList* list, absl::string_view name, proto::AttributeValue value);
bool RemoveEntry(AttributeList* list, absl::string_view name);

// The value at `path` in `item`; nullptr when any step is missing or of the wrong type.
const proto::AttributeValue* Lookup(const proto::Item& item, const DocumentPath& path);

// Set algebra on canonical sets of the same type (SS, NS or BS); results stay canonical.
proto::AttributeValue SetUnion(const proto::AttributeValue& a, const proto::AttributeValue& b);
proto::AttributeValue SetDifference(const proto::AttributeValue& a, const proto::AttributeValue& b);
// Number of elements of a set.
int SetSize(const proto::AttributeValue& value);

// `item` restricted to `paths` (which must not overlap or conflict): enclosing maps are kept
// with only the projected entries, lists with only the projected elements in index order.
proto::Item ProjectPaths(const proto::Item& item, const std::vector<DocumentPath>& paths);

// "[a, b, [2]]", the form DynamoDB uses for paths in error messages.
std::string PathForMessage(const DocumentPath& path);
// -1, 0, 1: elementwise, indexes numerically, names bytewise, a prefix first.
int ComparePaths(const DocumentPath& a, const DocumentPath& b);

}  // namespace globaltable::daemon::expr::internal

#endif  // GLOBALTABLE_DAEMON_EXPR_VALUE_OPS_H_
