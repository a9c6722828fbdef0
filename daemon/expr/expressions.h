// DynamoDB expressions: ConditionExpression, FilterExpression, UpdateExpression,
// ProjectionExpression and KeyConditionExpression, with ExpressionAttributeNames/Values.
//
// One request's expressions share one ExpressionContext: parse every expression of the request
// against it, then call CheckAllUsed() so unused names and values are reported as DynamoDB does.
// Parsed expressions copy what they need from the context (names resolved, values copied), so
// they outlive the context and can be evaluated many times (a Scan's filter, a retried write).
//
//   ExpressionContext ctx(&request.names, &request.values);   // maps owned by the caller
//   RETURN_IF_ERROR(ctx.CheckMaps());
//   ASSIGN_OR_RETURN(Condition cond, Condition::Parse(text, ExpressionKind::kCondition, &ctx));
//   ASSIGN_OR_RETURN(Update update, Update::Parse(update_text, schema, &ctx));
//   RETURN_IF_ERROR(ctx.CheckAllUsed());
//   ... inside the store's decision function, with `current` possibly nullptr:
//   ASSIGN_OR_RETURN(bool ok, cond.Evaluate(current));
//   if (!ok) return absl::AbortedError("The conditional request failed");
//   proto::Item next = current ? *current : key;
//   RETURN_IF_ERROR(update.Apply(&next, /*item_exists=*/current != nullptr));
//
// Errors: every failure (syntax, reserved words, missing or unused names/values, type errors
// while applying an update) is kInvalidArgument carrying DynamoDB's ValidationException message,
// e.g. `Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"` (the offending
// token, and the text from the token before it to the token after it). When an expression has
// several semantic errors, the one reported is chosen by category the way DynamoDB does (e.g.
// an unknown function before an undefined ":value"). DynamoDB's limits apply: an expression is
// at most 4096 bytes, a condition has at most 300 operators and functions, a document path at
// most 32 levels, a list index fits in 31 bits, IN takes at most 100 values. A condition that
// does not hold is not an error: Evaluate returns false (the API maps it to
// ConditionalCheckFailedException). Evaluate and Apply never change their input on error.
//
// Values in ExpressionAttributeValues must already be canonical (storage::CanonicalizeValue);
// items given to Evaluate/Apply/Project must be canonical; Apply keeps the item canonical
// (attributes and map entries sorted, sets sorted without duplicates, numbers normalized).
//
// Thread-safety: ExpressionContext is not thread-safe (one per request). Parsed expressions are
// immutable after Parse and safe to use from several threads at once.
#ifndef GLOBALTABLE_DAEMON_EXPR_EXPRESSIONS_H_
#define GLOBALTABLE_DAEMON_EXPR_EXPRESSIONS_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/globaltable.pb.h"
#include "storage/store.h"

namespace globaltable::daemon::expr {

// Which request parameter an expression came from; it names the expression in error messages
// ("Invalid FilterExpression: ...").
enum class ExpressionKind {
  kCondition,     // ConditionExpression
  kFilter,        // FilterExpression
  kUpdate,        // UpdateExpression
  kProjection,    // ProjectionExpression
  kKeyCondition,  // KeyConditionExpression
};

// "ConditionExpression", "FilterExpression", ...
absl::string_view ExpressionKindName(ExpressionKind kind);

// ExpressionAttributeNames ("#n" -> attribute name) and ExpressionAttributeValues (":v" ->
// canonical value) of one request, and which of them the request's expressions used.
// Either map may be nullptr (parameter absent). The maps must outlive the context.
class ExpressionContext {
 public:
  using NameMap = std::map<std::string, std::string>;
  using ValueMap = std::map<std::string, proto::AttributeValue>;

  ExpressionContext(const NameMap* names, const ValueMap* values);

  // DynamoDB's checks on the maps themselves, made before any expression is parsed: a map
  // given must not be empty ("ExpressionAttributeValues must not be empty") and its keys must be
  // '#' or ':' followed by [A-Za-z0-9_]+ ("ExpressionAttributeNames contains invalid key:
  // Syntax error; key: \"n\"").
  absl::Status CheckMaps() const;

  // Call after parsing all of the request's expressions. Reports, in this order:
  //   "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
  //   "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"
  absl::Status CheckAllUsed() const;

  // Used by the parsers. `token` includes its '#' or ':'. Missing entries give DynamoDB's
  // "An expression attribute name used in the document path is not defined; attribute name: #x"
  // / "An expression attribute value used in expression is not defined; attribute value: :x"
  // (without the "Invalid XExpression: " prefix, which the parser adds).
  absl::StatusOr<std::string> ResolveName(absl::string_view token);
  absl::StatusOr<proto::AttributeValue> ResolveValue(absl::string_view token);

 private:
  const NameMap* names_;
  const ValueMap* values_;
  std::set<std::string> used_names_;
  std::set<std::string> used_values_;
};

// One step of a document path: a map key / attribute name, or a list index.
struct PathElement {
  bool is_index = false;
  std::string name;  // !is_index
  int index = 0;     // is_index
};
// A resolved document path such as a.b[2].c; elements[0] is always a name (the attribute).
struct DocumentPath {
  std::vector<PathElement> elements;
  // "a.b[2].c" (names as resolved, not "#n").
  std::string ToString() const;
};

namespace internal {
struct ConditionNode;
struct UpdateAction;
}  // namespace internal

// A parsed ConditionExpression or FilterExpression.
class Condition {
 public:
  // `kind` is kCondition or kFilter. An empty or all-blank text is an error
  // ("Invalid ConditionExpression: The expression can not be empty;").
  static absl::StatusOr<Condition> Parse(absl::string_view text, ExpressionKind kind,
                                         ExpressionContext* context);

  // Evaluates against `item` (nullptr = no item, which behaves as an empty item).
  // Comparisons between different types are false, numbers compare numerically, a missing
  // attribute makes every comparison false except <>. size() is UTF-8 bytes for S, bytes for B,
  // elements for sets, L and M; size() of N, BOOL or NULL compares false. All of DynamoDB's
  // validation happens in Parse, so this fails only on a default-constructed Condition.
  absl::StatusOr<bool> Evaluate(const proto::Item* item) const;

  // Top-level attribute names the expression reads (sorted, unique): a Query's FilterExpression
  // must not use key attributes.
  const std::vector<std::string>& attributes() const { return attributes_; }

 private:
  std::shared_ptr<const internal::ConditionNode> root_;
  std::vector<std::string> attributes_;
};

// A parsed UpdateExpression: SET, REMOVE, ADD and DELETE clauses, each at most once.
class Update {
 public:
  // Rejects at parse time: syntax errors, a clause given twice ("The "SET" section can only be
  // used once in an update expression;"), paths that overlap or repeat ("Two document paths
  // overlap with each other; must remove or rewrite one of these paths; path one: [a], path two:
  // [a, b]") or conflict ("Two document paths conflict with each other; ..." for a.b and a[1]),
  // key attributes of `schema` ("One or more parameter values were invalid: Cannot update
  // attribute pk. This attribute is part of the key", without the "Invalid UpdateExpression: "
  // prefix), unknown functions, and operand constants of the wrong type ("Incorrect operand type
  // for operator or function; operator: ADD, operand type: STRING").
  static absl::StatusOr<Update> Parse(absl::string_view text, const proto::TableSchema& schema,
                                      ExpressionContext* context);

  // Applies every action to `item` (an existing item, or the key attributes of a new one; say
  // which with `item_exists`: DynamoDB ignores REMOVE of a nested path of an item that does not
  // exist). All operands read the item as it was before the update, and list indexes refer to
  // the lists before the update; SET past the end of a list appends; DELETE of a set's last
  // elements removes the attribute. On error `item` is unchanged. Errors:
  // "The provided expression refers to an attribute that does not exist in the item",
  // "The document path provided in the update expression is invalid for update",
  // "An operand in the update expression has an incorrect data type", and number overflow from
  // storage::AddNumbers. The caller checks the result's size (storage::ValidateItemForWrite).
  absl::Status Apply(proto::Item* item, bool item_exists = true) const;

  // Top-level attributes the update touches (sorted, unique), for ReturnValues UPDATED_OLD /
  // UPDATED_NEW.
  const std::vector<std::string>& updated_attributes() const { return updated_attributes_; }

  // The parts of `item` at the updated paths, as DynamoDB returns for UPDATED_OLD (pass the old
  // item) and UPDATED_NEW (pass the new item). Paths absent from `item` are left out.
  proto::Item ProjectUpdated(const proto::Item& item) const;

 private:
  std::shared_ptr<const std::vector<internal::UpdateAction>> actions_;
  std::vector<std::string> updated_attributes_;
  std::vector<DocumentPath> updated_paths_;
};

// A parsed ProjectionExpression: a comma-separated list of document paths.
class Projection {
 public:
  static absl::StatusOr<Projection> Parse(absl::string_view text, ExpressionContext* context);

  // The item restricted to the projected paths; nested paths keep their enclosing maps and
  // lists (a list keeps only the projected elements, in index order). Missing paths are skipped.
  proto::Item Project(const proto::Item& item) const;

  const std::vector<DocumentPath>& paths() const { return paths_; }

 private:
  std::vector<DocumentPath> paths_;
};

// A parsed KeyConditionExpression: `pk = :v` and optionally `AND` a sort key condition
// (=, <, <=, >, >=, BETWEEN :a AND :b, begins_with(sk, :p)), in either order.
struct KeyCondition {
  proto::AttributeValue partition_key;
  storage::SortKeyCondition sort_key;  // op kNone when absent

  // Errors (all kInvalidArgument): syntax and the condition checks ("Invalid
  // KeyConditionExpression: ..."), and without that prefix: "Invalid operator used in
  // KeyConditionExpression: OR", "Query condition missed key schema element: pk", "Query key
  // condition not supported", "KeyConditionExpressions must only contain one condition per key",
  // value types that do not match the schema ("One or more parameter values were invalid:
  // Condition parameter type does not match schema type").
  static absl::StatusOr<KeyCondition> Parse(absl::string_view text,
                                            const proto::TableSchema& schema,
                                            ExpressionContext* context);
};

// True if `word` (any case) is one of DynamoDB's reserved words, which cannot appear as a bare
// attribute name in an expression.
bool IsReservedWord(absl::string_view word);

}  // namespace globaltable::daemon::expr

#endif  // GLOBALTABLE_DAEMON_EXPR_EXPRESSIONS_H_
