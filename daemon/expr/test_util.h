// Test helpers for daemon/expr: terse builders for canonical attribute values and items, and a
// compact printer so expectations read like DynamoDB JSON. Test-only.
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_DAEMON_EXPR_TEST_UTIL_H_
#define GLOBALTABLE_DAEMON_EXPR_TEST_UTIL_H_

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proto/globaltable.pb.h"

namespace globaltable::daemon::expr::testing {

using proto::AttributeValue;
using Entry = std::pair<std::string, AttributeValue>;

inline AttributeValue S(std::string s) {
  AttributeValue v;
  v.set_s(std::move(s));
  return v;
}
// `n` must be normalized.
inline AttributeValue N(std::string n) {
  AttributeValue v;
  v.set_n(std::move(n));
  return v;
}
inline AttributeValue B(std::string b) {
  AttributeValue v;
  v.set_b(std::move(b));
  return v;
}
inline AttributeValue Bool(bool b) {
  AttributeValue v;
  v.set_bool_value(b);
  return v;
}
inline AttributeValue Null() {
  AttributeValue v;
  v.set_null(true);
  return v;
}
// Sets: elements must be given in canonical order.
inline AttributeValue SS(std::initializer_list<std::string> values) {
  AttributeValue v;
  for (const std::string& s : values) v.mutable_ss()->add_values(s);
  return v;
}
inline AttributeValue NS(std::initializer_list<std::string> values) {
  AttributeValue v;
  for (const std::string& s : values) v.mutable_ns()->add_values(s);
  return v;
}
inline AttributeValue BS(std::initializer_list<std::string> values) {
  AttributeValue v;
  for (const std::string& s : values) v.mutable_bs()->add_values(s);
  return v;
}
inline AttributeValue L(std::initializer_list<AttributeValue> values) {
  AttributeValue v;
  v.mutable_l();
  for (const AttributeValue& e : values) *v.mutable_l()->add_values() = e;
  return v;
}
// Entries are sorted by name, as canonical maps are.
inline AttributeValue M(std::vector<Entry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.first < b.first; });
  AttributeValue v;
  v.mutable_m();
  for (auto& [name, value] : entries) {
    proto::Attribute* a = v.mutable_m()->add_entries();
    a->set_name(name);
    *a->mutable_value() = value;
  }
  return v;
}
inline proto::Item Item(std::vector<Entry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.first < b.first; });
  proto::Item item;
  for (auto& [name, value] : entries) {
    proto::Attribute* a = item.add_attributes();
    a->set_name(name);
    *a->mutable_value() = value;
  }
  return item;
}

// Compact text: strings quoted, numbers bare, b'..' binaries, SS[..] NS[..] BS[..] sets,
// [..] lists, {k: v} maps, null, true/false.
inline std::string Show(const AttributeValue& v);
inline std::string ShowEntries(const google::protobuf::RepeatedPtrField<proto::Attribute>& list) {
  std::vector<std::string> parts;
  for (const proto::Attribute& a : list)
    parts.push_back(absl::StrCat(a.name(), ": ", Show(a.value())));
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}
inline std::string Show(const AttributeValue& v) {
  auto quoted = [](const auto& values, absl::string_view prefix, absl::string_view quote) {
    std::vector<std::string> parts;
    for (const std::string& s : values) parts.push_back(absl::StrCat(prefix, quote, s, quote));
    return absl::StrJoin(parts, ",");
  };
  switch (v.value_case()) {
    case AttributeValue::kS:
      return absl::StrCat("\"", v.s(), "\"");
    case AttributeValue::kN:
      return v.n();
    case AttributeValue::kB:
      return absl::StrCat("b'", v.b(), "'");
    case AttributeValue::kSs:
      return absl::StrCat("SS[", quoted(v.ss().values(), "", "\""), "]");
    case AttributeValue::kNs:
      return absl::StrCat("NS[", quoted(v.ns().values(), "", ""), "]");
    case AttributeValue::kBs:
      return absl::StrCat("BS[", quoted(v.bs().values(), "b", "'"), "]");
    case AttributeValue::kL: {
      std::vector<std::string> parts;
      for (const AttributeValue& e : v.l().values()) parts.push_back(Show(e));
      return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    }
    case AttributeValue::kM:
      return ShowEntries(v.m().entries());
    case AttributeValue::kNull:
      return "null";
    case AttributeValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case AttributeValue::VALUE_NOT_SET:
      break;
  }
  return "<unset>";
}
inline std::string Show(const proto::Item& item) { return ShowEntries(item.attributes()); }

}  // namespace globaltable::daemon::expr::testing

#endif  // GLOBALTABLE_DAEMON_EXPR_TEST_UTIL_H_
