// Semantic checks shared by every expression kind: resolving "#name" and ":value" references
// against the request's ExpressionContext, reserved words, overlapping paths, and DynamoDB's
// precedence among the errors found. Internal to daemon/expr.
//
// DynamoDB reports syntax errors first; after a successful parse it reports one semantic error
// chosen by category (e.g. an undefined function name before an undefined ":value"). The
// Checker keeps the first error of each category and FirstError() picks by the expression
// kind's order.
//
// Document paths have at most kMaxPathDepth elements (DynamoDB's 32 nesting levels).
// Thread-safety: one Checker per parse, on one thread.
#ifndef GLOBALTABLE_DAEMON_EXPR_CHECKS_H_
#define GLOBALTABLE_DAEMON_EXPR_CHECKS_H_

#include <array>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "daemon/expr/ast.h"
#include "daemon/expr/expressions.h"

namespace globaltable::daemon::expr::internal {

enum class ErrorSlot {
  kOperators,        // more than kMaxOperators operators and functions
  kParens,           // redundant parentheses
  kUnknownFunction,  // "Invalid function name; function: f"
  kMisusedFunction,  // a function where it cannot be used
  kReserved,         // a reserved word as a bare name
  kPath,             // too deep a path, or a list index out of range
  kSection,          // an update clause given twice
  kName,             // undefined "#name"
  kValue,            // undefined ":value"
  kNameOrValue,      // the first of kName and kValue
  kOverlap,
  kConflict,
  kOperandCount,  // wrong number of function operands
  kDistinct,      // the same path on both sides
  kFunction,      // operand type errors of functions and operators
  kOperand,       // ADD/DELETE operand types
  kCount,
};

inline constexpr size_t kMaxPathDepth = 32;

class Checker {
 public:
  explicit Checker(ExpressionContext* context) : context_(context) {}

  // Keeps `message` if it is the first one in `slot`.
  void Report(ErrorSlot slot, std::string message);
  bool HasErrors() const;

  // Resolves "#name" elements and checks bare names against the reserved words. Returns false
  // (and reports) on an error; `out` is then incomplete.
  bool ResolvePath(const RawPath& raw, DocumentPath* out);
  // Resolves a kValue operand's reference into operand->value.
  bool ResolveValue(Operand* operand);

  // Reports the first overlapping or conflicting pair among `paths` (text order).
  void CheckOverlaps(const std::vector<const DocumentPath*>& paths);

  // The first error by `order`, as kInvalidArgument "Invalid <kind>: <message>"; OK if none.
  absl::Status FirstError(ExpressionKind kind, std::initializer_list<ErrorSlot> order) const;

 private:
  ExpressionContext* context_;
  std::array<std::string, static_cast<size_t>(ErrorSlot::kCount)> messages_;
  std::array<bool, static_cast<size_t>(ErrorSlot::kCount)> set_{};
};

// "Invalid <kind>: <message>" as kInvalidArgument.
absl::Status InvalidExpression(ExpressionKind kind, absl::string_view message);

// DynamoDB's checks before parsing: not empty or blank, at most kMaxExpressionBytes bytes.
inline constexpr size_t kMaxExpressionBytes = 4096;
absl::Status CheckExpressionText(ExpressionKind kind, absl::string_view text);

// DynamoDB's limit on operators and functions in one expression ("a = :a AND b = :b" has 3).
inline constexpr int kMaxOperators = 300;

}  // namespace globaltable::daemon::expr::internal

#endif  // GLOBALTABLE_DAEMON_EXPR_CHECKS_H_
