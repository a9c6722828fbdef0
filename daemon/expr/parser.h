// Recursive-descent parser for DynamoDB expressions: syntax only. Internal to daemon/expr.
//
// Grammar (keywords case-insensitive, function names case-sensitive):
//   condition  := or
//   or         := and ("OR" and)*
//   and        := not ("AND" not)*
//   not        := "NOT" not | primary
//   primary    := "(" condition ")" | comparison
//   comparison := operand comparator operand
//               | operand "BETWEEN" operand "AND" operand
//               | operand "IN" "(" operand ("," operand)* ")"
//               | function
//   operand    := path | VALUEREF | function | "(" operand ")"
//   function   := NAME "(" operand ("," operand)* ")"
//   path       := element ("." element | "[" NUMBER "]")*
//   element    := NAME | NAMEREF
//   update     := clause+
//   clause     := "SET" set ("," set)* | "REMOVE" path ("," path)*
//               | "ADD" path VALUEREF ("," path VALUEREF)* | "DELETE" (same as ADD)
//   set        := path "=" setvalue
//   setvalue   := "(" setvalue ")" | operand (("+" | "-") operand)?
//   projection := path ("," path)*
// A parenthesis after which a comparison continues ("(a) = :v") is read as an operand's.
//
// Errors: kInvalidArgument with DynamoDB's "Syntax error; token: ..., near: ..." text (the
// caller adds the "Invalid XExpression: " prefix). Semantic checks live in checks.h.
// Thread-safety: a Parser is used by one thread; it holds a view of the text.
#ifndef GLOBALTABLE_DAEMON_EXPR_PARSER_H_
#define GLOBALTABLE_DAEMON_EXPR_PARSER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/expr/ast.h"
#include "daemon/expr/lexer.h"

namespace globaltable::daemon::expr::internal {

struct ParsedUpdate {
  std::vector<UpdateAction> actions;          // in text order
  std::vector<std::string> repeated_clauses;  // "SET", ... for each clause seen twice
};

class Parser {
 public:
  explicit Parser(absl::string_view text);

  absl::StatusOr<std::unique_ptr<ConditionNode>> ParseCondition();
  absl::StatusOr<ParsedUpdate> ParseUpdate();
  absl::StatusOr<std::vector<RawPath>> ParseProjection();

 private:
  const Token& Peek(size_t ahead = 0) const;
  bool AtKeyword(absl::string_view keyword) const { return IsKeyword(Peek(), keyword); }
  bool Accept(TokenType type);
  // Records a failure at the current token; returns false for convenient `return Fail();`.
  bool Fail();
  absl::Status SyntaxError() const;
  bool IsReservedHere(const Token& token) const;

  std::unique_ptr<ConditionNode> ParseOr();
  std::unique_ptr<ConditionNode> ParseAnd();
  std::unique_ptr<ConditionNode> ParseNot();
  std::unique_ptr<ConditionNode> ParsePrimary();
  std::unique_ptr<ConditionNode> ParseComparison();
  bool ParseOperand(Operand* out);
  bool ParseFunction(Operand* out);
  bool ParsePath(RawPath* out);
  bool ParseSetValue(Operand* out);
  bool ParseClause(ParsedUpdate* out, std::vector<std::string>* seen);

  class DepthGuard {
   public:
    explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
    ~DepthGuard() { --*depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    int* depth_;
  };

  absl::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  size_t furthest_error_ = 0;
  bool failed_ = false;
  int depth_ = 0;  // current recursion depth, bounded by kMaxDepth
  // Keywords that cannot be path elements in the expression being parsed.
  std::vector<absl::string_view> keywords_;
};

}  // namespace globaltable::daemon::expr::internal

#endif  // GLOBALTABLE_DAEMON_EXPR_PARSER_H_
