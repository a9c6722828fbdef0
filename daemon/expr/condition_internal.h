// Parsing with semantic checks, and evaluation, of condition trees; shared by Condition and
// KeyCondition. Internal to daemon/expr.
// Thread-safety: pure functions over immutable trees.
#ifndef GLOBALTABLE_DAEMON_EXPR_CONDITION_INTERNAL_H_
#define GLOBALTABLE_DAEMON_EXPR_CONDITION_INTERNAL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/expr/ast.h"
#include "daemon/expr/expressions.h"

namespace globaltable::daemon::expr::internal {

// Parses `text` and runs the condition checks; errors carry the "Invalid <kind>: " prefix.
absl::StatusOr<std::unique_ptr<ConditionNode>> ParseCheckedCondition(absl::string_view text,
                                                                     ExpressionKind kind,
                                                                     ExpressionContext* context);

bool EvaluateNode(const ConditionNode& node, const proto::Item& item);

// The operand's value in `item`, or nullptr when missing. Computed values (size()) are written
// to *scratch and a pointer to it returned.
const proto::AttributeValue* EvaluateOperand(const Operand& operand, const proto::Item& item,
                                             proto::AttributeValue* scratch);

}  // namespace globaltable::daemon::expr::internal

#endif  // GLOBALTABLE_DAEMON_EXPR_CONDITION_INTERNAL_H_
