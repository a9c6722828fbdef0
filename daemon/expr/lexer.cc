// Tokenizer for DynamoDB expressions. Pure functions.
#include "daemon/expr/lexer.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace globaltable::daemon::expr::internal {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '_'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Length of the UTF-8 sequence starting with lead byte `c` (1 for invalid lead bytes).
size_t Utf8Length(unsigned char c) {
  if (c >= 0xF0 && c <= 0xF7) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::vector<Token> Tokenize(absl::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  const size_t n = text.size();
  auto emit = [&](TokenType type, size_t begin, size_t end) {
    tokens.push_back(Token{type, text.substr(begin, end - begin), begin, end});
  };
  while (i < n) {
    const char c = text[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    const size_t begin = i;
    if (IsAlpha(c)) {
      while (i < n && IsWordChar(text[i])) ++i;
      emit(TokenType::kName, begin, i);
      continue;
    }
    if (IsDigit(c)) {
      while (i < n && IsDigit(text[i])) ++i;
      emit(TokenType::kNumber, begin, i);
      continue;
    }
    if ((c == '#' || c == ':') && i + 1 < n && IsWordChar(text[i + 1])) {
      ++i;
      while (i < n && IsWordChar(text[i])) ++i;
      emit(c == '#' ? TokenType::kNameRef : TokenType::kValueRef, begin, i);
      continue;
    }
    auto next_is = [&](char d) { return i + 1 < n && text[i + 1] == d; };
    switch (c) {
      case '=':
        emit(TokenType::kEq, begin, ++i);
        continue;
      case '<':
        if (next_is('>')) {
          i += 2;
          emit(TokenType::kNe, begin, i);
        } else if (next_is('=')) {
          i += 2;
          emit(TokenType::kLe, begin, i);
        } else {
          emit(TokenType::kLt, begin, ++i);
        }
        continue;
      case '>':
        if (next_is('=')) {
          i += 2;
          emit(TokenType::kGe, begin, i);
        } else {
          emit(TokenType::kGt, begin, ++i);
        }
        continue;
      case '+':
        emit(TokenType::kPlus, begin, ++i);
        continue;
      case '-':
        emit(TokenType::kMinus, begin, ++i);
        continue;
      case '(':
        emit(TokenType::kLParen, begin, ++i);
        continue;
      case ')':
        emit(TokenType::kRParen, begin, ++i);
        continue;
      case '[':
        emit(TokenType::kLBracket, begin, ++i);
        continue;
      case ']':
        emit(TokenType::kRBracket, begin, ++i);
        continue;
      case ',':
        emit(TokenType::kComma, begin, ++i);
        continue;
      case '.':
        emit(TokenType::kDot, begin, ++i);
        continue;
      default:
        i = std::min(n, i + Utf8Length(static_cast<unsigned char>(c)));
        emit(TokenType::kInvalid, begin, i);
        continue;
    }
  }
  tokens.push_back(Token{TokenType::kEof, absl::string_view(), n, n});
  return tokens;
}

bool IsKeyword(const Token& token, absl::string_view keyword) {
  return token.type == TokenType::kName && absl::EqualsIgnoreCase(token.text, keyword);
}

std::string SyntaxErrorMessage(absl::string_view text, const std::vector<Token>& tokens,
                               size_t index) {
  const Token& bad = tokens[index];
  const bool eof = bad.type == TokenType::kEof;
  size_t near_begin = index > 0 ? tokens[index - 1].begin : bad.begin;
  size_t near_end = eof ? (index > 0 ? tokens[index - 1].end : bad.end) : bad.end;
  if (!eof && index + 1 < tokens.size() && tokens[index + 1].type != TokenType::kEof) {
    near_end = tokens[index + 1].end;
  }
  return absl::StrCat("Syntax error; token: \"", eof ? "<EOF>" : bad.text, "\", near: \"",
                      text.substr(near_begin, near_end - near_begin), "\"");
}

}  // namespace globaltable::daemon::expr::internal
