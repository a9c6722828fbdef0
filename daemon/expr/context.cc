// ExpressionContext, expression kind names and document path printing. See expressions.h.
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/expr/expressions.h"

namespace globaltable::daemon::expr {
namespace {

bool IsValidKey(absl::string_view key, char sigil) {
  if (key.size() < 2 || key[0] != sigil) return false;
  for (char c : key.substr(1)) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

template <typename Map>
std::string UnusedKeys(const Map& map, const std::set<std::string>& used) {
  std::vector<absl::string_view> unused;
  for (const auto& entry : map) {
    if (used.count(entry.first) == 0) unused.push_back(entry.first);
  }
  return unused.empty() ? "" : absl::StrCat("{", absl::StrJoin(unused, ", "), "}");
}

}  // namespace

absl::string_view ExpressionKindName(ExpressionKind kind) {
  switch (kind) {
    case ExpressionKind::kCondition:
      return "ConditionExpression";
    case ExpressionKind::kFilter:
      return "FilterExpression";
    case ExpressionKind::kUpdate:
      return "UpdateExpression";
    case ExpressionKind::kProjection:
      return "ProjectionExpression";
    case ExpressionKind::kKeyCondition:
      return "KeyConditionExpression";
  }
  return "Expression";
}

ExpressionContext::ExpressionContext(const NameMap* names, const ValueMap* values)
    : names_(names), values_(values) {}

absl::Status ExpressionContext::CheckMaps() const {
  if (names_ != nullptr) {
    if (names_->empty()) {
      return absl::InvalidArgumentError("ExpressionAttributeNames must not be empty");
    }
    for (const auto& [key, name] : *names_) {
      if (!IsValidKey(key, '#')) {
        return absl::InvalidArgumentError(absl::StrCat(
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"", key, "\""));
      }
    }
  }
  if (values_ != nullptr) {
    if (values_->empty()) {
      return absl::InvalidArgumentError("ExpressionAttributeValues must not be empty");
    }
    for (const auto& [key, value] : *values_) {
      if (!IsValidKey(key, ':')) {
        return absl::InvalidArgumentError(absl::StrCat(
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"", key, "\""));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ExpressionContext::CheckAllUsed() const {
  if (names_ != nullptr) {
    std::string unused = UnusedKeys(*names_, used_names_);
    if (!unused.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Value provided in ExpressionAttributeNames unused in expressions: keys: ", unused));
    }
  }
  if (values_ != nullptr) {
    std::string unused = UnusedKeys(*values_, used_values_);
    if (!unused.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Value provided in ExpressionAttributeValues unused in expressions: keys: ", unused));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ExpressionContext::ResolveName(absl::string_view token) {
  if (names_ != nullptr) {
    auto it = names_->find(std::string(token));
    if (it != names_->end()) {
      used_names_.insert(it->first);
      return it->second;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "An expression attribute name used in the document path is not defined; attribute name: ",
      token));
}

absl::StatusOr<proto::AttributeValue> ExpressionContext::ResolveValue(absl::string_view token) {
  if (values_ != nullptr) {
    auto it = values_->find(std::string(token));
    if (it != values_->end()) {
      used_values_.insert(it->first);
      return it->second;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "An expression attribute value used in expression is not defined; attribute value: ", token));
}

std::string DocumentPath::ToString() const {
  std::string out;
  for (size_t i = 0; i < elements.size(); ++i) {
    const PathElement& e = elements[i];
    if (e.is_index) {
      absl::StrAppend(&out, "[", e.index, "]");
    } else {
      absl::StrAppend(&out, i == 0 ? "" : ".", e.name);
    }
  }
  return out;
}

}  // namespace globaltable::daemon::expr
