// Placeholder implementations of the expression API (replaced by the real parser and
// evaluator). Thread-safety: see expressions.h.
#include "daemon/expr/expressions.h"

namespace globaltable::daemon::expr {

absl::string_view ExpressionKindName(ExpressionKind kind) {
  switch (kind) {
    case ExpressionKind::kCondition:
      return "ConditionExpression";
    case ExpressionKind::kFilter:
      return "FilterExpression";
    case ExpressionKind::kUpdate:
      return "UpdateExpression";
    case ExpressionKind::kProjection:
      return "ProjectionExpression";
    case ExpressionKind::kKeyCondition:
      return "KeyConditionExpression";
  }
  return "Expression";
}

ExpressionContext::ExpressionContext(const NameMap* names, const ValueMap* values)
    : names_(names), values_(values) {}
absl::Status ExpressionContext::CheckAllUsed() const { return absl::OkStatus(); }
absl::StatusOr<std::string> ExpressionContext::ResolveName(absl::string_view token) {
  return absl::UnimplementedError("expressions");
}
absl::StatusOr<proto::AttributeValue> ExpressionContext::ResolveValue(absl::string_view token) {
  return absl::UnimplementedError("expressions");
}
std::string DocumentPath::ToString() const { return ""; }

absl::StatusOr<Condition> Condition::Parse(absl::string_view text, ExpressionKind kind,
                                           ExpressionContext* context) {
  return absl::UnimplementedError("expressions");
}
absl::StatusOr<bool> Condition::Evaluate(const proto::Item* item) const {
  return absl::UnimplementedError("expressions");
}
absl::StatusOr<Update> Update::Parse(absl::string_view text, const proto::TableSchema& schema,
                                     ExpressionContext* context) {
  return absl::UnimplementedError("expressions");
}
absl::Status Update::Apply(proto::Item* item) const {
  return absl::UnimplementedError("expressions");
}
proto::Item Update::ProjectUpdated(const proto::Item& item) const { return {}; }
absl::StatusOr<Projection> Projection::Parse(absl::string_view text, ExpressionContext* context) {
  return absl::UnimplementedError("expressions");
}
proto::Item Projection::Project(const proto::Item& item) const { return item; }
absl::StatusOr<KeyCondition> KeyCondition::Parse(absl::string_view text,
                                                 const proto::TableSchema& schema,
                                                 ExpressionContext* context) {
  return absl::UnimplementedError("expressions");
}
bool IsReservedWord(absl::string_view word) { return false; }

}  // namespace globaltable::daemon::expr
