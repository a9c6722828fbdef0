// Attribute value helpers for the expression evaluators. Pure functions.
#include "daemon/expr/value_ops.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/number.h"

namespace globaltable::daemon::expr::internal {
namespace {

using proto::AttributeValue;

int Sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

// Order of set elements in canonical sets: numerically for NS, bytewise otherwise.
bool ElementLess(bool numeric, const std::string& a, const std::string& b) {
  return numeric ? storage::CompareNumbers(a, b) < 0 : a < b;
}

AttributeList::const_iterator LowerBound(const AttributeList& list, absl::string_view name) {
  return std::lower_bound(
      list.begin(), list.end(), name,
      [](const proto::Attribute& a, absl::string_view n) { return a.name() < n; });
}

template <typename Set>
bool SetsEqual(const Set& a, const Set& b) {
  return std::equal(a.values().begin(), a.values().end(), b.values().begin(), b.values().end());
}

}  // namespace

absl::string_view TypeOf(const AttributeValue& value) {
  switch (value.value_case()) {
    case AttributeValue::kS:
      return "S";
    case AttributeValue::kN:
      return "N";
    case AttributeValue::kB:
      return "B";
    case AttributeValue::kSs:
      return "SS";
    case AttributeValue::kNs:
      return "NS";
    case AttributeValue::kBs:
      return "BS";
    case AttributeValue::kM:
      return "M";
    case AttributeValue::kL:
      return "L";
    case AttributeValue::kNull:
      return "NULL";
    case AttributeValue::kBoolValue:
      return "BOOL";
    case AttributeValue::VALUE_NOT_SET:
      break;
  }
  return "";
}

absl::string_view LongTypeName(const AttributeValue& value) {
  switch (value.value_case()) {
    case AttributeValue::kS:
      return "STRING";
    case AttributeValue::kN:
      return "NUMBER";
    case AttributeValue::kB:
      return "BINARY";
    case AttributeValue::kM:
      return "MAP";
    case AttributeValue::kL:
      return "LIST";
    case AttributeValue::kNull:
      return "NULL";
    case AttributeValue::kBoolValue:
      return "BOOLEAN";
    default:
      return TypeOf(value);
  }
}

bool IsSet(const AttributeValue& value) {
  return value.has_ss() || value.has_ns() || value.has_bs();
}

bool Equal(const AttributeValue& a, const AttributeValue& b) {
  if (a.value_case() != b.value_case()) return false;
  switch (a.value_case()) {
    case AttributeValue::kS:
      return a.s() == b.s();
    case AttributeValue::kN:
      return storage::CompareNumbers(a.n(), b.n()) == 0;
    case AttributeValue::kB:
      return a.b() == b.b();
    case AttributeValue::kSs:
      return SetsEqual(a.ss(), b.ss());
    case AttributeValue::kNs:
      return SetsEqual(a.ns(), b.ns());
    case AttributeValue::kBs:
      return SetsEqual(a.bs(), b.bs());
    case AttributeValue::kM: {
      const auto& x = a.m().entries();
      const auto& y = b.m().entries();
      if (x.size() != y.size()) return false;
      for (int i = 0; i < x.size(); ++i) {
        if (x[i].name() != y[i].name() || !Equal(x[i].value(), y[i].value())) return false;
      }
      return true;
    }
    case AttributeValue::kL: {
      const auto& x = a.l().values();
      const auto& y = b.l().values();
      if (x.size() != y.size()) return false;
      for (int i = 0; i < x.size(); ++i) {
        if (!Equal(x[i], y[i])) return false;
      }
      return true;
    }
    case AttributeValue::kNull:
      return true;
    case AttributeValue::kBoolValue:
      return a.bool_value() == b.bool_value();
    case AttributeValue::VALUE_NOT_SET:
      return true;
  }
  return false;
}

std::optional<int> Compare(const AttributeValue& a, const AttributeValue& b) {
  if (a.value_case() != b.value_case()) return std::nullopt;
  switch (a.value_case()) {
    case AttributeValue::kN:
      return Sign(storage::CompareNumbers(a.n(), b.n()));
    case AttributeValue::kS:
      return Sign(a.s().compare(b.s()));
    case AttributeValue::kB:
      return Sign(a.b().compare(b.b()));
    default:
      return std::nullopt;
  }
}

const AttributeValue* FindEntry(const AttributeList& list, absl::string_view name) {
  auto it = LowerBound(list, name);
  if (it == list.end() || it->name() != name) return nullptr;
  return &it->value();
}

AttributeValue* FindMutableEntry(AttributeList* list, absl::string_view name) {
  auto it = LowerBound(*list, name);
  if (it == list->end() || it->name() != name) return nullptr;
  return list->Mutable(static_cast<int>(it - list->begin()))->mutable_value();
}

void SetEntry(AttributeList* list, absl::string_view name, AttributeValue value) {
  auto it = LowerBound(*list, name);
  const int index = static_cast<int>(it - list->begin());
  if (it != list->end() && it->name() == name) {
    *list->Mutable(index)->mutable_value() = std::move(value);
    return;
  }
  proto::Attribute* added = list->Add();
  added->set_name(std::string(name));
  *added->mutable_value() = std::move(value);
  // Bubble the new entry from the end into its sorted position.
  for (int i = list->size() - 1; i > index; --i) list->SwapElements(i, i - 1);
}

bool RemoveEntry(AttributeList* list, absl::string_view name) {
  auto it = LowerBound(*list, name);
  if (it == list->end() || it->name() != name) return false;
  const int index = static_cast<int>(it - list->begin());
  list->DeleteSubrange(index, 1);
  return true;
}

const AttributeValue* Lookup(const proto::Item& item, const DocumentPath& path) {
  if (path.elements.empty() || path.elements[0].is_index) return nullptr;
  const AttributeValue* current = FindEntry(item.attributes(), path.elements[0].name);
  for (size_t i = 1; current != nullptr && i < path.elements.size(); ++i) {
    const PathElement& e = path.elements[i];
    if (e.is_index) {
      if (!current->has_l() || e.index >= current->l().values_size()) return nullptr;
      current = &current->l().values(e.index);
    } else {
      if (!current->has_m()) return nullptr;
      current = FindEntry(current->m().entries(), e.name);
    }
  }
  return current;
}

namespace {

// Merges (union) or subtracts sorted element lists.
template <typename Values>
void MergeSorted(const Values& a, const Values& b, bool numeric, bool subtract, Values* out) {
  int i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && ElementLess(numeric, a[i], b[j]))) {
      *out->Add() = a[i++];
    } else if (i == a.size() || ElementLess(numeric, b[j], a[i])) {
      if (!subtract) *out->Add() = b[j];
      ++j;
    } else {  // equal
      if (!subtract) *out->Add() = a[i];
      ++i;
      ++j;
    }
  }
}

AttributeValue SetOp(const AttributeValue& a, const AttributeValue& b, bool subtract) {
  AttributeValue out;
  if (a.has_ss()) {
    MergeSorted(a.ss().values(), b.ss().values(), false, subtract,
                out.mutable_ss()->mutable_values());
  } else if (a.has_ns()) {
    MergeSorted(a.ns().values(), b.ns().values(), true, subtract,
                out.mutable_ns()->mutable_values());
  } else if (a.has_bs()) {
    MergeSorted(a.bs().values(), b.bs().values(), false, subtract,
                out.mutable_bs()->mutable_values());
  }
  return out;
}

}  // namespace

AttributeValue SetUnion(const AttributeValue& a, const AttributeValue& b) {
  return SetOp(a, b, false);
}

AttributeValue SetDifference(const AttributeValue& a, const AttributeValue& b) {
  return SetOp(a, b, true);
}

int SetSize(const AttributeValue& value) {
  if (value.has_ss()) return value.ss().values_size();
  if (value.has_ns()) return value.ns().values_size();
  if (value.has_bs()) return value.bs().values_size();
  return 0;
}

std::string PathForMessage(const DocumentPath& path) {
  std::vector<std::string> parts;
  for (const PathElement& e : path.elements) {
    parts.push_back(e.is_index ? absl::StrCat("[", e.index, "]") : e.name);
  }
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

int ComparePaths(const DocumentPath& a, const DocumentPath& b) {
  const size_t n = std::min(a.elements.size(), b.elements.size());
  for (size_t i = 0; i < n; ++i) {
    const PathElement& x = a.elements[i];
    const PathElement& y = b.elements[i];
    if (x.is_index != y.is_index) return x.is_index ? 1 : -1;
    if (x.is_index) {
      if (x.index != y.index) return x.index < y.index ? -1 : 1;
    } else if (x.name != y.name) {
      return x.name < y.name ? -1 : 1;
    }
  }
  if (a.elements.size() == b.elements.size()) return 0;
  return a.elements.size() < b.elements.size() ? -1 : 1;
}

}  // namespace globaltable::daemon::expr::internal
