// Tests for attribute values: canonical form, every rejection, item size rules, key and item
// validation limits, key extraction, sorted attribute lookup and equality.
#include "storage/value.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace globaltable::storage {
namespace {

using ::testing::HasSubstr;

proto::AttributeValue S(const std::string& v) {
  proto::AttributeValue a;
  a.set_s(v);
  return a;
}
proto::AttributeValue N(const std::string& v) {
  proto::AttributeValue a;
  a.set_n(v);
  return a;
}
proto::AttributeValue B(const std::string& v) {
  proto::AttributeValue a;
  a.set_b(v);
  return a;
}
proto::AttributeValue Bool(bool v) {
  proto::AttributeValue a;
  a.set_bool_value(v);
  return a;
}
proto::AttributeValue Null() {
  proto::AttributeValue a;
  a.set_null(true);
  return a;
}
proto::AttributeValue SS(std::initializer_list<std::string> v) {
  proto::AttributeValue a;
  a.mutable_ss();  // an empty set is still a set
  for (const std::string& s : v) a.mutable_ss()->add_values(s);
  return a;
}
proto::AttributeValue NS(std::initializer_list<std::string> v) {
  proto::AttributeValue a;
  a.mutable_ns();  // an empty set is still a set
  for (const std::string& s : v) a.mutable_ns()->add_values(s);
  return a;
}
proto::AttributeValue BS(std::initializer_list<std::string> v) {
  proto::AttributeValue a;
  a.mutable_bs();  // an empty set is still a set
  for (const std::string& s : v) a.mutable_bs()->add_values(s);
  return a;
}
proto::AttributeValue L(std::initializer_list<proto::AttributeValue> v) {
  proto::AttributeValue a;
  a.mutable_l();
  for (const proto::AttributeValue& x : v) *a.mutable_l()->add_values() = x;
  return a;
}
proto::AttributeValue M(std::initializer_list<std::pair<std::string, proto::AttributeValue>> v) {
  proto::AttributeValue a;
  a.mutable_m();
  for (const auto& [name, x] : v) {
    proto::Attribute* e = a.mutable_m()->add_entries();
    e->set_name(name);
    *e->mutable_value() = x;
  }
  return a;
}
proto::Item Item(std::initializer_list<std::pair<std::string, proto::AttributeValue>> v) {
  proto::Item item;
  for (const auto& [name, x] : v) {
    proto::Attribute* e = item.add_attributes();
    e->set_name(name);
    *e->mutable_value() = x;
  }
  return item;
}

proto::TableSchema Schema(proto::ScalarType pk,
                          proto::ScalarType sk = proto::SCALAR_TYPE_UNSPECIFIED) {
  proto::TableSchema s;
  s.set_name("t");
  s.mutable_partition_key()->set_name("pk");
  s.mutable_partition_key()->set_type(pk);
  if (sk != proto::SCALAR_TYPE_UNSPECIFIED) {
    s.mutable_sort_key()->set_name("sk");
    s.mutable_sort_key()->set_type(sk);
  }
  return s;
}

void ExpectInvalid(const absl::Status& s, absl::string_view message) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(message)));
}

std::string Canonical(proto::AttributeValue v) {
  absl::Status s = CanonicalizeValue(&v);
  EXPECT_TRUE(s.ok()) << s;
  return v.ShortDebugString();
}

TEST(CanonicalizeTest, NormalizesAndSorts) {
  EXPECT_EQ(Canonical(N("-0012.500e1")), N("-125").ShortDebugString());
  EXPECT_EQ(Canonical(NS({"10", "9", "-1", "0.5e1", "1E-3"})),
            NS({"-1", "0.001", "5", "9", "10"}).ShortDebugString());
  // Bytewise: uppercase < lowercase < multi-byte UTF-8.
  EXPECT_EQ(Canonical(SS({"\xc3\xa9", "b", "B", "a"})),
            SS({"B", "a", "b", "\xc3\xa9"}).ShortDebugString());
  EXPECT_EQ(Canonical(BS({"\xff", std::string(1, '\0'), "a", std::string("a\0", 2)})),
            BS({std::string(1, '\0'), "a", std::string("a\0", 2), "\xff"}).ShortDebugString());
  // Recursion into maps and lists; map entries sorted by name.
  EXPECT_EQ(Canonical(M({{"z", N("1.0")},
                         {"a", L({N("2e2"), M({{"y", NS({"3", "1"})}, {"x", Null()}})})}})),
            M({{"a", L({N("200"), M({{"x", Null()}, {"y", NS({"1", "3"})}})})}, {"z", N("1")}})
                .ShortDebugString());
  // Empty strings, binaries, lists and maps are fine outside keys.
  EXPECT_EQ(Canonical(S("")), S("").ShortDebugString());
  EXPECT_EQ(Canonical(L({})), L({}).ShortDebugString());
  EXPECT_EQ(Canonical(M({})), M({}).ShortDebugString());
}

TEST(CanonicalizeTest, ItemAttributesSorted) {
  proto::Item item = Item({{"c", N("1.50")}, {"a", S("x")}, {"b", Bool(false)}});
  ASSERT_TRUE(CanonicalizeItem(&item).ok());
  EXPECT_EQ(item.ShortDebugString(),
            Item({{"a", S("x")}, {"b", Bool(false)}, {"c", N("1.5")}}).ShortDebugString());
  proto::Item dup = Item({{"a", S("x")}, {"b", S("y")}, {"a", S("z")}});
  ExpectInvalid(CanonicalizeItem(&dup), "Duplicate attribute name: a");
  proto::Item empty_name = Item({{"", S("x")}});
  ExpectInvalid(CanonicalizeItem(&empty_name), "attribute name cannot be empty");
  proto::Item bad_number = Item({{"a", N("1x")}});
  ExpectInvalid(CanonicalizeItem(&bad_number), "cannot be converted into a number");
}

TEST(CanonicalizeTest, Rejections) {
  struct Case {
    proto::AttributeValue value;
    std::string message;
  };
  const Case cases[] = {
      {proto::AttributeValue(), "Supplied AttributeValue is empty"},
      {L({N("1"), proto::AttributeValue()}), "Supplied AttributeValue is empty"},
      {M({{"a", proto::AttributeValue()}}), "Supplied AttributeValue is empty"},
      {N("abc"), "A value provided cannot be converted into a number"},
      {N("1e126"), "Number overflow"},
      {N("1e-131"), "Number underflow"},
      {N("1.000000000000000000000000000000000000001"), "more than 38 significant digits"},
      {NS({"1", "x"}), "cannot be converted into a number"},
      {SS({}), "One or more parameter values were invalid: An string set  may not be empty"},
      {NS({}), "One or more parameter values were invalid: An number set  may not be empty"},
      {BS({}), "One or more parameter values were invalid: An binary set  may not be empty"},
      {SS({"a", "b", "a"}), "Input collection contains duplicates"},
      {BS({"\x01", "\x01"}), "Input collection contains duplicates"},
      {NS({"1", "2", "1.0"}), "Input collection contains duplicates"},
      {NS({"-0", "0"}), "Input collection contains duplicates"},
      {M({{"k", S("1")}, {"k", S("2")}}), "Duplicate attribute name: k"},
      {L({M({{"s", SS({})}})}), "An string set  may not be empty"},
  };
  for (const Case& c : cases) {
    proto::AttributeValue v = c.value;
    ExpectInvalid(CanonicalizeValue(&v), c.message);
  }
}

TEST(CanonicalizeTest, NestingLimit) {
  auto nested = [](int levels, bool lists) {
    proto::AttributeValue v = S("leaf");
    for (int i = 0; i < levels; ++i) v = lists ? L({v}) : M({{"m", v}});
    return v;
  };
  for (bool lists : {false, true}) {
    proto::AttributeValue ok = nested(32, lists);
    EXPECT_TRUE(CanonicalizeValue(&ok).ok());
    proto::AttributeValue too_deep = nested(33, lists);
    ExpectInvalid(CanonicalizeValue(&too_deep), "Nesting Levels have exceeded supported limits");
  }
}

// Random value trees, and "the same value written differently": sets and maps permuted,
// numbers in other notations. Canonical forms must be identical bytes (digests rely on it).
class ValueGen {
 public:
  explicit ValueGen(uint32_t seed) : rng_(seed) {}

  proto::AttributeValue Value(int depth) {
    const int kind = Uniform(0, depth >= 3 ? 6 : 9);
    switch (kind) {
      case 0:
        return S(Name());
      case 1:
        return N(Number());
      case 2:
        return B(Name());
      case 3:
        return Bool(Uniform(0, 1) == 1);
      case 4:
        return Null();
      case 5: {
        proto::AttributeValue v = kind == 5 && Uniform(0, 1) ? SS({}) : BS({});
        auto* values =
            v.has_ss() ? v.mutable_ss()->mutable_values() : v.mutable_bs()->mutable_values();
        for (int i = Uniform(1, 5); i > 0; --i) values->Add(absl::StrCat(Name(), i));
        return v;
      }
      case 6: {
        proto::AttributeValue v = NS({});
        for (int i = Uniform(1, 5); i > 0; --i)
          v.mutable_ns()->add_values(absl::StrCat(i * 7, ".25"));
        return v;
      }
      case 7: {
        proto::AttributeValue v = L({});
        for (int i = Uniform(0, 4); i > 0; --i) *v.mutable_l()->add_values() = Value(depth + 1);
        return v;
      }
      default: {
        proto::AttributeValue v = M({});
        for (int i = Uniform(0, 4); i > 0; --i) {
          proto::Attribute* e = v.mutable_m()->add_entries();
          e->set_name(absl::StrCat(Name(), i));
          *e->mutable_value() = Value(depth + 1);
        }
        return v;
      }
    }
  }

  // The same value, written differently.
  proto::AttributeValue Rewrite(const proto::AttributeValue& v) {
    proto::AttributeValue r = v;
    switch (v.value_case()) {
      case proto::AttributeValue::kN: {
        const bool negative = v.n()[0] == '-';
        const std::string digits = v.n().substr(negative ? 1 : 0);
        const bool plain = digits.find('e') == std::string::npos;
        r.set_n(absl::StrCat(negative ? "-" : (Uniform(0, 1) ? "+" : ""), "00", digits,
                             plain && digits.find('.') != std::string::npos ? "00" : "",
                             plain && Uniform(0, 1) ? "e0" : ""));
        break;
      }
      case proto::AttributeValue::kSs:
        Shuffle(r.mutable_ss()->mutable_values());
        break;
      case proto::AttributeValue::kBs:
        Shuffle(r.mutable_bs()->mutable_values());
        break;
      case proto::AttributeValue::kNs:
        for (std::string& n : *r.mutable_ns()->mutable_values()) n += "0";
        Shuffle(r.mutable_ns()->mutable_values());
        break;
      case proto::AttributeValue::kL:
        for (int i = 0; i < v.l().values_size(); ++i) {
          *r.mutable_l()->mutable_values(i) = Rewrite(v.l().values(i));
        }
        break;
      case proto::AttributeValue::kM:
        for (int i = 0; i < v.m().entries_size(); ++i) {
          *r.mutable_m()->mutable_entries(i)->mutable_value() = Rewrite(v.m().entries(i).value());
        }
        Shuffle(r.mutable_m()->mutable_entries());
        break;
      default:
        break;
    }
    return r;
  }

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

 private:
  std::string Name() {
    static const char* const kNames[] = {"a", "b", "B", "ab", "\xc3\xa9", "z", ""};
    return kNames[Uniform(0, 6)];
  }
  std::string Number() {
    static const char* const kNumbers[] = {"0", "1", "-1", "0.5", "-12.25", "1e10", "3.14"};
    return kNumbers[Uniform(0, 6)];
  }
  template <typename T>
  void Shuffle(T* field) {
    for (int i = field->size() - 1; i > 0; --i) field->SwapElements(i, Uniform(0, i));
  }

  std::mt19937 rng_;
};

TEST(CanonicalizeTest, EqualValuesHaveIdenticalCanonicalBytes) {
  ValueGen gen(2024);
  int checked = 0;
  for (int i = 0; i < 3000; ++i) {
    proto::AttributeValue original = gen.Value(0);
    proto::AttributeValue canonical = original;
    if (!CanonicalizeValue(&canonical).ok()) continue;  // random duplicate names or members
    proto::AttributeValue rewritten = gen.Rewrite(original);
    ASSERT_TRUE(CanonicalizeValue(&rewritten).ok()) << rewritten.ShortDebugString();
    ASSERT_EQ(rewritten.SerializeAsString(), canonical.SerializeAsString())
        << original.ShortDebugString();
    ASSERT_TRUE(ValuesEqual(canonical, rewritten));
    proto::AttributeValue again = canonical;
    ASSERT_TRUE(CanonicalizeValue(&again).ok());
    ASSERT_EQ(again.SerializeAsString(), canonical.SerializeAsString()) << "not idempotent";
    ++checked;
  }
  EXPECT_GT(checked, 1500);
}

TEST(SizeTest, DynamoDbRules) {
  EXPECT_EQ(ValueSize(S("")), 0u);
  EXPECT_EQ(ValueSize(S("abc")), 3u);
  EXPECT_EQ(ValueSize(S("\xc3\xa9")), 2u);  // UTF-8 bytes, not characters
  EXPECT_EQ(ValueSize(B(std::string(10, '\0'))), 10u);
  EXPECT_EQ(ValueSize(Null()), 1u);
  EXPECT_EQ(ValueSize(Bool(true)), 1u);
  // Numbers: 1 byte + 1 per two significant digits; leading/trailing zeros do not count.
  EXPECT_EQ(ValueSize(N("0")), 1u);
  EXPECT_EQ(ValueSize(N("1")), 2u);
  EXPECT_EQ(ValueSize(N("12")), 2u);
  EXPECT_EQ(ValueSize(N("123")), 3u);
  EXPECT_EQ(ValueSize(N("-123")), 3u);
  EXPECT_EQ(ValueSize(N("1000000")), 2u);
  EXPECT_EQ(ValueSize(N("0.0001")), 2u);
  EXPECT_EQ(ValueSize(N("10.01")), 3u);  // 4 significant digits
  EXPECT_EQ(ValueSize(N("12345678901234567890123456789012345678")), 20u);
  EXPECT_EQ(ValueSize(SS({"a", "bc"})), 3u);
  EXPECT_EQ(ValueSize(BS({"a", "bcd"})), 4u);
  EXPECT_EQ(ValueSize(NS({"1", "123"})), 5u);
  // Lists and maps: 3 bytes + 1 per element (+ entry names in maps).
  EXPECT_EQ(ValueSize(L({})), 3u);
  EXPECT_EQ(ValueSize(M({})), 3u);
  EXPECT_EQ(ValueSize(L({S("ab"), Null()})), 3u + (1 + 2) + (1 + 1));
  EXPECT_EQ(ValueSize(M({{"name", S("ab")}, {"x", L({})}})), 3u + (1 + 4 + 2) + (1 + 1 + 3));
  EXPECT_EQ(ValueSize(proto::AttributeValue()), 0u);
  // Items: names plus values.
  EXPECT_EQ(ItemSize(Item({{"pk", S("abc")}, {"count", N("12")}, {"ok", Bool(true)}})),
            (2u + 3) + (5 + 2) + (2 + 1));
  EXPECT_EQ(ItemSize(proto::Item()), 0u);
}

TEST(ValidateItemTest, KeyAttributes) {
  const proto::TableSchema schema = Schema(proto::S, proto::N);
  EXPECT_TRUE(
      ValidateItemForWrite(schema, Item({{"a", S("")}, {"pk", S("p")}, {"sk", N("1")}})).ok());
  ExpectInvalid(ValidateItemForWrite(schema, Item({{"sk", N("1")}})),
                "One or more parameter values were invalid: Missing the key pk in the item");
  ExpectInvalid(ValidateItemForWrite(schema, Item({{"pk", S("p")}})),
                "One or more parameter values were invalid: Missing the key sk in the item");
  ExpectInvalid(ValidateItemForWrite(schema, Item({{"pk", N("1")}, {"sk", N("1")}})),
                "One or more parameter values were invalid: Type mismatch for key pk expected: S "
                "actual: N");
  ExpectInvalid(ValidateItemForWrite(schema, Item({{"pk", S("p")}, {"sk", SS({"1"})}})),
                "Type mismatch for key sk expected: N actual: SS");
  ExpectInvalid(ValidateItemForWrite(schema, Item({{"pk", S("")}, {"sk", N("1")}})),
                "One or more parameter values are not valid. The AttributeValue for a key "
                "attribute cannot contain an empty string value. Key: pk");
  const proto::TableSchema binary = Schema(proto::B, proto::B);
  ExpectInvalid(ValidateItemForWrite(binary, Item({{"pk", B("x")}, {"sk", B("")}})),
                "cannot contain an empty binary value. Key: sk");
  // Without a sort key, an attribute named like one is just an attribute.
  EXPECT_TRUE(ValidateItemForWrite(Schema(proto::N), Item({{"pk", N("0")}, {"sk", S("")}})).ok());
}

TEST(ValidateItemTest, KeySizeLimits) {
  const proto::TableSchema schema = Schema(proto::S, proto::B);
  const std::string pk_max(kMaxPartitionKeyBytes, 'p');
  const std::string sk_max(kMaxSortKeyBytes, '\xff');
  EXPECT_TRUE(ValidateItemForWrite(schema, Item({{"pk", S(pk_max)}, {"sk", B(sk_max)}})).ok());
  ExpectInvalid(ValidateItemForWrite(schema, Item({{"pk", S(pk_max + "p")}, {"sk", B("s")}})),
                "Size of hashkey has exceeded the maximum size limit of2048 bytes");
  ExpectInvalid(ValidateItemForWrite(schema, Item({{"pk", S("p")}, {"sk", B(sk_max + "s")}})),
                "Aggregated size of all range keys has exceeded the size limit of 1024 bytes");
  // Multi-byte characters count as their UTF-8 bytes: 1025 x 2 bytes is too long.
  std::string wide;
  for (int i = 0; i < 1025; ++i) wide += "\xc3\xa9";
  ExpectInvalid(ValidateItemForWrite(schema, Item({{"pk", S(wide)}, {"sk", B("s")}})),
                "Size of hashkey");
}

TEST(ValidateItemTest, ItemSizeLimit) {
  const proto::TableSchema schema = Schema(proto::S);
  // pk: 2 + 1 bytes; "data": 4 bytes + payload. Exactly 400 KB is allowed.
  const size_t payload = kMaxItemBytes - 3 - 4;
  proto::Item item = Item({{"data", B(std::string(payload, 'x'))}, {"pk", S("p")}});
  ASSERT_EQ(ItemSize(item), kMaxItemBytes);
  EXPECT_TRUE(ValidateItemForWrite(schema, item).ok());
  item.mutable_attributes(0)->mutable_value()->mutable_b()->push_back('x');
  ExpectInvalid(ValidateItemForWrite(schema, item),
                "Item size has exceeded the maximum allowed size");
  // Overhead of nested documents counts too.
  proto::Item nested = Item({{"data", L({B(std::string(payload - 4, 'x'))})}, {"pk", S("p")}});
  ASSERT_EQ(ItemSize(nested), kMaxItemBytes);
  EXPECT_TRUE(ValidateItemForWrite(schema, nested).ok());
  nested.mutable_attributes(0)->mutable_value()->mutable_l()->add_values()->set_null(true);
  ExpectInvalid(ValidateItemForWrite(schema, nested), "Item size has exceeded");
}

TEST(ValidateKeyTest, ExactlyTheKeyAttributes) {
  const proto::TableSchema schema = Schema(proto::S, proto::N);
  EXPECT_TRUE(ValidateKey(schema, Item({{"pk", S("p")}, {"sk", N("1")}})).ok());
  EXPECT_TRUE(ValidateKey(schema, Item({{"sk", N("1")}, {"pk", S("p")}})).ok());
  const char kMismatch[] = "The provided key element does not match the schema";
  ExpectInvalid(ValidateKey(schema, Item({{"pk", S("p")}})), kMismatch);
  ExpectInvalid(ValidateKey(schema, Item({{"pk", S("p")}, {"sk", N("1")}, {"x", S("")}})),
                kMismatch);
  ExpectInvalid(ValidateKey(schema, Item({{"pk", S("p")}, {"other", N("1")}})), kMismatch);
  ExpectInvalid(ValidateKey(schema, Item({{"pk", S("p")}, {"sk", S("1")}})), kMismatch);
  ExpectInvalid(ValidateKey(schema, Item({{"pk", B("p")}, {"sk", N("1")}})), kMismatch);
  ExpectInvalid(ValidateKey(schema, Item({{"pk", S("p")}, {"pk", S("p")}})), kMismatch);
  ExpectInvalid(ValidateKey(schema, proto::Item()), kMismatch);
  ExpectInvalid(ValidateKey(schema, Item({{"pk", S("")}, {"sk", N("1")}})),
                "cannot contain an empty string value. Key: pk");
  ExpectInvalid(ValidateKey(schema, Item({{"pk", S(std::string(2049, 'x'))}, {"sk", N("1")}})),
                "Size of hashkey");
  const proto::TableSchema pk_only = Schema(proto::B);
  EXPECT_TRUE(ValidateKey(pk_only, Item({{"pk", B(std::string(1, '\0'))}})).ok());
  ExpectInvalid(ValidateKey(pk_only, Item({{"pk", B("k")}, {"sk", N("1")}})), kMismatch);
  ExpectInvalid(ValidateKey(Schema(proto::S, proto::S),
                            Item({{"pk", S("p")}, {"sk", S(std::string(1025, 's'))}})),
                "Aggregated size of all range keys");
}

TEST(ValidateKeyTest, KeyInsideAWholeItem) {
  const proto::TableSchema schema = Schema(proto::S, proto::N);
  const char kMismatch[] = "The provided key element does not match the schema";
  // Other attributes are allowed (it is an item, not a key); what ValidateKey checks of the
  // key attributes is checked the same way.
  EXPECT_TRUE(ValidateKeyOf(schema, Item({{"a", S("x")}, {"pk", S("p")}, {"sk", N("1")}})).ok());
  ExpectInvalid(ValidateKeyOf(schema, Item({{"a", S("x")}, {"sk", N("1")}})),
                "Missing the key pk in the item");
  ExpectInvalid(ValidateKeyOf(schema, Item({{"pk", S("p")}, {"v", N("1")}})),
                "Missing the key sk in the item");
  ExpectInvalid(ValidateKeyOf(schema, Item({{"pk", S("p")}, {"sk", S("1")}})), kMismatch);
  ExpectInvalid(ValidateKeyOf(schema, Item({{"pk", B("p")}, {"sk", N("1")}})), kMismatch);
  ExpectInvalid(ValidateKeyOf(schema, Item({{"pk", S("")}, {"sk", N("1")}})),
                "cannot contain an empty string value. Key: pk");
  ExpectInvalid(
      ValidateKeyOf(schema, Item({{"pk", S(std::string(2049, 'x'))}, {"sk", N("1")}})),
      "Size of hashkey");
  const proto::TableSchema pk_only = Schema(proto::B);
  EXPECT_TRUE(ValidateKeyOf(pk_only, Item({{"pk", B("k")}, {"sk", N("1")}})).ok());
}

TEST(ExtractKeyTest, SortedByName) {
  proto::TableSchema schema = Schema(proto::S, proto::N);
  schema.mutable_partition_key()->set_name("zpk");
  proto::Item item = Item({{"a", S("x")}, {"sk", N("5")}, {"zpk", S("p")}});
  absl::StatusOr<proto::Item> key = ExtractKey(schema, item);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->ShortDebugString(), Item({{"sk", N("5")}, {"zpk", S("p")}}).ShortDebugString());
  ASSERT_NE(FindAttribute(*key, "zpk"), nullptr);
  EXPECT_TRUE(ValidateKey(schema, *key).ok());
  ExpectInvalid(ExtractKey(schema, Item({{"a", S("x")}, {"sk", N("5")}})).status(),
                "Missing the key zpk in the item");
  ExpectInvalid(ExtractKey(schema, Item({{"zpk", S("p")}})).status(),
                "Missing the key sk in the item");
  absl::StatusOr<proto::Item> pk_only =
      ExtractKey(Schema(proto::S), Item({{"a", S("x")}, {"pk", S("p")}}));
  ASSERT_TRUE(pk_only.ok());
  EXPECT_EQ(pk_only->ShortDebugString(), Item({{"pk", S("p")}}).ShortDebugString());
}

TEST(AttributeTest, FindSetRemoveMatchReference) {
  std::mt19937 rng(99);
  proto::Item item;
  proto::MapValue map;
  std::map<std::string, std::string> reference;
  for (int step = 0; step < 5000; ++step) {
    const std::string name = absl::StrCat("a", rng() % 60);
    const int op = static_cast<int>(rng() % 3);
    if (op == 0) {
      const std::string value = absl::StrCat(step);
      SetAttribute(&item, name, S(value));
      SetAttribute(&map, name, S(value));
      reference[name] = value;
    } else if (op == 1) {
      const bool present = reference.erase(name) == 1;
      ASSERT_EQ(RemoveAttribute(&item, name), present);
      ASSERT_EQ(RemoveAttribute(&map, name), present);
    }
    const auto it = reference.find(name);
    const proto::AttributeValue* found = FindAttribute(item, name);
    const proto::AttributeValue* found_in_map = FindAttribute(map, name);
    if (it == reference.end()) {
      ASSERT_EQ(found, nullptr);
      ASSERT_EQ(found_in_map, nullptr);
    } else {
      ASSERT_NE(found, nullptr);
      ASSERT_EQ(found->s(), it->second);
      ASSERT_NE(found_in_map, nullptr);
      ASSERT_EQ(found_in_map->s(), it->second);
    }
    ASSERT_EQ(item.attributes_size(), static_cast<int>(reference.size()));
  }
  int i = 0;
  for (const auto& [name, value] : reference) {
    EXPECT_EQ(item.attributes(i).name(), name);
    EXPECT_EQ(item.attributes(i).value().s(), value);
    EXPECT_EQ(map.entries(i).name(), name);
    ++i;
  }
  EXPECT_EQ(FindAttribute(proto::Item(), "x"), nullptr);
  EXPECT_FALSE(RemoveAttribute(&item, "not-there"));
}

TEST(ValuesEqualTest, DynamoDbEquality) {
  EXPECT_TRUE(ValuesEqual(N("1.5"), N("1.5")));
  EXPECT_FALSE(ValuesEqual(N("1.5"), N("1.51")));
  EXPECT_FALSE(ValuesEqual(N("1"), S("1")));
  EXPECT_FALSE(ValuesEqual(S("1"), B("1")));
  EXPECT_TRUE(ValuesEqual(B(""), B("")));
  EXPECT_TRUE(ValuesEqual(Null(), Null()));
  EXPECT_TRUE(ValuesEqual(Bool(false), Bool(false)));
  EXPECT_FALSE(ValuesEqual(Bool(false), Bool(true)));
  EXPECT_FALSE(ValuesEqual(Bool(false), Null()));
  // Sets compare as sets, whatever their order.
  EXPECT_TRUE(ValuesEqual(SS({"a", "b"}), SS({"b", "a"})));
  EXPECT_FALSE(ValuesEqual(SS({"a", "b"}), SS({"a", "c"})));
  EXPECT_FALSE(ValuesEqual(SS({"a", "b"}), SS({"a"})));
  EXPECT_TRUE(ValuesEqual(NS({"10", "9"}), NS({"9", "10"})));
  EXPECT_FALSE(ValuesEqual(NS({"10", "9"}), NS({"9", "11"})));
  EXPECT_TRUE(ValuesEqual(BS({"\x01", "\x02"}), BS({"\x02", "\x01"})));
  EXPECT_FALSE(ValuesEqual(SS({"a"}), BS({"a"})));
  // Maps by name, lists in order.
  EXPECT_TRUE(
      ValuesEqual(M({{"a", N("1")}, {"b", L({S("x")})}}), M({{"b", L({S("x")})}, {"a", N("1")}})));
  EXPECT_FALSE(ValuesEqual(M({{"a", N("1")}, {"b", S("x")}}), M({{"a", N("1")}, {"b", S("y")}})));
  EXPECT_FALSE(ValuesEqual(M({{"a", N("1")}, {"b", S("x")}}), M({{"a", N("1")}, {"c", S("x")}})));
  EXPECT_FALSE(ValuesEqual(M({{"a", N("1")}}), M({{"a", N("1")}, {"b", S("x")}})));
  EXPECT_TRUE(ValuesEqual(M({}), M({})));
  EXPECT_TRUE(ValuesEqual(L({N("1"), S("a")}), L({N("1"), S("a")})));
  EXPECT_FALSE(ValuesEqual(L({N("1"), S("a")}), L({S("a"), N("1")})));
  EXPECT_FALSE(ValuesEqual(L({N("1")}), L({N("1"), N("1")})));
  EXPECT_FALSE(ValuesEqual(L({}), M({})));
}

TEST(TypeNameTest, AllTypes) {
  EXPECT_EQ(TypeName(S("")), "S");
  EXPECT_EQ(TypeName(N("1")), "N");
  EXPECT_EQ(TypeName(B("")), "B");
  EXPECT_EQ(TypeName(SS({"a"})), "SS");
  EXPECT_EQ(TypeName(NS({"1"})), "NS");
  EXPECT_EQ(TypeName(BS({"a"})), "BS");
  EXPECT_EQ(TypeName(M({})), "M");
  EXPECT_EQ(TypeName(L({})), "L");
  EXPECT_EQ(TypeName(Null()), "NULL");
  EXPECT_EQ(TypeName(Bool(false)), "BOOL");
  EXPECT_EQ(TypeName(proto::AttributeValue()), "");
}

}  // namespace
}  // namespace globaltable::storage
