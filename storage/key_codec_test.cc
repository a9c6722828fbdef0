// Tests for the item key encoding: sort-key order against a reference comparator (S, N, B),
// prefix-free partition prefixes, round-trips, corrupt input, scan segments and the hash.
#include "storage/key_codec.h"

#include <algorithm>
#include <bitset>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/number.h"

namespace globaltable::storage {
namespace {

proto::TableSchema Schema(proto::ScalarType pk_type,
                          proto::ScalarType sk_type = proto::SCALAR_TYPE_UNSPECIFIED,
                          const std::string& pk_name = "pk", const std::string& sk_name = "sk") {
  proto::TableSchema s;
  s.set_name("t");
  s.mutable_partition_key()->set_name(pk_name);
  s.mutable_partition_key()->set_type(pk_type);
  if (sk_type != proto::SCALAR_TYPE_UNSPECIFIED) {
    s.mutable_sort_key()->set_name(sk_name);
    s.mutable_sort_key()->set_type(sk_type);
  }
  return s;
}

proto::AttributeValue Scalar(proto::ScalarType type, const std::string& v) {
  proto::AttributeValue a;
  if (type == proto::S) a.set_s(v);
  if (type == proto::N) a.set_n(v);
  if (type == proto::B) a.set_b(v);
  return a;
}

proto::Item Key(const proto::TableSchema& schema, const proto::AttributeValue& pk,
                const proto::AttributeValue* sk) {
  proto::Item key;
  proto::Attribute* a = key.add_attributes();
  a->set_name(schema.partition_key().name());
  *a->mutable_value() = pk;
  if (sk != nullptr) {
    proto::Attribute* b = key.add_attributes();
    b->set_name(schema.sort_key().name());
    *b->mutable_value() = *sk;
    if (b->name() < a->name()) key.mutable_attributes()->SwapElements(0, 1);
  }
  return key;
}

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

// Reference orders, written independently of the codec.
int RefBytes(const std::string& a, const std::string& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = static_cast<unsigned char>(a[i]);
    const unsigned char y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

// Numbers: sign, then a fixed-width digit string (130 integer + 170 fraction digits).
int RefNumber(const std::string& a, const std::string& b) {
  auto ref = [](absl::string_view s, int* sign) {
    *sign = 1;
    if (!s.empty() && s[0] == '-') {
      *sign = -1;
      s.remove_prefix(1);
    }
    absl::string_view ip = s, fp;
    if (size_t dot = s.find('.'); dot != absl::string_view::npos) {
      ip = s.substr(0, dot);
      fp = s.substr(dot + 1);
    }
    std::string fixed = std::string(130 - ip.size(), '0') + std::string(ip) + std::string(fp) +
                        std::string(170 - fp.size(), '0');
    if (fixed.find_first_not_of('0') == std::string::npos) *sign = 0;
    return fixed;
  };
  int sa, sb;
  const std::string fa = ref(a, &sa), fb = ref(b, &sb);
  if (sa != sb) return sa < sb ? -1 : 1;
  const int c = Sign(fa.compare(fb));
  return sa >= 0 ? c : -c;
}

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  // Short strings over a tiny alphabet (so prefixes and ties are common), with 0x00, 0x01,
  // 0xFF bytes for B and multi-byte UTF-8 for S.
  std::string Bytes(bool utf8) {
    static const char* const kUtf8[] = {
        "a", "b", "\x01", "-", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "z"};
    std::string s;
    const int n = Uniform(0, 6);
    for (int i = 0; i < n; ++i) {
      if (utf8) {
        const int k = Uniform(0, 7);
        if (k == 3) {
          s.push_back('\0');
        } else {
          s += kUtf8[k];
        }
      } else {
        const int k = Uniform(0, 5);
        s.push_back(k == 0 ? '\0' : k == 1 ? '\x01' : k == 2 ? '\xff' : k == 3 ? '\xfe' : 'a');
      }
    }
    return s;
  }

  std::string Number() {
    const int kind = Uniform(0, 6);
    if (kind == 0) return "0";
    const bool negative = Uniform(0, 1) == 1;
    const int e = kind <= 2 ? Uniform(-130, 125) : Uniform(-2, 2);
    const int n = kind <= 3 ? Uniform(1, 38) : Uniform(1, 3);
    std::string digits;
    for (int i = 0; i < n; ++i) {
      digits.push_back(static_cast<char>('0' + (kind <= 3 ? Uniform(0, 9) : Uniform(0, 1))));
    }
    digits[0] = '1';
    if (digits.back() == '0') digits.back() = '1';
    absl::StatusOr<std::string> norm =
        NormalizeNumber(absl::StrCat(negative ? "-" : "", "0.", digits, "E", e + 1));
    EXPECT_TRUE(norm.ok()) << norm.status();
    return *norm;
  }

  std::string Value(proto::ScalarType type) {
    return type == proto::N ? Number() : Bytes(type == proto::S);
  }

 private:
  std::mt19937 rng_;
};

class SortOrderTest : public ::testing::TestWithParam<proto::ScalarType> {};

TEST_P(SortOrderTest, MemcmpOrderMatchesDynamoDbOrder) {
  const proto::ScalarType sk_type = GetParam();
  Gen gen(static_cast<uint32_t>(sk_type) * 101);
  for (proto::ScalarType pk_type : {proto::S, proto::N, proto::B}) {
    const proto::TableSchema schema = Schema(pk_type, sk_type);
    for (int round = 0; round < 20; ++round) {
      const proto::AttributeValue pk = Scalar(pk_type, gen.Value(pk_type));
      const std::string prefix = EncodePartitionPrefix(schema, pk);
      std::vector<std::string> values;
      std::vector<std::string> encoded;
      for (int i = 0; i < 150; ++i) {
        values.push_back(gen.Value(sk_type));
        const proto::AttributeValue sk = Scalar(sk_type, values.back());
        encoded.push_back(EncodeKeySuffix(schema, Key(schema, pk, &sk)));
        ASSERT_EQ(encoded.back().compare(0, prefix.size(), prefix), 0);
        std::string appended = prefix;
        AppendSortKeyBytes(schema, sk, &appended);
        ASSERT_EQ(appended, encoded.back());
      }
      for (size_t i = 0; i < values.size(); ++i) {
        for (size_t j = 0; j < values.size(); ++j) {
          const int want = sk_type == proto::N ? RefNumber(values[i], values[j])
                                               : RefBytes(values[i], values[j]);
          ASSERT_EQ(Sign(encoded[i].compare(encoded[j])), want)
              << absl::CEscape(values[i]) << " vs " << absl::CEscape(values[j]);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, SortOrderTest, ::testing::Values(proto::S, proto::N, proto::B),
                         [](const auto& info) { return proto::ScalarType_Name(info.param); });

TEST(KeyCodecTest, PartitionPrefixesArePrefixFree) {
  Gen gen(9);
  for (proto::ScalarType type : {proto::S, proto::N, proto::B}) {
    const proto::TableSchema schema = Schema(type, proto::S);
    std::vector<std::string> values = {type == proto::N ? "0" : "", type == proto::N ? "1" : "a"};
    if (type != proto::N) {
      values.push_back("a\xff");
      values.push_back("\x01");
      values.push_back(std::string("a\0", 2));
      values.push_back(std::string("a\0\x01", 3));
      values.push_back(std::string("a\0\xff", 3));
      values.push_back(std::string("\0", 1));
      values.push_back(std::string("\0\0", 2));
      values.push_back(std::string("\0\x01", 2));
    }
    for (int i = 0; i < 300; ++i) values.push_back(gen.Value(type));
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    std::vector<std::string> prefixes;
    for (const std::string& v : values) {
      prefixes.push_back(EncodePartitionPrefix(schema, Scalar(type, v)));
    }
    for (size_t i = 0; i < prefixes.size(); ++i) {
      for (size_t j = 0; j < prefixes.size(); ++j) {
        if (i == j) continue;
        ASSERT_NE(prefixes[j].compare(0, prefixes[i].size(), prefixes[i]), 0)
            << absl::CEscape(values[i]) << " is a prefix of " << absl::CEscape(values[j]);
      }
    }
  }
}

TEST(KeyCodecTest, GrammarBytes) {
  const proto::TableSchema schema = Schema(proto::B, proto::B);
  const proto::AttributeValue pk = Scalar(proto::B, std::string("x\0y", 3));
  const proto::AttributeValue sk = Scalar(proto::B, std::string("\0s", 2));
  const std::string enc = EncodeKeySuffix(schema, Key(schema, pk, &sk));
  const uint32_t h = KeyHash(pk);
  const std::string want = std::string({static_cast<char>(h >> 24), static_cast<char>(h >> 16),
                                        static_cast<char>(h >> 8), static_cast<char>(h)}) +
                           std::string("x\0\xffy\0\x01\0s", 8);
  EXPECT_EQ(absl::CEscape(enc), absl::CEscape(want));
}

TEST(KeyCodecTest, RoundTrips) {
  Gen gen(17);
  for (proto::ScalarType pk_type : {proto::S, proto::N, proto::B}) {
    for (proto::ScalarType sk_type :
         {proto::SCALAR_TYPE_UNSPECIFIED, proto::S, proto::N, proto::B}) {
      // "zz" sorts after "sk": decoded keys must come back sorted by name either way.
      for (const char* pk_name : {"pk", "zz"}) {
        const proto::TableSchema schema = Schema(pk_type, sk_type, pk_name, "sk");
        for (int i = 0; i < 200; ++i) {
          const proto::AttributeValue pk = Scalar(pk_type, gen.Value(pk_type));
          const proto::AttributeValue sk = Scalar(sk_type, gen.Value(sk_type));
          const proto::Item key =
              Key(schema, pk, sk_type == proto::SCALAR_TYPE_UNSPECIFIED ? nullptr : &sk);
          const std::string enc = EncodeKeySuffix(schema, key);
          absl::StatusOr<proto::Item> dec = DecodeKeySuffix(schema, enc);
          ASSERT_TRUE(dec.ok()) << dec.status() << " " << absl::CEscape(enc);
          ASSERT_EQ(dec->SerializeAsString(), key.SerializeAsString()) << dec->DebugString();
        }
      }
    }
  }
}

TEST(KeyCodecTest, EncodesFromWholeUnsortedItem) {
  const proto::TableSchema schema = Schema(proto::S, proto::N);
  const proto::AttributeValue pk = Scalar(proto::S, "p");
  const proto::AttributeValue sk = Scalar(proto::N, "-1.5");
  proto::Item item;
  for (const char* name : {"zzz", "sk", "aaa", "pk"}) {
    proto::Attribute* a = item.add_attributes();
    a->set_name(name);
    *a->mutable_value() = std::string(name) == "pk" ? pk : sk;
  }
  EXPECT_EQ(EncodeKeySuffix(schema, item), EncodeKeySuffix(schema, Key(schema, pk, &sk)));
}

TEST(KeyCodecTest, CorruptSuffixesAreRejected) {
  const proto::TableSchema schema = Schema(proto::S, proto::N);
  const proto::AttributeValue pk = Scalar(proto::S, "p");
  const proto::AttributeValue sk = Scalar(proto::N, "12.5");
  const std::string good = EncodeKeySuffix(schema, Key(schema, pk, &sk));
  ASSERT_TRUE(DecodeKeySuffix(schema, good).ok());
  std::vector<std::string> bad = {"",
                                  good.substr(0, 4),
                                  good.substr(0, 6),
                                  good.substr(0, 7),
                                  good.substr(0, good.size() - 1),
                                  good + "x"};
  std::string bad_hash = good;
  bad_hash[0] ^= 1;
  bad.push_back(bad_hash);
  std::string bad_escape = good;
  bad_escape[6] = '\x02';  // 0x00 followed by neither 0xFF nor 0x01
  bad.push_back(bad_escape);
  for (const std::string& b : bad) {
    absl::StatusOr<proto::Item> dec = DecodeKeySuffix(schema, b);
    EXPECT_FALSE(dec.ok()) << absl::CEscape(b);
    if (!dec.ok()) {
      EXPECT_EQ(dec.status().code(), absl::StatusCode::kDataLoss);
    }
  }
  // Without a sort key, trailing bytes are corrupt.
  const proto::TableSchema pk_only = Schema(proto::S);
  const std::string enc = EncodeKeySuffix(pk_only, Key(pk_only, pk, nullptr));
  EXPECT_TRUE(DecodeKeySuffix(pk_only, enc).ok());
  EXPECT_FALSE(DecodeKeySuffix(pk_only, enc + "s").ok());
}

uint32_t BigEndian(const std::string& s) {
  EXPECT_EQ(s.size(), 4u);
  uint32_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

TEST(SegmentTest, SegmentsCoverTheHashSpaceExactly) {
  std::mt19937 rng(23);
  for (uint32_t total : {1u, 2u, 3u, 7u, 16u, 100u, 1000u, 65537u, 1000000u}) {
    EXPECT_EQ(SegmentStart(0, total), std::string(4, '\0'));
    EXPECT_EQ(SegmentStart(total, total), "");
    uint64_t prev = 0;
    for (uint32_t i = 1; i < std::min(total, 2000u); ++i) {
      const uint64_t start = BigEndian(SegmentStart(i, total));
      ASSERT_GT(start, prev) << "segment " << i << " of " << total << " is empty";
      // The first hash of segment i, by the header's formula in exact integer arithmetic.
      ASSERT_GE(start * total, static_cast<uint64_t>(i) << 32);
      ASSERT_LT((start - 1) * total, static_cast<uint64_t>(i) << 32);
      EXPECT_EQ(SegmentOfHash(static_cast<uint32_t>(start), total), i);
      EXPECT_EQ(SegmentOfHash(static_cast<uint32_t>(start - 1), total), i - 1);
      prev = start;
    }
    EXPECT_EQ(SegmentOfHash(0, total), 0u);
    EXPECT_EQ(SegmentOfHash(0xFFFFFFFFu, total), total - 1);
    for (int k = 0; k < 2000; ++k) {
      const uint32_t h = static_cast<uint32_t>(rng());
      const uint32_t seg = SegmentOfHash(h, total);
      ASSERT_LT(seg, total);
      EXPECT_LE(BigEndian(SegmentStart(seg, total)), h);
      if (seg + 1 < total) {
        EXPECT_GT(BigEndian(SegmentStart(seg + 1, total)), h);
      }
    }
  }
  // The largest total: segment 0 owns hashes 0 and 1, every later segment one hash.
  EXPECT_EQ(BigEndian(SegmentStart(1, 0xFFFFFFFFu)), 2u);
  EXPECT_EQ(BigEndian(SegmentStart(12345, 0xFFFFFFFFu)), 12346u);
  EXPECT_EQ(BigEndian(SegmentStart(0xFFFFFFFEu, 0xFFFFFFFFu)), 0xFFFFFFFFu);
  EXPECT_EQ(SegmentStart(0, 0), "");
}

TEST(KeyHashTest, StableValues) {
  // Persisted and shared across regions: these must never change.
  EXPECT_EQ(KeyHash(Scalar(proto::S, "")), 3094681247u);
  EXPECT_EQ(KeyHash(Scalar(proto::S, "a")), 1797958062u);
  EXPECT_EQ(KeyHash(Scalar(proto::S, "customer#00042")), 735223185u);
  EXPECT_EQ(KeyHash(Scalar(proto::N, "-12.5")), 2096132827u);
  EXPECT_EQ(KeyHash(Scalar(proto::B, std::string("\0\x01\xff", 3))), 2266253276u);
}

TEST(KeyHashTest, TypeTagSeparatesTypes) {
  EXPECT_NE(KeyHash(Scalar(proto::S, "1")), KeyHash(Scalar(proto::N, "1")));
  EXPECT_NE(KeyHash(Scalar(proto::S, "1")), KeyHash(Scalar(proto::B, "1")));
  EXPECT_NE(KeyHash(Scalar(proto::N, "1")), KeyHash(Scalar(proto::B, "1")));
  EXPECT_NE(KeyHash(Scalar(proto::B, "")), KeyHash(Scalar(proto::B, std::string(1, '\0'))));
}

TEST(KeyHashTest, WellMixed) {
  // Sequential keys spread evenly over 64 buckets (chi-square far below the 0.1% critical
  // value of ~104 for 63 degrees of freedom), and one flipped input bit flips about half of
  // the output bits.
  constexpr int kKeys = 64000;
  std::vector<int> buckets(64);
  for (int i = 0; i < kKeys; ++i) {
    ++buckets[KeyHash(Scalar(proto::S, absl::StrCat("user", i))) >> 26];
  }
  double chi2 = 0;
  for (int c : buckets) chi2 += (c - 1000.0) * (c - 1000.0) / 1000.0;
  EXPECT_LT(chi2, 104.0);

  std::mt19937 rng(1);
  double flipped = 0;
  int trials = 0;
  for (int len : {1, 7, 8, 9, 16, 33}) {
    for (int t = 0; t < 200; ++t) {
      std::string s(static_cast<size_t>(len), '\0');
      for (char& c : s) c = static_cast<char>(rng());
      const uint32_t h = KeyHash(Scalar(proto::B, s));
      const size_t bit = rng() % (s.size() * 8);
      s[bit / 8] ^= static_cast<char>(1 << (bit % 8));
      flipped += std::bitset<32>(h ^ KeyHash(Scalar(proto::B, s))).count();
      ++trials;
    }
  }
  const double mean = flipped / trials;
  EXPECT_GT(mean, 15.0);
  EXPECT_LT(mean, 17.0);
}

}  // namespace
}  // namespace globaltable::storage
