// ProjectionExpression parsing and projection (also used for UPDATED_OLD / UPDATED_NEW).
#include <map>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "common/status_macros.h"
#include "daemon/expr/checks.h"
#include "daemon/expr/parser.h"
#include "daemon/expr/value_ops.h"

namespace globaltable::daemon::expr {
namespace internal {
namespace {

// The projected parts of an item: maps and lists keyed by name or original index.
struct Node {
  std::map<std::string, Node> names;
  std::map<int, Node> indexes;
  const proto::AttributeValue* leaf = nullptr;
};

proto::AttributeValue ToValue(const Node& node) {
  if (node.leaf != nullptr) return *node.leaf;
  proto::AttributeValue out;
  if (!node.indexes.empty()) {
    proto::ListValue* list = out.mutable_l();
    for (const auto& [index, child] : node.indexes) *list->add_values() = ToValue(child);
  } else {
    proto::MapValue* map = out.mutable_m();
    for (const auto& [name, child] : node.names) {
      proto::Attribute* entry = map->add_entries();
      entry->set_name(name);
      *entry->mutable_value() = ToValue(child);
    }
  }
  return out;
}

}  // namespace

proto::Item ProjectPaths(const proto::Item& item, const std::vector<DocumentPath>& paths) {
  Node root;
  for (const DocumentPath& path : paths) {
    const proto::AttributeValue* value = Lookup(item, path);
    if (value == nullptr) continue;
    Node* node = &root;
    for (const PathElement& e : path.elements) {
      node = e.is_index ? &node->indexes[e.index] : &node->names[e.name];
    }
    node->leaf = value;
  }
  proto::Item out;
  for (const auto& [name, child] : root.names) {
    proto::Attribute* attribute = out.add_attributes();
    attribute->set_name(name);
    *attribute->mutable_value() = ToValue(child);
  }
  return out;
}

}  // namespace internal

absl::StatusOr<Projection> Projection::Parse(absl::string_view text, ExpressionContext* context) {
  constexpr ExpressionKind kKind = ExpressionKind::kProjection;
  RETURN_IF_ERROR(internal::CheckExpressionText(kKind, text));
  internal::Parser parser(text);
  absl::StatusOr<std::vector<internal::RawPath>> raw = parser.ParseProjection();
  if (!raw.ok()) return internal::InvalidExpression(kKind, raw.status().message());
  internal::Checker checker(context);
  Projection projection;
  bool resolved = true;
  for (const internal::RawPath& path : *raw) {
    projection.paths_.emplace_back();
    resolved &= checker.ResolvePath(path, &projection.paths_.back());
  }
  if (resolved) {
    std::vector<const DocumentPath*> paths;
    for (const DocumentPath& path : projection.paths_) paths.push_back(&path);
    checker.CheckOverlaps(paths);
  }
  RETURN_IF_ERROR(checker.FirstError(
      kKind,
      {internal::ErrorSlot::kReserved, internal::ErrorSlot::kPath, internal::ErrorSlot::kName,
       internal::ErrorSlot::kOverlap, internal::ErrorSlot::kConflict}));
  return projection;
}

proto::Item Projection::Project(const proto::Item& item) const {
  return internal::ProjectPaths(item, paths_);
}

}  // namespace globaltable::daemon::expr
