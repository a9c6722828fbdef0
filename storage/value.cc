// Attribute value canonicalization, validation, sizing, key extraction and attribute lookup.
// Pure functions; thread-safe.
#include "storage/value.h"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/number.h"

namespace globaltable::storage {
namespace {

using Attributes = google::protobuf::RepeatedPtrField<proto::Attribute>;
using Strings = google::protobuf::RepeatedPtrField<std::string>;

// DynamoDB allows 32 levels of nested documents. Deeper input is refused before anything
// recurses further, which also bounds the stack of every recursive function here.
constexpr int kMaxNestingDepth = 32;

constexpr char kInvalid[] = "One or more parameter values were invalid: ";

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(kInvalid, message));
}

bool NameLess(const proto::Attribute& a, const proto::Attribute& b) { return a.name() < b.name(); }

// Binary search in attributes sorted by name; the index of `name`, or -1.
int FindIndex(const Attributes& attrs, absl::string_view name) {
  int lo = 0;
  int hi = attrs.size();
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    const int c = absl::string_view(attrs.Get(mid).name()).compare(name);
    if (c == 0) return mid;
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return -1;
}

// The position where `name` is or would be inserted.
int LowerBound(const Attributes& attrs, absl::string_view name) {
  int lo = 0;
  int hi = attrs.size();
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (absl::string_view(attrs.Get(mid).name()) < name) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

void SetIn(Attributes* attrs, absl::string_view name, proto::AttributeValue value) {
  const int pos = LowerBound(*attrs, name);
  if (pos < attrs->size() && attrs->Get(pos).name() == name) {
    *attrs->Mutable(pos)->mutable_value() = std::move(value);
    return;
  }
  proto::Attribute* added = attrs->Add();
  added->set_name(name.data(), name.size());
  *added->mutable_value() = std::move(value);
  // Move the new element from the end into place (pointer rotation, no copies).
  std::rotate(attrs->pointer_begin() + pos, attrs->pointer_begin() + (attrs->size() - 1),
              attrs->pointer_begin() + attrs->size());
}

bool RemoveFrom(Attributes* attrs, absl::string_view name) {
  const int i = FindIndex(*attrs, name);
  if (i < 0) return false;
  attrs->DeleteSubrange(i, 1);
  return true;
}

// Sorts attributes by name (unless already sorted) and rejects duplicate names.
absl::Status SortAttributes(Attributes* attrs) {
  if (!std::is_sorted(attrs->begin(), attrs->end(), NameLess)) {
    std::sort(
        attrs->pointer_begin(), attrs->pointer_end(),
        [](const proto::Attribute* a, const proto::Attribute* b) { return NameLess(*a, *b); });
  }
  for (int i = 1; i < attrs->size(); ++i) {
    if (attrs->Get(i - 1).name() == attrs->Get(i).name()) {
      return Invalid(absl::StrCat("Duplicate attribute name: ", attrs->Get(i).name()));
    }
  }
  return absl::OkStatus();
}

absl::Status DuplicatesError() { return Invalid("Input collection contains duplicates"); }

absl::Status EmptySetError(absl::string_view kind) {
  // DynamoDB's wording, double space included.
  return Invalid(absl::StrCat("An ", kind, " set  may not be empty"));
}

// Sorts a string or binary set bytewise and rejects duplicates.
absl::Status CanonicalizeByteSet(Strings* values, absl::string_view kind) {
  if (values->empty()) return EmptySetError(kind);
  if (!std::is_sorted(values->begin(), values->end())) {
    std::sort(values->pointer_begin(), values->pointer_end(),
              [](const std::string* a, const std::string* b) { return *a < *b; });
  }
  for (int i = 1; i < values->size(); ++i) {
    if (values->Get(i - 1) == values->Get(i)) return DuplicatesError();
  }
  return absl::OkStatus();
}

absl::Status CanonicalizeNumber(std::string* n) {
  absl::StatusOr<std::string> normalized = NormalizeNumber(*n);
  if (!normalized.ok()) return normalized.status();
  if (*normalized != *n) *n = *std::move(normalized);
  return absl::OkStatus();
}

absl::Status CanonicalizeNumberSet(Strings* values) {
  if (values->empty()) return EmptySetError("number");
  for (std::string& n : *values) RETURN_IF_ERROR(CanonicalizeNumber(&n));
  auto less = [](const std::string& a, const std::string& b) { return CompareNumbers(a, b) < 0; };
  if (!std::is_sorted(values->begin(), values->end(), less)) {
    std::sort(values->pointer_begin(), values->pointer_end(),
              [&](const std::string* a, const std::string* b) { return less(*a, *b); });
  }
  // Normalized numbers are equal exactly when their text is.
  for (int i = 1; i < values->size(); ++i) {
    if (values->Get(i - 1) == values->Get(i)) return DuplicatesError();
  }
  return absl::OkStatus();
}

absl::Status Canonicalize(proto::AttributeValue* value, int depth) {
  switch (value->value_case()) {
    case proto::AttributeValue::kS:
    case proto::AttributeValue::kB:
    case proto::AttributeValue::kNull:
    case proto::AttributeValue::kBoolValue:
      return absl::OkStatus();
    case proto::AttributeValue::kN:
      return CanonicalizeNumber(value->mutable_n());
    case proto::AttributeValue::kSs:
      return CanonicalizeByteSet(value->mutable_ss()->mutable_values(), "string");
    case proto::AttributeValue::kBs:
      return CanonicalizeByteSet(value->mutable_bs()->mutable_values(), "binary");
    case proto::AttributeValue::kNs:
      return CanonicalizeNumberSet(value->mutable_ns()->mutable_values());
    case proto::AttributeValue::kM: {
      if (depth >= kMaxNestingDepth)
        return Invalid("Nesting Levels have exceeded supported limits");
      Attributes* entries = value->mutable_m()->mutable_entries();
      for (proto::Attribute& e : *entries) {
        RETURN_IF_ERROR(Canonicalize(e.mutable_value(), depth + 1));
      }
      return SortAttributes(entries);
    }
    case proto::AttributeValue::kL: {
      if (depth >= kMaxNestingDepth)
        return Invalid("Nesting Levels have exceeded supported limits");
      for (proto::AttributeValue& v : *value->mutable_l()->mutable_values()) {
        RETURN_IF_ERROR(Canonicalize(&v, depth + 1));
      }
      return absl::OkStatus();
    }
    case proto::AttributeValue::VALUE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
}

// Significant digits of a normalized number (0 for zero).
size_t SignificantDigits(absl::string_view n) {
  size_t first = n.find_first_of("123456789");
  if (first == absl::string_view::npos) return 0;
  size_t last = n.find_last_of("123456789");
  size_t digits = last - first + 1;
  // A '.' between them is not a digit.
  const size_t dot = n.find('.', first);
  if (dot != absl::string_view::npos && dot < last) --digits;
  return digits;
}

size_t NumberSize(absl::string_view n) { return 1 + (SignificantDigits(n) + 1) / 2; }

absl::string_view ScalarTypeName(proto::ScalarType type) {
  switch (type) {
    case proto::S:
      return "S";
    case proto::N:
      return "N";
    case proto::B:
      return "B";
    default:
      return "";
  }
}

bool HasSortKey(const proto::TableSchema& schema) {
  return schema.has_sort_key() && !schema.sort_key().name().empty();
}

bool HasType(const proto::AttributeValue& v, proto::ScalarType type) {
  switch (type) {
    case proto::S:
      return v.value_case() == proto::AttributeValue::kS;
    case proto::N:
      return v.value_case() == proto::AttributeValue::kN;
    case proto::B:
      return v.value_case() == proto::AttributeValue::kB;
    default:
      return false;
  }
}

// Checks a key attribute's value of the declared type: not empty, within its size limit.
absl::Status CheckKeyValue(const proto::KeyElement& element, const proto::AttributeValue& v,
                           bool is_partition_key) {
  if ((element.type() == proto::S && v.s().empty()) ||
      (element.type() == proto::B && v.b().empty())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty ",
        element.type() == proto::S ? "string" : "binary", " value. Key: ", element.name()));
  }
  const size_t size = ValueSize(v);
  if (is_partition_key && size > kMaxPartitionKeyBytes) {
    // DynamoDB's wording, missing space included.
    return Invalid("Size of hashkey has exceeded the maximum size limit of2048 bytes");
  }
  if (!is_partition_key && size > kMaxSortKeyBytes) {
    return Invalid("Aggregated size of all range keys has exceeded the size limit of 1024 bytes");
  }
  return absl::OkStatus();
}

absl::Status CheckItemKeyAttribute(const proto::KeyElement& element, const proto::Item& item,
                                   bool is_partition_key) {
  const proto::AttributeValue* v = FindAttribute(item, element.name());
  if (v == nullptr) {
    return Invalid(absl::StrCat("Missing the key ", element.name(), " in the item"));
  }
  if (!HasType(*v, element.type())) {
    return Invalid(absl::StrCat("Type mismatch for key ", element.name(), " expected: ",
                                ScalarTypeName(element.type()), " actual: ", TypeName(*v)));
  }
  return CheckKeyValue(element, *v, is_partition_key);
}

// Set equality for possibly unsorted members, with `less` the canonical member order.
template <typename Less>
bool SameMembers(const Strings& a, const Strings& b, Less less) {
  if (a.size() != b.size()) return false;
  if (std::equal(a.begin(), a.end(), b.begin(), [&](const std::string& x, const std::string& y) {
        return !less(x, y) && !less(y, x);
      })) {
    return true;
  }
  std::vector<const std::string*> sa(a.pointer_begin(), a.pointer_end());
  std::vector<const std::string*> sb(b.pointer_begin(), b.pointer_end());
  auto pless = [&](const std::string* x, const std::string* y) { return less(*x, *y); };
  std::sort(sa.begin(), sa.end(), pless);
  std::sort(sb.begin(), sb.end(), pless);
  for (size_t i = 0; i < sa.size(); ++i) {
    if (pless(sa[i], sb[i]) || pless(sb[i], sa[i])) return false;
  }
  return true;
}

bool MapsEqual(const proto::MapValue& a, const proto::MapValue& b) {
  if (a.entries_size() != b.entries_size()) return false;
  bool in_order = true;
  for (int i = 0; i < a.entries_size() && in_order; ++i) {
    if (a.entries(i).name() != b.entries(i).name()) {
      in_order = false;
    } else if (!ValuesEqual(a.entries(i).value(), b.entries(i).value())) {
      return false;
    }
  }
  if (in_order) return true;
  // Not in the same order (a non-canonical map): match entries by name.
  std::vector<const proto::Attribute*> sa(a.entries().pointer_begin(), a.entries().pointer_end());
  std::vector<const proto::Attribute*> sb(b.entries().pointer_begin(), b.entries().pointer_end());
  auto pless = [](const proto::Attribute* x, const proto::Attribute* y) {
    return NameLess(*x, *y);
  };
  std::stable_sort(sa.begin(), sa.end(), pless);
  std::stable_sort(sb.begin(), sb.end(), pless);
  for (size_t i = 0; i < sa.size(); ++i) {
    if (sa[i]->name() != sb[i]->name() || !ValuesEqual(sa[i]->value(), sb[i]->value())) {
      return false;
    }
  }
  return true;
}

// Whether the maps and lists in `value`, which has `depth` maps and lists around it, stay
// within kMaxNestingDepth levels.
bool WithinNesting(const proto::AttributeValue& value, int depth) {
  if (value.value_case() == proto::AttributeValue::kM) {
    if (depth >= kMaxNestingDepth) return false;
    for (const proto::Attribute& e : value.m().entries()) {
      if (!WithinNesting(e.value(), depth + 1)) return false;
    }
  } else if (value.value_case() == proto::AttributeValue::kL) {
    if (depth >= kMaxNestingDepth) return false;
    for (const proto::AttributeValue& v : value.l().values()) {
      if (!WithinNesting(v, depth + 1)) return false;
    }
  }
  return true;
}

}  // namespace

absl::Status CheckNesting(const proto::Item& item) {
  for (const proto::Attribute& a : item.attributes()) {
    if (!WithinNesting(a.value(), 0)) {
      return absl::InvalidArgumentError("Nesting Levels have exceeded supported limits");
    }
  }
  return absl::OkStatus();
}

absl::Status CanonicalizeValue(proto::AttributeValue* value) { return Canonicalize(value, 0); }

absl::Status CanonicalizeItem(proto::Item* item) {
  for (proto::Attribute& a : *item->mutable_attributes()) {
    if (a.name().empty()) return Invalid("An attribute name cannot be empty");
    RETURN_IF_ERROR(Canonicalize(a.mutable_value(), 0));
  }
  return SortAttributes(item->mutable_attributes());
}

size_t ValueSize(const proto::AttributeValue& value) {
  switch (value.value_case()) {
    case proto::AttributeValue::kS:
      return value.s().size();
    case proto::AttributeValue::kB:
      return value.b().size();
    case proto::AttributeValue::kN:
      return NumberSize(value.n());
    case proto::AttributeValue::kNull:
    case proto::AttributeValue::kBoolValue:
      return 1;
    case proto::AttributeValue::kSs: {
      size_t size = 0;
      for (const std::string& s : value.ss().values()) size += s.size();
      return size;
    }
    case proto::AttributeValue::kBs: {
      size_t size = 0;
      for (const std::string& b : value.bs().values()) size += b.size();
      return size;
    }
    case proto::AttributeValue::kNs: {
      size_t size = 0;
      for (const std::string& n : value.ns().values()) size += NumberSize(n);
      return size;
    }
    case proto::AttributeValue::kM: {
      size_t size = 3;
      for (const proto::Attribute& e : value.m().entries()) {
        size += 1 + e.name().size() + ValueSize(e.value());
      }
      return size;
    }
    case proto::AttributeValue::kL: {
      size_t size = 3;
      for (const proto::AttributeValue& v : value.l().values()) size += 1 + ValueSize(v);
      return size;
    }
    case proto::AttributeValue::VALUE_NOT_SET:
      break;
  }
  return 0;
}

size_t ItemSize(const proto::Item& item) {
  size_t size = 0;
  for (const proto::Attribute& a : item.attributes())
    size += a.name().size() + ValueSize(a.value());
  return size;
}

absl::Status ValidateItemForWrite(const proto::TableSchema& schema, const proto::Item& item) {
  RETURN_IF_ERROR(CheckItemKeyAttribute(schema.partition_key(), item, true));
  if (HasSortKey(schema)) RETURN_IF_ERROR(CheckItemKeyAttribute(schema.sort_key(), item, false));
  if (ItemSize(item) > kMaxItemBytes) {
    return absl::InvalidArgumentError("Item size has exceeded the maximum allowed size");
  }
  return absl::OkStatus();
}

absl::Status ValidateKey(const proto::TableSchema& schema, const proto::Item& key) {
  auto mismatch = [] {
    return absl::InvalidArgumentError("The provided key element does not match the schema");
  };
  const bool has_sort_key = HasSortKey(schema);
  if (key.attributes_size() != (has_sort_key ? 2 : 1)) return mismatch();
  // One or two attributes, in any order: a linear search is the fastest.
  auto find = [&](const std::string& name) -> const proto::AttributeValue* {
    for (const proto::Attribute& a : key.attributes()) {
      if (a.name() == name) return &a.value();
    }
    return nullptr;
  };
  const proto::AttributeValue* pk = find(schema.partition_key().name());
  if (pk == nullptr || !HasType(*pk, schema.partition_key().type())) return mismatch();
  RETURN_IF_ERROR(CheckKeyValue(schema.partition_key(), *pk, true));
  if (has_sort_key) {
    const proto::AttributeValue* sk = find(schema.sort_key().name());
    if (sk == nullptr || !HasType(*sk, schema.sort_key().type())) return mismatch();
    RETURN_IF_ERROR(CheckKeyValue(schema.sort_key(), *sk, false));
  }
  return absl::OkStatus();
}

absl::Status ValidateKeyOf(const proto::TableSchema& schema, const proto::Item& item) {
  auto mismatch = [] {
    return absl::InvalidArgumentError("The provided key element does not match the schema");
  };
  const proto::AttributeValue* pk = FindAttribute(item, schema.partition_key().name());
  if (pk == nullptr) {
    return Invalid(absl::StrCat("Missing the key ", schema.partition_key().name(), " in the item"));
  }
  if (!HasType(*pk, schema.partition_key().type())) return mismatch();
  RETURN_IF_ERROR(CheckKeyValue(schema.partition_key(), *pk, true));
  if (HasSortKey(schema)) {
    const proto::AttributeValue* sk = FindAttribute(item, schema.sort_key().name());
    if (sk == nullptr) {
      return Invalid(absl::StrCat("Missing the key ", schema.sort_key().name(), " in the item"));
    }
    if (!HasType(*sk, schema.sort_key().type())) return mismatch();
    RETURN_IF_ERROR(CheckKeyValue(schema.sort_key(), *sk, false));
  }
  return absl::OkStatus();
}

absl::StatusOr<proto::Item> ExtractKey(const proto::TableSchema& schema, const proto::Item& item) {
  proto::Item key;
  const proto::AttributeValue* pk = FindAttribute(item, schema.partition_key().name());
  if (pk == nullptr) {
    return Invalid(absl::StrCat("Missing the key ", schema.partition_key().name(), " in the item"));
  }
  proto::Attribute* a = key.add_attributes();
  a->set_name(schema.partition_key().name());
  *a->mutable_value() = *pk;
  if (HasSortKey(schema)) {
    const proto::AttributeValue* sk = FindAttribute(item, schema.sort_key().name());
    if (sk == nullptr) {
      return Invalid(absl::StrCat("Missing the key ", schema.sort_key().name(), " in the item"));
    }
    proto::Attribute* b = key.add_attributes();
    b->set_name(schema.sort_key().name());
    *b->mutable_value() = *sk;
    if (b->name() < a->name()) key.mutable_attributes()->SwapElements(0, 1);
  }
  return key;
}

const proto::AttributeValue* FindAttribute(const proto::Item& item, absl::string_view name) {
  const int i = FindIndex(item.attributes(), name);
  return i < 0 ? nullptr : &item.attributes(i).value();
}

const proto::AttributeValue* FindAttribute(const proto::MapValue& map, absl::string_view name) {
  const int i = FindIndex(map.entries(), name);
  return i < 0 ? nullptr : &map.entries(i).value();
}

void SetAttribute(proto::Item* item, absl::string_view name, proto::AttributeValue value) {
  SetIn(item->mutable_attributes(), name, std::move(value));
}

void SetAttribute(proto::MapValue* map, absl::string_view name, proto::AttributeValue value) {
  SetIn(map->mutable_entries(), name, std::move(value));
}

bool RemoveAttribute(proto::Item* item, absl::string_view name) {
  return RemoveFrom(item->mutable_attributes(), name);
}

bool RemoveAttribute(proto::MapValue* map, absl::string_view name) {
  return RemoveFrom(map->mutable_entries(), name);
}

bool ValuesEqual(const proto::AttributeValue& a, const proto::AttributeValue& b) {
  if (a.value_case() != b.value_case()) return false;
  switch (a.value_case()) {
    case proto::AttributeValue::kS:
      return a.s() == b.s();
    case proto::AttributeValue::kB:
      return a.b() == b.b();
    case proto::AttributeValue::kN:
      return CompareNumbers(a.n(), b.n()) == 0;
    case proto::AttributeValue::kNull:
      return a.null() == b.null();
    case proto::AttributeValue::kBoolValue:
      return a.bool_value() == b.bool_value();
    case proto::AttributeValue::kSs:
      return SameMembers(a.ss().values(), b.ss().values(), std::less<std::string>());
    case proto::AttributeValue::kBs:
      return SameMembers(a.bs().values(), b.bs().values(), std::less<std::string>());
    case proto::AttributeValue::kNs:
      return SameMembers(
          a.ns().values(), b.ns().values(),
          [](const std::string& x, const std::string& y) { return CompareNumbers(x, y) < 0; });
    case proto::AttributeValue::kM:
      return MapsEqual(a.m(), b.m());
    case proto::AttributeValue::kL: {
      if (a.l().values_size() != b.l().values_size()) return false;
      for (int i = 0; i < a.l().values_size(); ++i) {
        if (!ValuesEqual(a.l().values(i), b.l().values(i))) return false;
      }
      return true;
    }
    case proto::AttributeValue::VALUE_NOT_SET:
      return true;
  }
  return false;
}

absl::string_view TypeName(const proto::AttributeValue& value) {
  switch (value.value_case()) {
    case proto::AttributeValue::kS:
      return "S";
    case proto::AttributeValue::kN:
      return "N";
    case proto::AttributeValue::kB:
      return "B";
    case proto::AttributeValue::kSs:
      return "SS";
    case proto::AttributeValue::kNs:
      return "NS";
    case proto::AttributeValue::kBs:
      return "BS";
    case proto::AttributeValue::kM:
      return "M";
    case proto::AttributeValue::kL:
      return "L";
    case proto::AttributeValue::kNull:
      return "NULL";
    case proto::AttributeValue::kBoolValue:
      return "BOOL";
    case proto::AttributeValue::VALUE_NOT_SET:
      break;
  }
  return "";
}

}  // namespace globaltable::storage
