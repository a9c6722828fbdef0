// Reading DynamoDB request parameters: typed member access with DynamoDB's validation messages,
// table lookup, ExpressionAttributeNames/Values, ReturnValues and ReturnConsumedCapacity.
// Internal to daemon/api.
//
//   ASSIGN_OR_RETURN(std::shared_ptr<const proto::TableSchema> table, GetTableRef(ctx, request));
//   ASSIGN_OR_RETURN(auto exprs, RequestExpressions::Parse(request));
//   ASSIGN_OR_RETURN(auto cond, exprs->ParseCondition(request, "ConditionExpression"));
//   RETURN_IF_ERROR(exprs->Finish());
//
// Thread-safety: RequestExpressions belongs to one request; the rest are pure functions.
#ifndef GLOBALTABLE_DAEMON_API_REQUEST_H_
#define GLOBALTABLE_DAEMON_API_REQUEST_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/api/operations.h"
#include "daemon/expr/expressions.h"
#include "proto/globaltable.pb.h"
#include "rapidjson/document.h"

namespace globaltable::daemon::api {

// The member `name` of `object`, or nullptr when absent or JSON null.
const rapidjson::Value* Member(const rapidjson::Value& object, const char* name);

// "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member
// must not be null" (DynamoDB names members in lowerCamelCase).
absl::Status MissingMember(absl::string_view name);
absl::Status ConstraintViolation(absl::string_view value, absl::string_view name,
                                 absl::string_view constraint);

absl::StatusOr<std::string> RequiredString(const rapidjson::Value& object, const char* name);
absl::StatusOr<std::optional<std::string>> OptionalString(const rapidjson::Value& object,
                                                          const char* name);
absl::StatusOr<std::optional<int64_t>> OptionalInt(const rapidjson::Value& object,
                                                   const char* name);
absl::StatusOr<bool> OptionalBool(const rapidjson::Value& object, const char* name,
                                  bool default_value);
// An optional string member that must be one of `allowed`; `fallback` when absent.
absl::StatusOr<std::string> OptionalEnum(const rapidjson::Value& object, const char* name,
                                         std::initializer_list<absl::string_view> allowed,
                                         absl::string_view fallback);

// 3..255 characters of [a-zA-Z0-9_.-].
absl::Status ValidateTableName(absl::string_view name, absl::string_view member = "tableName");

// The schema of the table named by request["TableName"]; ResourceNotFoundException if absent.
absl::StatusOr<proto::TableSchema> GetTable(const OpContext& ctx, const rapidjson::Value& request);
absl::StatusOr<proto::TableSchema> GetTableByName(const OpContext& ctx, absl::string_view name);
// The same, shared with the store's catalog rather than copied (item operations, Query, Scan).
absl::StatusOr<std::shared_ptr<const proto::TableSchema>> GetTableRef(
    const OpContext& ctx, const rapidjson::Value& request);

// Rejects parameters this server does not implement (the legacy ones: Expected, AttributeUpdates,
// KeyConditions, QueryFilter, ScanFilter, ConditionalOperator) with a clear message.
absl::Status RejectLegacy(const rapidjson::Value& request);

// What a read returns of each item: everything, a ProjectionExpression, or AttributesToGet.
class ItemProjection {
 public:
  ItemProjection() = default;
  explicit ItemProjection(expr::Projection p) : expression_(std::move(p)) {}
  explicit ItemProjection(std::vector<std::string> names) : names_(std::move(names)) {}
  bool all() const { return !expression_ && !names_; }
  proto::Item Apply(const proto::Item& item) const;

 private:
  std::optional<expr::Projection> expression_;
  std::optional<std::vector<std::string>> names_;
};

// One request's ExpressionAttributeNames/Values and the expressions parsed against them.
class RequestExpressions {
 public:
  // `names`/`values` are members of some object (the request, or a BatchGetItem table entry).
  static absl::StatusOr<std::unique_ptr<RequestExpressions>> Parse(const rapidjson::Value& object);

  // Parse the expression in `object[member]` if present.
  absl::StatusOr<std::optional<expr::Condition>> ParseCondition(const rapidjson::Value& object,
                                                                const char* member,
                                                                expr::ExpressionKind kind);
  // ProjectionExpression, or the legacy AttributesToGet (not both).
  absl::StatusOr<ItemProjection> ParseProjection(const rapidjson::Value& object);
  absl::StatusOr<std::optional<expr::Update>> ParseUpdate(const rapidjson::Value& object,
                                                          const proto::TableSchema& schema);
  absl::StatusOr<std::optional<expr::KeyCondition>> ParseKeyCondition(
      const rapidjson::Value& object, const proto::TableSchema& schema);

  // After every expression is parsed: names/values given without any expression, and unused ones.
  absl::Status Finish() const;

 private:
  RequestExpressions() = default;

  expr::ExpressionContext::NameMap names_;
  expr::ExpressionContext::ValueMap values_;
  bool has_names_ = false;
  bool has_values_ = false;
  int expressions_ = 0;
  std::unique_ptr<expr::ExpressionContext> context_;
};

enum class ReturnValues { kNone, kAllOld, kAllNew, kUpdatedOld, kUpdatedNew };
// ReturnValues; `allowed_all` false for PutItem/DeleteItem (only NONE and ALL_OLD).
absl::StatusOr<ReturnValues> ParseReturnValues(const rapidjson::Value& request, bool allowed_all);

// ReturnValuesOnConditionCheckFailure (NONE or ALL_OLD, DynamoDB's enum message otherwise):
// true for ALL_OLD, i.e. a ConditionalCheckFailedException carries the item that failed.
absl::StatusOr<bool> ParseReturnOldOnConditionFailure(const rapidjson::Value& request);

// The decision steps PutItem/UpdateItem/DeleteItem and TransactWriteItems share, run on the
// current item under its key lock. CheckCondition: OK when there is no condition or it holds,
// else ConditionalCheckFailedException, carrying the current item when `return_old`
// (ReturnValuesOnConditionCheckFailure ALL_OLD).
absl::Status CheckCondition(const std::optional<expr::Condition>& condition,
                            const proto::Item* current, bool return_old);
// The image an update writes: the current item (or, when missing, its key) with `update`
// applied, validated for writing.
absl::StatusOr<proto::Item> UpdatedItem(const proto::TableSchema& schema, const proto::Item& key,
                                        const std::optional<expr::Update>& update,
                                        const proto::Item* current);

// Writes "Attributes" for ReturnValues given the item before and after a write.
void WriteReturnValues(ReturnValues rv, const std::optional<proto::Item>& old_item,
                       const std::optional<proto::Item>& new_item, const expr::Update* update,
                       JsonWriter* out);

}  // namespace globaltable::daemon::api

#endif  // GLOBALTABLE_DAEMON_API_REQUEST_H_
