// KeyConditionExpression: a condition restricted to the table's key, turned into the partition
// key value and a storage::SortKeyCondition. See expressions.h.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/expr/condition_internal.h"
#include "daemon/expr/value_ops.h"

namespace globaltable::daemon::expr {
namespace {

using internal::ConditionNode;
using internal::Operand;
using internal::TokenType;
using Op = storage::SortKeyCondition::Op;

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

void Flatten(const ConditionNode* node, std::vector<const ConditionNode*>* leaves) {
  if (node->kind == ConditionNode::Kind::kAnd) {
    Flatten(node->left.get(), leaves);
    Flatten(node->right.get(), leaves);
  } else {
    leaves->push_back(node);
  }
}

// The first operator DynamoDB does not allow in a key condition, if any.
std::string DisallowedOperator(const ConditionNode& node) {
  switch (node.kind) {
    case ConditionNode::Kind::kOr:
      return "OR";
    case ConditionNode::Kind::kNot:
      return "NOT";
    case ConditionNode::Kind::kIn:
      return "IN";
    case ConditionNode::Kind::kCompare:
      return node.op == TokenType::kNe ? "<>" : "";
    case ConditionNode::Kind::kFunction: {
      const std::string& f = node.operands[0].function;
      return f == "begins_with" || f == "size" ? "" : f;
    }
    case ConditionNode::Kind::kAnd: {
      std::string left = DisallowedOperator(*node.left);
      return left.empty() ? DisallowedOperator(*node.right) : left;
    }
    case ConditionNode::Kind::kBetween:
      return "";
  }
  return "";
}

Op FlipOp(Op op) {
  switch (op) {
    case Op::kLt:
      return Op::kGt;
    case Op::kLe:
      return Op::kGe;
    case Op::kGt:
      return Op::kLt;
    case Op::kGe:
      return Op::kLe;
    default:
      return op;
  }
}

Op CompareOp(TokenType type) {
  switch (type) {
    case TokenType::kLt:
      return Op::kLt;
    case TokenType::kLe:
      return Op::kLe;
    case TokenType::kGt:
      return Op::kGt;
    case TokenType::kGe:
      return Op::kGe;
    default:
      return Op::kEq;
  }
}

struct KeyTerm {
  std::string attribute;
  storage::SortKeyCondition condition;
};

absl::StatusOr<KeyTerm> ToTerm(const ConditionNode& node) {
  for (const Operand& operand : node.operands) {
    const bool nested = operand.kind == Operand::Kind::kFunction &&
                        (node.kind != ConditionNode::Kind::kFunction || operand.function == "size");
    bool nested_arg = false;
    for (const Operand& arg : operand.args) nested_arg |= arg.kind == Operand::Kind::kFunction;
    if (nested || nested_arg)
      return Invalid("KeyConditionExpressions cannot contain nested operations");
  }
  std::vector<const Operand*> operands;
  if (node.kind == ConditionNode::Kind::kFunction) {
    for (const Operand& arg : node.operands[0].args) operands.push_back(&arg);
  } else {
    for (const Operand& operand : node.operands) operands.push_back(&operand);
  }
  const Operand* path = nullptr;
  size_t path_index = 0;
  for (size_t i = 0; i < operands.size(); ++i) {
    if (operands[i]->kind != Operand::Kind::kPath) continue;
    if (path != nullptr) {
      return Invalid(
          "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
          "condition");
    }
    if (operands[i]->path.elements.size() > 1) {
      return Invalid("KeyConditionExpressions cannot have conditions on nested attributes");
    }
    path = operands[i];
    path_index = i;
  }
  if (path == nullptr) {
    return Invalid("Invalid condition in KeyConditionExpression: No key attribute specified");
  }
  KeyTerm term;
  term.attribute = path->path.elements[0].name;
  if (node.kind == ConditionNode::Kind::kCompare) {
    term.condition.op = CompareOp(node.op);
    if (path_index == 1) term.condition.op = FlipOp(term.condition.op);
    term.condition.value = operands[1 - path_index]->value;
    return term;
  }
  const absl::string_view name =
      node.kind == ConditionNode::Kind::kBetween ? "BETWEEN" : "begins_with";
  if (path_index != 0) {
    return Invalid(absl::StrCat("Invalid condition in KeyConditionExpression: ", name,
                                " operator must have the key attribute as its first operand"));
  }
  if (node.kind == ConditionNode::Kind::kBetween) {
    term.condition.op = Op::kBetween;
    term.condition.value = operands[1]->value;
    term.condition.value2 = operands[2]->value;
  } else {
    term.condition.op = Op::kBeginsWith;
    term.condition.value = operands[1]->value;
  }
  return term;
}

bool MatchesType(const proto::AttributeValue& value, proto::ScalarType type) {
  switch (type) {
    case proto::S:
      return value.has_s();
    case proto::N:
      return value.has_n();
    case proto::B:
      return value.has_b();
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<KeyCondition> KeyCondition::Parse(absl::string_view text,
                                                 const proto::TableSchema& schema,
                                                 ExpressionContext* context) {
  ASSIGN_OR_RETURN(std::unique_ptr<ConditionNode> root,
                   internal::ParseCheckedCondition(text, ExpressionKind::kKeyCondition, context));
  if (std::string op = DisallowedOperator(*root); !op.empty()) {
    return Invalid(absl::StrCat("Invalid operator used in KeyConditionExpression: ", op));
  }
  std::vector<const ConditionNode*> leaves;
  Flatten(root.get(), &leaves);
  std::map<std::string, storage::SortKeyCondition> terms;
  for (const ConditionNode* leaf : leaves) {
    ASSIGN_OR_RETURN(KeyTerm term, ToTerm(*leaf));
    if (!terms.emplace(term.attribute, std::move(term.condition)).second) {
      return Invalid("KeyConditionExpressions must only contain one condition per key");
    }
  }

  if (terms.size() > 2) return Invalid("Conditions can be of length 1 or 2 only");

  const proto::KeyElement& pk = schema.partition_key();
  const proto::KeyElement& sk = schema.sort_key();
  const bool has_sort_key = !sk.name().empty();
  if (!has_sort_key && terms.size() > 1) return Invalid("Query key condition not supported");
  KeyCondition out;
  for (const proto::KeyElement* key : {&pk, &sk}) {
    if (key->name().empty()) continue;
    const bool is_partition = key == &pk;
    auto it = terms.find(key->name());
    if (it == terms.end()) {
      if (is_partition || terms.size() > 1) {
        return Invalid(absl::StrCat("Query condition missed key schema element: ", key->name()));
      }
      continue;
    }
    const storage::SortKeyCondition& c = it->second;
    const bool type_ok =
        MatchesType(c.value, key->type()) &&
        (c.op != storage::SortKeyCondition::Op::kBetween || MatchesType(c.value2, key->type()));
    if (!type_ok) {
      return Invalid(
          "One or more parameter values were invalid: Condition parameter type does not match "
          "schema type");
    }
    if (is_partition) {
      if (c.op != storage::SortKeyCondition::Op::kEq) {
        return Invalid("Query key condition not supported");
      }
      out.partition_key = c.value;
    } else {
      if (c.op == storage::SortKeyCondition::Op::kBeginsWith && key->type() == proto::N) {
        return Invalid(
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N");
      }
      out.sort_key = c;
    }
  }
  return out;
}

}  // namespace globaltable::daemon::expr
