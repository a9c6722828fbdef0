// Parsed form of DynamoDB expressions, shared by the parser, the semantic checks and the
// evaluators. Internal to daemon/expr.
//
// The parser fills in raw paths ("#n" references unresolved) and value references; the semantic
// pass (checks.h) resolves them against the request's ExpressionContext, after which every
// Operand::path and Operand::value is final and the tree is immutable.
// Thread-safety: plain data.
#ifndef GLOBALTABLE_DAEMON_EXPR_AST_H_
#define GLOBALTABLE_DAEMON_EXPR_AST_H_

#include <memory>
#include <string>
#include <vector>

#include "daemon/expr/expressions.h"
#include "daemon/expr/lexer.h"
#include "proto/globaltable.pb.h"

namespace globaltable::daemon::expr::internal {

// A document path as written: name elements hold either a bare name or a "#ref".
struct RawPath {
  std::vector<PathElement> elements;
  std::vector<bool> is_ref;  // parallel to elements; true for "#ref" names
};

struct Operand {
  enum class Kind { kPath, kValue, kFunction };
  Kind kind = Kind::kPath;
  int parens = 0;               // enclosing parentheses, for the redundant-parentheses check
  RawPath raw_path;             // kPath, as parsed
  DocumentPath path;            // kPath, resolved
  std::string value_ref;        // kValue, e.g. ":v"
  proto::AttributeValue value;  // kValue, resolved
  std::string function;         // kFunction: its name; "+" and "-" for SET arithmetic
  std::vector<Operand> args;    // kFunction
};

struct ConditionNode {
  enum class Kind { kCompare, kBetween, kIn, kFunction, kAnd, kOr, kNot };
  Kind kind = Kind::kCompare;
  TokenType op = TokenType::kEq;  // kCompare: kEq, kNe, kLt, kLe, kGt, kGe
  int parens = 0;
  // kCompare: 2 operands; kBetween: value, lower, upper; kIn: value then the list;
  // kFunction: one operand, the function call.
  std::vector<Operand> operands;
  std::unique_ptr<ConditionNode> left;   // kAnd, kOr, kNot
  std::unique_ptr<ConditionNode> right;  // kAnd, kOr
};

struct UpdateAction {
  enum class Kind { kSet, kRemove, kAdd, kDelete };
  Kind kind = Kind::kSet;
  RawPath raw_path;
  DocumentPath path;
  Operand value;  // kSet: the new value (maybe "+"/"-"); kAdd/kDelete: a value reference
};

}  // namespace globaltable::daemon::expr::internal

#endif  // GLOBALTABLE_DAEMON_EXPR_AST_H_
