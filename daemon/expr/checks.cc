// Semantic checks shared by every expression kind. Single-threaded per parse.
#include "daemon/expr/checks.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/expr/value_ops.h"

namespace globaltable::daemon::expr::internal {

absl::Status InvalidExpression(ExpressionKind kind, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("Invalid ", ExpressionKindName(kind), ": ", message));
}

absl::Status CheckExpressionText(ExpressionKind kind, absl::string_view text) {
  if (absl::StripAsciiWhitespace(text).empty()) {
    return InvalidExpression(kind, "The expression can not be empty;");
  }
  if (text.size() > kMaxExpressionBytes) {
    return InvalidExpression(
        kind, absl::StrCat("Expression size has exceeded the maximum allowed size; expression "
                           "size: ",
                           text.size()));
  }
  return absl::OkStatus();
}

void Checker::Report(ErrorSlot slot, std::string message) {
  const size_t i = static_cast<size_t>(slot);
  if (set_[i]) return;
  set_[i] = true;
  messages_[i] = std::move(message);
}

bool Checker::HasErrors() const {
  for (bool s : set_) {
    if (s) return true;
  }
  return false;
}

bool Checker::ResolvePath(const RawPath& raw, DocumentPath* out) {
  out->elements = raw.elements;
  bool ok = true;
  for (size_t i = 0; i < raw.elements.size(); ++i) {
    PathElement& e = out->elements[i];
    if (e.is_index) {
      if (e.index < 0) {
        Report(ErrorSlot::kPath,
               absl::StrCat("List index is not within the allowable range; index: [", e.name, "]"));
        ok = false;
      }
      continue;
    }
    if (raw.is_ref[i]) {
      absl::StatusOr<std::string> name = context_->ResolveName(e.name);
      if (!name.ok()) {
        Report(ErrorSlot::kName, std::string(name.status().message()));
        Report(ErrorSlot::kNameOrValue, std::string(name.status().message()));
        ok = false;
        continue;
      }
      e.name = *std::move(name);
    } else if (IsReservedWord(e.name)) {
      Report(ErrorSlot::kReserved,
             absl::StrCat("Attribute name is a reserved keyword; reserved keyword: ", e.name));
      ok = false;
    }
  }
  if (out->elements.size() > kMaxPathDepth) {
    Report(ErrorSlot::kPath,
           absl::StrCat("The document path has too many nesting levels; nesting levels: ",
                        out->elements.size()));
    ok = false;
  }
  return ok;
}

bool Checker::ResolveValue(Operand* operand) {
  absl::StatusOr<proto::AttributeValue> value = context_->ResolveValue(operand->value_ref);
  if (!value.ok()) {
    Report(ErrorSlot::kValue, std::string(value.status().message()));
    Report(ErrorSlot::kNameOrValue, std::string(value.status().message()));
    return false;
  }
  operand->value = *std::move(value);
  return true;
}

void Checker::CheckOverlaps(const std::vector<const DocumentPath*>& paths) {
  for (size_t j = 1; j < paths.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      const auto& a = paths[i]->elements;
      const auto& b = paths[j]->elements;
      const size_t n = std::min(a.size(), b.size());
      bool diverged = false;
      for (size_t k = 0; k < n && !diverged; ++k) {
        if (a[k].is_index != b[k].is_index) {
          Report(
              ErrorSlot::kConflict,
              absl::StrCat("Two document paths conflict with each other; must remove or "
                           "rewrite one of these paths; path one: ",
                           PathForMessage(*paths[i]), ", path two: ", PathForMessage(*paths[j])));
          diverged = true;
        } else if (a[k].is_index ? a[k].index != b[k].index : a[k].name != b[k].name) {
          diverged = true;
        }
      }
      if (!diverged) {
        Report(ErrorSlot::kOverlap,
               absl::StrCat("Two document paths overlap with each other; must remove or rewrite "
                            "one of these paths; path one: ",
                            PathForMessage(*paths[i]), ", path two: ", PathForMessage(*paths[j])));
      }
    }
  }
}

absl::Status Checker::FirstError(ExpressionKind kind,
                                 std::initializer_list<ErrorSlot> order) const {
  for (ErrorSlot slot : order) {
    const size_t i = static_cast<size_t>(slot);
    if (set_[i]) return InvalidExpression(kind, messages_[i]);
  }
  return absl::OkStatus();
}

}  // namespace globaltable::daemon::expr::internal
