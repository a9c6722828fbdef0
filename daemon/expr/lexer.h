// Tokenizer for DynamoDB expressions. Internal to daemon/expr.
//
// Tokens: names ([A-Za-z][A-Za-z0-9_]*), name references (#[A-Za-z0-9_]+), value references
// (:[A-Za-z0-9_]+), unsigned integers (list indexes), punctuation = <> < <= > >= + - ( ) [ ] , .
// Anything else becomes a one-character kInvalid token (a whole UTF-8 sequence for non-ASCII),
// which the parser then reports as a syntax error with DynamoDB's "token"/"near" message.
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_DAEMON_EXPR_LEXER_H_
#define GLOBALTABLE_DAEMON_EXPR_LEXER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace globaltable::daemon::expr::internal {

enum class TokenType {
  kName,
  kNameRef,
  kValueRef,
  kNumber,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kPlus,
  kMinus,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kInvalid,
  kEof,
};

struct Token {
  TokenType type;
  absl::string_view text;  // points into the expression; empty for kEof
  size_t begin = 0;        // byte offsets in the expression
  size_t end = 0;
};

// Always ends with one kEof token.
std::vector<Token> Tokenize(absl::string_view text);

// True if `token` is a kName equal to `keyword` ignoring ASCII case.
bool IsKeyword(const Token& token, absl::string_view keyword);

// DynamoDB's syntax error text for the token at `index`:
//   Syntax error; token: "<tok>", near: "<previous token .. next token>"
// ("<EOF>" for the end of the expression).
std::string SyntaxErrorMessage(absl::string_view text, const std::vector<Token>& tokens,
                               size_t index);

}  // namespace globaltable::daemon::expr::internal

#endif  // GLOBALTABLE_DAEMON_EXPR_LEXER_H_
