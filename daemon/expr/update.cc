// UpdateExpression: semantic checks and application. See expressions.h.
//
// Application order, which makes list indexes refer to the list as it was before the update
// (DynamoDB's rule): every SET value is computed from the old item first; SET/ADD/DELETE then
// run in path order (so several SETs past the end of a list append in index order); REMOVEs run
// last, in reverse path order, so removing a[1] never shifts a[3] before it is removed.
#include <algorithm>
#include <numeric>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/expr/checks.h"
#include "daemon/expr/parser.h"
#include "daemon/expr/value_ops.h"
#include "storage/number.h"

namespace globaltable::daemon::expr {
namespace internal {
namespace {

using proto::AttributeValue;

constexpr absl::string_view kInvalidPath =
    "The document path provided in the update expression is invalid for update";
constexpr absl::string_view kIncorrectType =
    "An operand in the update expression has an incorrect data type";
constexpr absl::string_view kMissingAttribute =
    "The provided expression refers to an attribute that does not exist in the item";

absl::string_view StaticType(const Operand& operand) {
  if (operand.kind == Operand::Kind::kValue) return TypeOf(operand.value);
  return "";
}

void ReportOperandType(absl::string_view function, absl::string_view type, Checker* checker) {
  checker->Report(ErrorSlot::kFunction,
                  absl::StrCat("Incorrect operand type for operator or function; operator or "
                               "function: ",
                               function, ", operand type: ", type));
}

void CheckSetValue(Operand* operand, bool nested, Checker* checker) {
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
  for (Operand& arg : operand->args) CheckSetValue(&arg, true, checker);
  if (name == "attribute_exists" || name == "attribute_not_exists" || name == "attribute_type" ||
      name == "begins_with" || name == "contains" || name == "size") {  // condition functions
    checker->Report(ErrorSlot::kMisusedFunction,
                    absl::StrCat("The function is not allowed to be used this way in an "
                                 "expression; function: ",
                                 name));
    return;
  }
  if (name != "if_not_exists" && name != "list_append" && name != "+" && name != "-") {
    checker->Report(ErrorSlot::kUnknownFunction,
                    absl::StrCat("Invalid function name; function: ", name));
    return;
  }
  if (operand->args.size() != 2) {
    checker->Report(ErrorSlot::kFunction,
                    absl::StrCat("Incorrect number of operands for operator or function; "
                                 "operator or function: ",
                                 name, ", number of operands: ", operand->args.size()));
    return;
  }
  if (nested && name == "list_append") {
    checker->Report(ErrorSlot::kMisusedFunction,
                    "The function is not allowed to be used this way in an expression; "
                    "function: list_append");
  }
  if (name == "if_not_exists") {
    if (operand->args[0].kind != Operand::Kind::kPath) {
      checker->Report(ErrorSlot::kFunction,
                      "Operator or function requires a document path; operator or function: "
                      "if_not_exists");
    }
    return;
  }
  const absl::string_view wanted = name == "list_append" ? "L" : "N";
  for (const Operand& arg : operand->args) {
    absl::string_view type = StaticType(arg);
    if (!type.empty() && type != wanted) ReportOperandType(name, type, checker);
  }
}

absl::StatusOr<AttributeValue> EvaluateSetValue(const Operand& operand, const proto::Item& item) {
  switch (operand.kind) {
    case Operand::Kind::kPath: {
      const AttributeValue* v = Lookup(item, operand.path);
      if (v == nullptr) return absl::InvalidArgumentError(kMissingAttribute);
      return *v;
    }
    case Operand::Kind::kValue:
      return operand.value;
    case Operand::Kind::kFunction:
      break;
  }
  if (operand.function == "if_not_exists") {
    const AttributeValue* v = Lookup(item, operand.args[0].path);
    if (v != nullptr) return *v;
    return EvaluateSetValue(operand.args[1], item);
  }
  ASSIGN_OR_RETURN(AttributeValue a, EvaluateSetValue(operand.args[0], item));
  ASSIGN_OR_RETURN(AttributeValue b, EvaluateSetValue(operand.args[1], item));
  AttributeValue out;
  if (operand.function == "list_append") {
    if (!a.has_l() || !b.has_l()) return absl::InvalidArgumentError(kIncorrectType);
    *out.mutable_l() = std::move(*a.mutable_l());
    for (AttributeValue& v : *b.mutable_l()->mutable_values()) {
      *out.mutable_l()->add_values() = std::move(v);
    }
    return out;
  }
  if (!a.has_n() || !b.has_n()) return absl::InvalidArgumentError(kIncorrectType);
  absl::StatusOr<std::string> n = operand.function == "+" ? storage::AddNumbers(a.n(), b.n())
                                                          : storage::SubtractNumbers(a.n(), b.n());
  if (!n.ok()) return n.status();
  out.set_n(*std::move(n));
  return out;
}

// The map or list that holds a path's last element.
struct Container {
  AttributeList* map = nullptr;
  proto::ListValue* list = nullptr;
};

AttributeValue* Child(const Container& c, const PathElement& e) {
  if (e.is_index) {
    if (c.list == nullptr || e.index >= c.list->values_size()) return nullptr;
    return c.list->mutable_values(e.index);
  }
  return c.map != nullptr ? FindMutableEntry(c.map, e.name) : nullptr;
}

absl::StatusOr<Container> ParentOf(proto::Item* item, const DocumentPath& path) {
  Container c{item->mutable_attributes(), nullptr};
  for (size_t i = 0; i + 1 < path.elements.size(); ++i) {
    AttributeValue* v = Child(c, path.elements[i]);
    if (v == nullptr) return absl::InvalidArgumentError(kInvalidPath);
    if (path.elements[i + 1].is_index) {
      if (!v->has_l()) return absl::InvalidArgumentError(kInvalidPath);
      c = Container{nullptr, v->mutable_l()};
    } else {
      if (!v->has_m()) return absl::InvalidArgumentError(kInvalidPath);
      c = Container{v->mutable_m()->mutable_entries(), nullptr};
    }
  }
  return c;
}

// Whether the parent of `path` exists in `item` and can hold its last element.
bool ParentValid(const proto::Item& item, const DocumentPath& path) {
  if (path.elements.size() <= 1) return true;
  DocumentPath parent;
  parent.elements.assign(path.elements.begin(), path.elements.end() - 1);
  const AttributeValue* v = Lookup(item, parent);
  if (v == nullptr) return false;
  return path.elements.back().is_index ? v->has_l() : v->has_m();
}

void Put(const Container& c, const PathElement& e, AttributeValue value) {
  if (!e.is_index) {
    SetEntry(c.map, e.name, std::move(value));
  } else if (e.index < c.list->values_size()) {
    *c.list->mutable_values(e.index) = std::move(value);
  } else {
    *c.list->add_values() = std::move(value);  // past the end: DynamoDB appends
  }
}

void Erase(const Container& c, const PathElement& e) {
  if (!e.is_index) {
    RemoveEntry(c.map, e.name);
  } else if (e.index < c.list->values_size()) {
    c.list->mutable_values()->DeleteSubrange(e.index, 1);
  }
}

absl::Status ApplyAction(const UpdateAction& action, AttributeValue set_value, proto::Item* item) {
  ASSIGN_OR_RETURN(Container c, ParentOf(item, action.path));
  const PathElement& leaf = action.path.elements.back();
  AttributeValue* existing = Child(c, leaf);
  const AttributeValue& operand = action.value.value;
  switch (action.kind) {
    case UpdateAction::Kind::kSet:
      Put(c, leaf, std::move(set_value));
      return absl::OkStatus();
    case UpdateAction::Kind::kAdd:
      if (existing == nullptr) {
        Put(c, leaf, operand);
      } else if (existing->has_n() && operand.has_n()) {
        ASSIGN_OR_RETURN(std::string sum, storage::AddNumbers(existing->n(), operand.n()));
        existing->set_n(std::move(sum));
      } else if (IsSet(*existing) && existing->value_case() == operand.value_case()) {
        *existing = SetUnion(*existing, operand);
      } else {
        return absl::InvalidArgumentError(kIncorrectType);
      }
      return absl::OkStatus();
    case UpdateAction::Kind::kDelete:
      if (existing == nullptr) return absl::OkStatus();
      if (!IsSet(*existing) || existing->value_case() != operand.value_case()) {
        return absl::InvalidArgumentError(kIncorrectType);
      }
      *existing = SetDifference(*existing, operand);
      if (SetSize(*existing) == 0) Erase(c, leaf);  // DynamoDB has no empty sets
      return absl::OkStatus();
    case UpdateAction::Kind::kRemove:
      Erase(c, leaf);
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace internal

absl::StatusOr<Update> Update::Parse(absl::string_view text, const proto::TableSchema& schema,
                                     ExpressionContext* context) {
  using internal::ErrorSlot;
  constexpr ExpressionKind kKind = ExpressionKind::kUpdate;
  RETURN_IF_ERROR(internal::CheckExpressionText(kKind, text));
  internal::Parser parser(text);
  absl::StatusOr<internal::ParsedUpdate> parsed = parser.ParseUpdate();
  if (!parsed.ok()) return internal::InvalidExpression(kKind, parsed.status().message());
  auto actions = std::make_shared<std::vector<internal::UpdateAction>>(std::move(parsed->actions));

  internal::Checker checker(context);
  for (const std::string& clause : parsed->repeated_clauses) {
    checker.Report(ErrorSlot::kSection, absl::StrCat("The \"", clause,
                                                     "\" section can only be used once in an "
                                                     "update expression;"));
  }
  bool resolved = true;
  for (internal::UpdateAction& action : *actions) {
    resolved &= checker.ResolvePath(action.raw_path, &action.path);
    switch (action.kind) {
      case internal::UpdateAction::Kind::kSet:
        internal::CheckSetValue(&action.value, false, &checker);
        break;
      case internal::UpdateAction::Kind::kRemove:
        break;
      case internal::UpdateAction::Kind::kAdd:
      case internal::UpdateAction::Kind::kDelete: {
        if (!checker.ResolveValue(&action.value)) break;
        const proto::AttributeValue& v = action.value.value;
        const bool add = action.kind == internal::UpdateAction::Kind::kAdd;
        if (!internal::IsSet(v) && !(add && v.has_n())) {
          checker.Report(
              ErrorSlot::kOperand,
              absl::StrCat("Incorrect operand type for operator or function; "
                           "operator: ",
                           add ? "ADD" : "DELETE", ", operand type: ", internal::LongTypeName(v)));
        }
        break;
      }
    }
  }
  if (resolved) {
    std::vector<const DocumentPath*> paths;
    for (const internal::UpdateAction& action : *actions) paths.push_back(&action.path);
    checker.CheckOverlaps(paths);
  }
  RETURN_IF_ERROR(checker.FirstError(
      kKind,
      {ErrorSlot::kReserved, ErrorSlot::kPath, ErrorSlot::kUnknownFunction, ErrorSlot::kSection,
       ErrorSlot::kName, ErrorSlot::kValue, ErrorSlot::kOverlap, ErrorSlot::kConflict,
       ErrorSlot::kOperand, ErrorSlot::kMisusedFunction, ErrorSlot::kFunction}));

  Update update;
  std::set<std::string> attributes;
  for (const internal::UpdateAction& action : *actions) {
    const std::string& attribute = action.path.elements[0].name;
    if (attribute == schema.partition_key().name() ||
        (!schema.sort_key().name().empty() && attribute == schema.sort_key().name())) {
      return absl::InvalidArgumentError(
          absl::StrCat("One or more parameter values were invalid: Cannot update attribute ",
                       attribute, ". This attribute is part of the key"));
    }
    attributes.insert(attribute);
    update.updated_paths_.push_back(action.path);
  }
  update.updated_attributes_.assign(attributes.begin(), attributes.end());
  update.actions_ = std::move(actions);
  return update;
}

absl::Status Update::Apply(proto::Item* item, bool item_exists) const {
  if (actions_ == nullptr) return absl::FailedPreconditionError("Update not parsed");
  const std::vector<internal::UpdateAction>& actions = *actions_;
  const proto::Item& old = *item;

  std::vector<proto::AttributeValue> set_values(actions.size());
  for (size_t i = 0; i < actions.size(); ++i) {
    if (actions[i].kind != internal::UpdateAction::Kind::kSet) continue;
    ASSIGN_OR_RETURN(set_values[i], internal::EvaluateSetValue(actions[i].value, old));
  }

  std::vector<size_t> order(actions.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return internal::ComparePaths(actions[a].path, actions[b].path) < 0;
  });

  proto::Item out = old;
  std::vector<size_t> removals;
  for (size_t i : order) {
    if (actions[i].kind == internal::UpdateAction::Kind::kRemove) {
      // Parents must exist (unless the whole item is missing); a missing leaf is ignored.
      if (!internal::ParentValid(old, actions[i].path)) {
        if (!item_exists) continue;
        return absl::InvalidArgumentError(internal::kInvalidPath);
      }
      if (internal::Lookup(old, actions[i].path) != nullptr) removals.push_back(i);
      continue;
    }
    RETURN_IF_ERROR(internal::ApplyAction(actions[i], std::move(set_values[i]), &out));
  }
  for (auto it = removals.rbegin(); it != removals.rend(); ++it) {
    RETURN_IF_ERROR(internal::ApplyAction(actions[*it], proto::AttributeValue(), &out));
  }
  *item = std::move(out);
  return absl::OkStatus();
}

proto::Item Update::ProjectUpdated(const proto::Item& item) const {
  return internal::ProjectPaths(item, updated_paths_);
}

}  // namespace globaltable::daemon::expr
