// ConditionExpression / FilterExpression: semantic checks and evaluation. See expressions.h.
#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/expr/checks.h"
#include "daemon/expr/condition_internal.h"
#include "daemon/expr/parser.h"
#include "daemon/expr/value_ops.h"
#include "storage/number.h"

namespace globaltable::daemon::expr {
namespace internal {
namespace {

using proto::AttributeValue;

constexpr size_t kMaxInOperands = 100;
constexpr absl::string_view kValidTypes = "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}";

int FunctionArity(absl::string_view name) {
  if (name == "attribute_exists" || name == "attribute_not_exists" || name == "size") return 1;
  if (name == "attribute_type" || name == "begins_with" || name == "contains") return 2;
  return -1;
}

bool IsValidTypeName(absl::string_view type) {
  for (absl::string_view t : {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"}) {
    if (type == t) return true;
  }
  return false;
}

// The type an operand is known to have before evaluation: constants and size(); "" otherwise.
absl::string_view StaticType(const Operand& operand) {
  if (operand.kind == Operand::Kind::kValue) return TypeOf(operand.value);
  if (operand.kind == Operand::Kind::kFunction && operand.function == "size") return "N";
  return "";
}

absl::string_view OperatorText(TokenType op) {
  switch (op) {
    case TokenType::kEq:
      return "=";
    case TokenType::kNe:
      return "<>";
    case TokenType::kLt:
      return "<";
    case TokenType::kLe:
      return "<=";
    case TokenType::kGt:
      return ">";
    case TokenType::kGe:
      return ">=";
    default:
      return "?";
  }
}

std::string ValueForMessage(const AttributeValue& v) {
  std::string text;
  if (v.has_s()) text = v.s();
  if (v.has_n()) text = v.n();
  return absl::StrCat("AttributeValue: {", TypeOf(v), ":", text, "}");
}

void ReportDistinct(const Operand& a, const Operand& b, absl::string_view op, Checker* checker) {
  if (a.kind != Operand::Kind::kPath || b.kind != Operand::Kind::kPath) return;
  if (a.path.elements.empty() || ComparePaths(a.path, b.path) != 0) return;
  checker->Report(ErrorSlot::kDistinct,
                  absl::StrCat("The first operand must be distinct from the remaining operands "
                               "for this operator or function; operator: ",
                               op, ", first operand: ", PathForMessage(a.path)));
}

void CheckOperand(Operand* operand, Checker* checker);

// Operands of comparisons and function arguments may only be size() among the functions.
void CheckNestedOperand(Operand* operand, Checker* checker) {
  CheckOperand(operand, checker);
  if (operand->kind == Operand::Kind::kFunction && operand->function != "size") {
    checker->Report(ErrorSlot::kMisusedFunction,
                    absl::StrCat("The function is not allowed to be used this way in an "
                                 "expression; function: ",
                                 operand->function));
  }
}

void ReportOperandType(absl::string_view function, absl::string_view type, Checker* checker) {
  checker->Report(ErrorSlot::kFunction,
                  absl::StrCat("Incorrect operand type for operator or function; operator or "
                               "function: ",
                               function, ", operand type: ", type));
}

void CheckOperand(Operand* operand, Checker* checker) {
  if (operand->parens >= 2) {
    checker->Report(ErrorSlot::kParens, "The expression has redundant parentheses;");
  }
  switch (operand->kind) {
    case Operand::Kind::kPath:
      checker->ResolvePath(operand->raw_path, &operand->path);
      return;
    case Operand::Kind::kValue:
      checker->ResolveValue(operand);
      return;
    case Operand::Kind::kFunction:
      break;
  }
  const std::string& name = operand->function;
  for (Operand& arg : operand->args) CheckNestedOperand(&arg, checker);
  const int arity = FunctionArity(name);
  if (name == "if_not_exists" || name == "list_append") {  // UpdateExpression's functions
    checker->Report(ErrorSlot::kMisusedFunction,
                    absl::StrCat("The function is not allowed to be used this way in an "
                                 "expression; function: ",
                                 name));
    return;
  }
  if (arity < 0) {
    checker->Report(ErrorSlot::kUnknownFunction,
                    absl::StrCat("Invalid function name; function: ", name));
    return;
  }
  if (static_cast<size_t>(arity) != operand->args.size()) {
    checker->Report(ErrorSlot::kOperandCount,
                    absl::StrCat("Incorrect number of operands for operator or function; "
                                 "operator or function: ",
                                 name, ", number of operands: ", operand->args.size()));
    return;
  }
  if (arity == 2) ReportDistinct(operand->args[0], operand->args[1], name, checker);
  const std::vector<Operand>& args = operand->args;
  if (name == "attribute_exists" || name == "attribute_not_exists") {
    if (args[0].kind != Operand::Kind::kPath) {
      checker->Report(ErrorSlot::kFunction,
                      absl::StrCat("Operator or function requires a document path; operator or "
                                   "function: ",
                                   name));
    }
  } else if (name == "begins_with") {
    for (const Operand& arg : args) {
      absl::string_view type = StaticType(arg);
      if (!type.empty() && type != "S" && type != "B") ReportOperandType(name, type, checker);
    }
  } else if (name == "attribute_type") {
    absl::string_view type = StaticType(args[1]);
    if (type != "S") {
      ReportOperandType(name, type.empty() ? "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}" : type, checker);
    } else if (!IsValidTypeName(args[1].value.s())) {
      checker->Report(ErrorSlot::kFunction,
                      absl::StrCat("Invalid attribute type name found; type: ", args[1].value.s(),
                                   ", valid types: ", kValidTypes));
    }
  } else if (name == "size") {
    absl::string_view type = StaticType(args[0]);
    if (type == "N" || type == "BOOL" || type == "NULL") ReportOperandType(name, type, checker);
  }
}

void CheckNode(ConditionNode* node, Checker* checker) {
  if (node->parens >= 2) {
    checker->Report(ErrorSlot::kParens, "The expression has redundant parentheses;");
  }
  switch (node->kind) {
    case ConditionNode::Kind::kAnd:
    case ConditionNode::Kind::kOr:
      CheckNode(node->left.get(), checker);
      CheckNode(node->right.get(), checker);
      return;
    case ConditionNode::Kind::kNot:
      CheckNode(node->left.get(), checker);
      return;
    case ConditionNode::Kind::kFunction: {
      Operand& call = node->operands[0];
      CheckOperand(&call, checker);
      if (call.function == "size") {
        checker->Report(ErrorSlot::kMisusedFunction,
                        "The function is not allowed to be used this way in an expression; "
                        "function: size");
      }
      return;
    }
    case ConditionNode::Kind::kCompare:
      for (Operand& operand : node->operands) CheckNestedOperand(&operand, checker);
      ReportDistinct(node->operands[0], node->operands[1], OperatorText(node->op), checker);
      return;
    case ConditionNode::Kind::kBetween: {
      for (Operand& operand : node->operands) CheckNestedOperand(&operand, checker);
      const Operand& lower = node->operands[1];
      const Operand& upper = node->operands[2];
      if (lower.kind == Operand::Kind::kValue && upper.kind == Operand::Kind::kValue &&
          lower.value.value_case() != AttributeValue::VALUE_NOT_SET &&
          upper.value.value_case() != AttributeValue::VALUE_NOT_SET) {
        std::string bounds = absl::StrCat("lower bound operand: ", ValueForMessage(lower.value),
                                          ", upper bound operand: ", ValueForMessage(upper.value));
        if (lower.value.value_case() != upper.value.value_case()) {
          checker->Report(ErrorSlot::kFunction,
                          absl::StrCat("The BETWEEN operator requires same data type for lower "
                                       "and upper bounds; ",
                                       bounds));
        } else if (std::optional<int> c = Compare(lower.value, upper.value); c && *c > 0) {
          checker->Report(ErrorSlot::kFunction,
                          absl::StrCat("The BETWEEN operator requires upper bound to be greater "
                                       "than or equal to lower bound; ",
                                       bounds));
        }
      }
      return;
    }
    case ConditionNode::Kind::kIn:
      for (Operand& operand : node->operands) CheckNestedOperand(&operand, checker);
      if (node->operands.size() - 1 > kMaxInOperands) {
        checker->Report(ErrorSlot::kOperandCount,
                        absl::StrCat("The IN operator is provided with too many operands; number "
                                     "of operands: ",
                                     node->operands.size() - 1));
      }
      return;
  }
}

int CountOperators(const Operand& operand) {
  int n = operand.kind == Operand::Kind::kFunction ? 1 : 0;
  for (const Operand& arg : operand.args) n += CountOperators(arg);
  return n;
}

// Every comparison, BETWEEN, IN, AND, OR, NOT and function call counts once.
int CountOperators(const ConditionNode& node) {
  int n = node.kind == ConditionNode::Kind::kFunction ? 0 : 1;
  for (const Operand& operand : node.operands) n += CountOperators(operand);
  if (node.left) n += CountOperators(*node.left);
  if (node.right) n += CountOperators(*node.right);
  return n;
}

void CollectAttributes(const Operand& operand, std::set<std::string>* out) {
  if (operand.kind == Operand::Kind::kPath && !operand.path.elements.empty()) {
    out->insert(operand.path.elements[0].name);
  }
  for (const Operand& arg : operand.args) CollectAttributes(arg, out);
}

void CollectAttributes(const ConditionNode& node, std::set<std::string>* out) {
  for (const Operand& operand : node.operands) CollectAttributes(operand, out);
  if (node.left) CollectAttributes(*node.left, out);
  if (node.right) CollectAttributes(*node.right, out);
}

bool Contains(const AttributeValue& haystack, const AttributeValue& needle) {
  switch (haystack.value_case()) {
    case AttributeValue::kS:
      return needle.has_s() && absl::StrContains(haystack.s(), needle.s());
    case AttributeValue::kB:
      return needle.has_b() && absl::StrContains(haystack.b(), needle.b());
    case AttributeValue::kSs:
      return needle.has_s() &&
             std::find(haystack.ss().values().begin(), haystack.ss().values().end(), needle.s()) !=
                 haystack.ss().values().end();
    case AttributeValue::kBs:
      return needle.has_b() &&
             std::find(haystack.bs().values().begin(), haystack.bs().values().end(), needle.b()) !=
                 haystack.bs().values().end();
    case AttributeValue::kNs:
      if (!needle.has_n()) return false;
      for (const std::string& n : haystack.ns().values()) {
        if (storage::CompareNumbers(n, needle.n()) == 0) return true;
      }
      return false;
    case AttributeValue::kL:
      for (const AttributeValue& element : haystack.l().values()) {
        if (Equal(element, needle)) return true;
      }
      return false;
    default:
      return false;
  }
}

bool BeginsWith(const AttributeValue& value, const AttributeValue& prefix) {
  if (value.has_s() && prefix.has_s()) return absl::StartsWith(value.s(), prefix.s());
  if (value.has_b() && prefix.has_b()) return absl::StartsWith(value.b(), prefix.b());
  return false;
}

bool EvaluateFunction(const Operand& call, const proto::Item& item) {
  const std::string& name = call.function;
  AttributeValue scratch0, scratch1;
  const AttributeValue* a = EvaluateOperand(call.args[0], item, &scratch0);
  if (name == "attribute_exists") return a != nullptr;
  if (name == "attribute_not_exists") return a == nullptr;
  const AttributeValue* b =
      call.args.size() > 1 ? EvaluateOperand(call.args[1], item, &scratch1) : nullptr;
  if (a == nullptr || b == nullptr) return false;
  if (name == "attribute_type") return b->has_s() && TypeOf(*a) == b->s();
  if (name == "begins_with") return BeginsWith(*a, *b);
  if (name == "contains") return Contains(*a, *b);
  return false;
}

bool CompareWith(TokenType op, const AttributeValue* a, const AttributeValue* b) {
  if (op == TokenType::kEq) return a != nullptr && b != nullptr && Equal(*a, *b);
  if (op == TokenType::kNe) return !(a != nullptr && b != nullptr && Equal(*a, *b));
  if (a == nullptr || b == nullptr) return false;
  std::optional<int> c = Compare(*a, *b);
  if (!c) return false;
  switch (op) {
    case TokenType::kLt:
      return *c < 0;
    case TokenType::kLe:
      return *c <= 0;
    case TokenType::kGt:
      return *c > 0;
    case TokenType::kGe:
      return *c >= 0;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConditionNode>> ParseCheckedCondition(absl::string_view text,
                                                                     ExpressionKind kind,
                                                                     ExpressionContext* context) {
  RETURN_IF_ERROR(CheckExpressionText(kind, text));
  Parser parser(text);
  absl::StatusOr<std::unique_ptr<ConditionNode>> root = parser.ParseCondition();
  if (!root.ok()) return InvalidExpression(kind, root.status().message());
  Checker checker(context);
  CheckNode(root->get(), &checker);
  if (const int operators = CountOperators(**root); operators > kMaxOperators) {
    checker.Report(
        ErrorSlot::kOperators,
        absl::StrCat("The expression contains too many operators; operator count: ", operators));
  }
  RETURN_IF_ERROR(checker.FirstError(
      kind,
      {ErrorSlot::kOperators, ErrorSlot::kParens, ErrorSlot::kUnknownFunction,
       ErrorSlot::kMisusedFunction, ErrorSlot::kReserved, ErrorSlot::kPath, ErrorSlot::kNameOrValue,
       ErrorSlot::kOperandCount, ErrorSlot::kDistinct, ErrorSlot::kFunction}));
  return root;
}

const AttributeValue* EvaluateOperand(const Operand& operand, const proto::Item& item,
                                      AttributeValue* scratch) {
  switch (operand.kind) {
    case Operand::Kind::kPath:
      return Lookup(item, operand.path);
    case Operand::Kind::kValue:
      return &operand.value;
    case Operand::Kind::kFunction:
      break;
  }
  if (operand.function != "size") return nullptr;
  AttributeValue inner_scratch;
  const AttributeValue* v = EvaluateOperand(operand.args[0], item, &inner_scratch);
  if (v == nullptr) return nullptr;
  int64_t size;
  switch (v->value_case()) {
    case AttributeValue::kS:
      size = static_cast<int64_t>(v->s().size());
      break;
    case AttributeValue::kB:
      size = static_cast<int64_t>(v->b().size());
      break;
    case AttributeValue::kSs:
    case AttributeValue::kNs:
    case AttributeValue::kBs:
      size = SetSize(*v);
      break;
    case AttributeValue::kL:
      size = v->l().values_size();
      break;
    case AttributeValue::kM:
      size = v->m().entries_size();
      break;
    default:
      return nullptr;  // size() of N, BOOL, NULL: the comparison is false
  }
  scratch->set_n(std::to_string(size));
  return scratch;
}

bool EvaluateNode(const ConditionNode& node, const proto::Item& item) {
  switch (node.kind) {
    case ConditionNode::Kind::kAnd:
      return EvaluateNode(*node.left, item) && EvaluateNode(*node.right, item);
    case ConditionNode::Kind::kOr:
      return EvaluateNode(*node.left, item) || EvaluateNode(*node.right, item);
    case ConditionNode::Kind::kNot:
      return !EvaluateNode(*node.left, item);
    case ConditionNode::Kind::kFunction:
      return EvaluateFunction(node.operands[0], item);
    case ConditionNode::Kind::kCompare: {
      AttributeValue s0, s1;
      return CompareWith(node.op, EvaluateOperand(node.operands[0], item, &s0),
                         EvaluateOperand(node.operands[1], item, &s1));
    }
    case ConditionNode::Kind::kBetween: {
      AttributeValue s0, s1, s2;
      const AttributeValue* v = EvaluateOperand(node.operands[0], item, &s0);
      const AttributeValue* lo = EvaluateOperand(node.operands[1], item, &s1);
      const AttributeValue* hi = EvaluateOperand(node.operands[2], item, &s2);
      if (v == nullptr || lo == nullptr || hi == nullptr) return false;
      std::optional<int> c1 = Compare(*v, *lo);
      std::optional<int> c2 = Compare(*v, *hi);
      return c1 && c2 && *c1 >= 0 && *c2 <= 0;
    }
    case ConditionNode::Kind::kIn: {
      AttributeValue s0;
      const AttributeValue* v = EvaluateOperand(node.operands[0], item, &s0);
      if (v == nullptr) return false;
      for (size_t i = 1; i < node.operands.size(); ++i) {
        AttributeValue si;
        const AttributeValue* candidate = EvaluateOperand(node.operands[i], item, &si);
        if (candidate != nullptr && Equal(*v, *candidate)) return true;
      }
      return false;
    }
  }
  return false;
}

}  // namespace internal

absl::StatusOr<Condition> Condition::Parse(absl::string_view text, ExpressionKind kind,
                                           ExpressionContext* context) {
  ASSIGN_OR_RETURN(std::unique_ptr<internal::ConditionNode> root,
                   internal::ParseCheckedCondition(text, kind, context));
  Condition condition;
  std::set<std::string> attributes;
  internal::CollectAttributes(*root, &attributes);
  condition.attributes_.assign(attributes.begin(), attributes.end());
  condition.root_ = std::move(root);
  return condition;
}

absl::StatusOr<bool> Condition::Evaluate(const proto::Item* item) const {
  static const proto::Item* const kEmpty = new proto::Item();
  if (root_ == nullptr) return absl::FailedPreconditionError("Condition not parsed");
  return internal::EvaluateNode(*root_, item != nullptr ? *item : *kEmpty);
}

}  // namespace globaltable::daemon::expr
