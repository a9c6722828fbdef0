// Recursive-descent parser for DynamoDB expressions. See parser.h for the grammar.
#include "daemon/expr/parser.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"

namespace globaltable::daemon::expr::internal {
namespace {

constexpr absl::string_view kConditionKeywords[] = {"AND", "OR", "NOT", "BETWEEN", "IN"};
constexpr absl::string_view kUpdateKeywords[] = {"SET", "REMOVE", "ADD", "DELETE"};

// Deeper nesting is rejected as a syntax error at the token where the limit is crossed, so a
// hostile expression ("((((...") cannot exhaust the stack of the thread that parses it.
constexpr int kMaxDepth = 200;

bool IsComparator(TokenType type) {
  switch (type) {
    case TokenType::kEq:
    case TokenType::kNe:
    case TokenType::kLt:
    case TokenType::kLe:
    case TokenType::kGt:
    case TokenType::kGe:
      return true;
    default:
      return false;
  }
}

}  // namespace

Parser::Parser(absl::string_view text) : text_(text), tokens_(Tokenize(text)) {}

const Token& Parser::Peek(size_t ahead) const {
  return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
}

bool Parser::Accept(TokenType type) {
  if (Peek().type != type) return false;
  ++pos_;
  return true;
}

bool Parser::Fail() {
  if (!failed_ || pos_ > furthest_error_) furthest_error_ = pos_;
  failed_ = true;
  return false;
}

absl::Status Parser::SyntaxError() const {
  return absl::InvalidArgumentError(SyntaxErrorMessage(text_, tokens_, furthest_error_));
}

bool Parser::IsReservedHere(const Token& token) const {
  return std::any_of(keywords_.begin(), keywords_.end(),
                     [&](absl::string_view k) { return IsKeyword(token, k); });
}

// ---- Conditions.

absl::StatusOr<std::unique_ptr<ConditionNode>> Parser::ParseCondition() {
  keywords_.assign(std::begin(kConditionKeywords), std::end(kConditionKeywords));
  std::unique_ptr<ConditionNode> node = ParseOr();
  if (node == nullptr) return SyntaxError();
  if (Peek().type != TokenType::kEof) {
    Fail();
    return SyntaxError();
  }
  return node;
}

std::unique_ptr<ConditionNode> Parser::ParseOr() {
  std::unique_ptr<ConditionNode> left = ParseAnd();
  while (left != nullptr && AtKeyword("OR")) {
    ++pos_;
    std::unique_ptr<ConditionNode> right = ParseAnd();
    if (right == nullptr) return nullptr;
    auto node = std::make_unique<ConditionNode>();
    node->kind = ConditionNode::Kind::kOr;
    node->left = std::move(left);
    node->right = std::move(right);
    left = std::move(node);
  }
  return left;
}

std::unique_ptr<ConditionNode> Parser::ParseAnd() {
  std::unique_ptr<ConditionNode> left = ParseNot();
  while (left != nullptr && AtKeyword("AND")) {
    ++pos_;
    std::unique_ptr<ConditionNode> right = ParseNot();
    if (right == nullptr) return nullptr;
    auto node = std::make_unique<ConditionNode>();
    node->kind = ConditionNode::Kind::kAnd;
    node->left = std::move(left);
    node->right = std::move(right);
    left = std::move(node);
  }
  return left;
}

std::unique_ptr<ConditionNode> Parser::ParseNot() {
  DepthGuard guard(&depth_);
  if (depth_ > kMaxDepth) {
    Fail();
    return nullptr;
  }
  if (!AtKeyword("NOT")) return ParsePrimary();
  ++pos_;
  std::unique_ptr<ConditionNode> child = ParseNot();
  if (child == nullptr) return nullptr;
  auto node = std::make_unique<ConditionNode>();
  node->kind = ConditionNode::Kind::kNot;
  node->left = std::move(child);
  return node;
}

std::unique_ptr<ConditionNode> Parser::ParsePrimary() {
  if (Peek().type == TokenType::kLParen) {
    const size_t start = pos_;
    ++pos_;
    std::unique_ptr<ConditionNode> inner = ParseOr();
    if (inner != nullptr && Accept(TokenType::kRParen)) {
      const Token& next = Peek();
      // "(a) = :v" and "(size(a)) > :v": the parentheses belonged to an operand.
      if (!IsComparator(next.type) && !IsKeyword(next, "BETWEEN") && !IsKeyword(next, "IN")) {
        ++inner->parens;
        return inner;
      }
    } else if (inner != nullptr) {
      Fail();
    }
    pos_ = start;
  }
  return ParseComparison();
}

std::unique_ptr<ConditionNode> Parser::ParseComparison() {
  auto node = std::make_unique<ConditionNode>();
  Operand first;
  if (!ParseOperand(&first)) return nullptr;
  const Token& next = Peek();
  if (IsComparator(next.type)) {
    node->kind = ConditionNode::Kind::kCompare;
    node->op = next.type;
    ++pos_;
    node->operands.push_back(std::move(first));
    node->operands.emplace_back();
    if (!ParseOperand(&node->operands.back())) return nullptr;
    return node;
  }
  if (IsKeyword(next, "BETWEEN")) {
    ++pos_;
    node->kind = ConditionNode::Kind::kBetween;
    node->operands.push_back(std::move(first));
    node->operands.emplace_back();
    if (!ParseOperand(&node->operands.back())) return nullptr;
    if (!AtKeyword("AND")) {
      Fail();
      return nullptr;
    }
    ++pos_;
    node->operands.emplace_back();
    if (!ParseOperand(&node->operands.back())) return nullptr;
    return node;
  }
  if (IsKeyword(next, "IN")) {
    ++pos_;
    node->kind = ConditionNode::Kind::kIn;
    node->operands.push_back(std::move(first));
    if (!Accept(TokenType::kLParen)) {
      Fail();
      return nullptr;
    }
    do {
      node->operands.emplace_back();
      if (!ParseOperand(&node->operands.back())) return nullptr;
    } while (Accept(TokenType::kComma));
    if (!Accept(TokenType::kRParen)) {
      Fail();
      return nullptr;
    }
    return node;
  }
  if (first.kind == Operand::Kind::kFunction) {
    node->kind = ConditionNode::Kind::kFunction;
    node->operands.push_back(std::move(first));
    return node;
  }
  Fail();
  return nullptr;
}

// ---- Operands and paths.

bool Parser::ParseOperand(Operand* out) {
  DepthGuard guard(&depth_);
  if (depth_ > kMaxDepth) return Fail();
  const Token& token = Peek();
  switch (token.type) {
    case TokenType::kLParen:
      ++pos_;
      if (!ParseOperand(out)) return false;
      if (!Accept(TokenType::kRParen)) return Fail();
      ++out->parens;
      return true;
    case TokenType::kValueRef:
      out->kind = Operand::Kind::kValue;
      out->value_ref = std::string(token.text);
      ++pos_;
      return true;
    case TokenType::kName:
      if (Peek(1).type == TokenType::kLParen && !IsReservedHere(token)) return ParseFunction(out);
      out->kind = Operand::Kind::kPath;
      return ParsePath(&out->raw_path);
    case TokenType::kNameRef:
      out->kind = Operand::Kind::kPath;
      return ParsePath(&out->raw_path);
    default:
      return Fail();
  }
}

bool Parser::ParseFunction(Operand* out) {
  out->kind = Operand::Kind::kFunction;
  out->function = std::string(Peek().text);
  pos_ += 2;  // name and "("
  do {
    out->args.emplace_back();
    if (!ParseOperand(&out->args.back())) return false;
  } while (Accept(TokenType::kComma));
  if (!Accept(TokenType::kRParen)) return Fail();
  return true;
}

bool Parser::ParsePath(RawPath* out) {
  auto element = [&]() {
    const Token& token = Peek();
    if ((token.type != TokenType::kName && token.type != TokenType::kNameRef) ||
        IsReservedHere(token)) {
      return Fail();
    }
    PathElement e;
    e.name = std::string(token.text);
    out->elements.push_back(std::move(e));
    out->is_ref.push_back(token.type == TokenType::kNameRef);
    ++pos_;
    return true;
  };
  if (!element()) return false;
  while (true) {
    if (Accept(TokenType::kDot)) {
      if (!element()) return false;
    } else if (Accept(TokenType::kLBracket)) {
      const Token& number = Peek();
      if (number.type != TokenType::kNumber) return Fail();
      long long index = 0;
      for (char c : number.text) {
        index = index * 10 + (c - '0');
        if (index > INT_MAX) break;
      }
      ++pos_;
      if (!Accept(TokenType::kRBracket)) return Fail();
      PathElement e;
      e.is_index = true;
      if (index > INT_MAX) {
        e.index = -1;  // out of range: reported by the semantic checks, with the digits
        e.name = std::string(number.text);
      } else {
        e.index = static_cast<int>(index);
      }
      out->elements.push_back(std::move(e));
      out->is_ref.push_back(false);
    } else {
      return true;
    }
  }
}

// ---- Update expressions.

absl::StatusOr<ParsedUpdate> Parser::ParseUpdate() {
  keywords_.assign(std::begin(kUpdateKeywords), std::end(kUpdateKeywords));
  ParsedUpdate out;
  std::vector<std::string> seen;
  do {
    if (!ParseClause(&out, &seen)) return SyntaxError();
  } while (Peek().type != TokenType::kEof);
  return out;
}

bool Parser::ParseClause(ParsedUpdate* out, std::vector<std::string>* seen) {
  const Token& head = Peek();
  UpdateAction::Kind kind;
  std::string clause;
  if (IsKeyword(head, "SET")) {
    kind = UpdateAction::Kind::kSet;
  } else if (IsKeyword(head, "REMOVE")) {
    kind = UpdateAction::Kind::kRemove;
  } else if (IsKeyword(head, "ADD")) {
    kind = UpdateAction::Kind::kAdd;
  } else if (IsKeyword(head, "DELETE")) {
    kind = UpdateAction::Kind::kDelete;
  } else {
    return Fail();
  }
  clause = absl::AsciiStrToUpper(head.text);
  if (std::find(seen->begin(), seen->end(), clause) != seen->end()) {
    out->repeated_clauses.push_back(clause);
  } else {
    seen->push_back(clause);
  }
  ++pos_;
  do {
    UpdateAction action;
    action.kind = kind;
    if (!ParsePath(&action.raw_path)) return false;
    switch (kind) {
      case UpdateAction::Kind::kSet:
        if (!Accept(TokenType::kEq)) return Fail();
        if (!ParseSetValue(&action.value)) return false;
        break;
      case UpdateAction::Kind::kRemove:
        break;
      case UpdateAction::Kind::kAdd:
      case UpdateAction::Kind::kDelete:
        if (Peek().type != TokenType::kValueRef) return Fail();
        action.value.kind = Operand::Kind::kValue;
        action.value.value_ref = std::string(Peek().text);
        ++pos_;
        break;
    }
    out->actions.push_back(std::move(action));
  } while (Accept(TokenType::kComma));
  return true;
}

bool Parser::ParseSetValue(Operand* out) {
  DepthGuard guard(&depth_);
  if (depth_ > kMaxDepth) return Fail();
  if (Peek().type == TokenType::kLParen) {
    const size_t start = pos_;
    ++pos_;
    Operand inner;
    if (ParseSetValue(&inner) && Accept(TokenType::kRParen) && Peek().type != TokenType::kPlus &&
        Peek().type != TokenType::kMinus) {
      ++inner.parens;
      *out = std::move(inner);
      return true;
    }
    pos_ = start;
  }
  Operand first;
  if (!ParseOperand(&first)) return false;
  const TokenType op = Peek().type;
  if (op != TokenType::kPlus && op != TokenType::kMinus) {
    *out = std::move(first);
    return true;
  }
  ++pos_;
  Operand second;
  if (!ParseOperand(&second)) return false;
  out->kind = Operand::Kind::kFunction;
  out->function = op == TokenType::kPlus ? "+" : "-";
  out->args.push_back(std::move(first));
  out->args.push_back(std::move(second));
  return true;
}

// ---- Projection expressions.

absl::StatusOr<std::vector<RawPath>> Parser::ParseProjection() {
  keywords_.clear();
  std::vector<RawPath> paths;
  do {
    paths.emplace_back();
    if (!ParsePath(&paths.back())) return SyntaxError();
  } while (Accept(TokenType::kComma));
  if (Peek().type != TokenType::kEof) {
    Fail();
    return SyntaxError();
  }
  return paths;
}

}  // namespace globaltable::daemon::expr::internal
