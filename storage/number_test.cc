// Tests for DynamoDB numbers: parsing and normalization, limits, comparison, exact arithmetic,
// and the order-preserving encoding (property tests against a reference comparator).
#include "storage/number.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace globaltable::storage {
namespace {

using ::testing::HasSubstr;

const char kMax[] = "9.9999999999999999999999999999999999999E+125";

std::string Norm(absl::string_view text) {
  absl::StatusOr<std::string> n = NormalizeNumber(text);
  EXPECT_TRUE(n.ok()) << text << ": " << n.status();
  return n.ok() ? *n : "<error>";
}

void ExpectError(absl::string_view text, absl::string_view message) {
  absl::StatusOr<std::string> n = NormalizeNumber(text);
  ASSERT_FALSE(n.ok()) << text << " -> " << *n;
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument) << text;
  EXPECT_THAT(std::string(n.status().message()), HasSubstr(std::string(message))) << text;
}

// Reference: a normalized number as (sign, fixed-width digit string with the decimal point at
// a fixed place). Independent of the code under test.
struct Ref {
  int sign;
  std::string fixed;  // 130 integer digits then 170 fraction digits
};

Ref ToRef(const std::string& n) {
  Ref r{1, ""};
  absl::string_view s = n;
  if (!s.empty() && s[0] == '-') {
    r.sign = -1;
    s.remove_prefix(1);
  }
  absl::string_view ip = s, fp;
  size_t dot = s.find('.');
  if (dot != absl::string_view::npos) {
    ip = s.substr(0, dot);
    fp = s.substr(dot + 1);
  }
  r.fixed = std::string(130 - ip.size(), '0') + std::string(ip) + std::string(fp) +
            std::string(170 - fp.size(), '0');
  if (r.fixed.find_first_not_of('0') == std::string::npos) r.sign = 0;
  return r;
}

int RefCompare(const std::string& a, const std::string& b) {
  Ref x = ToRef(a), y = ToRef(b);
  if (x.sign != y.sign) return x.sign < y.sign ? -1 : 1;
  int c = x.fixed.compare(y.fixed);
  c = c < 0 ? -1 : (c > 0 ? 1 : 0);
  return x.sign >= 0 ? c : -c;
}

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

std::string Encode(const std::string& n) {
  std::string out;
  AppendOrderedNumber(n, &out);
  return out;
}

// Random normalized numbers, biased towards collisions: shared digit prefixes, nearby
// exponents, boundaries and zero.
class NumberGen {
 public:
  explicit NumberGen(uint32_t seed) : rng_(seed) {}

  std::string Next() {
    const int kind = Uniform(0, 9);
    if (kind == 0) return "0";
    const bool negative = Uniform(0, 1) == 1;
    int e;
    if (kind <= 2) {
      e = Uniform(-130, 125);
    } else if (kind <= 4) {
      e = Uniform(-3, 3);
    } else if (kind == 5) {
      e = Uniform(0, 1) ? Uniform(120, 125) : Uniform(-130, -125);
    } else {
      e = Uniform(-1, 1);
    }
    const int n = kind >= 6 ? Uniform(1, 4) : Uniform(1, 38);
    std::string digits;
    for (int i = 0; i < n; ++i) {
      // Few distinct digits so prefixes are often shared.
      digits.push_back(static_cast<char>('0' + (kind >= 6 ? Uniform(0, 2) : Uniform(0, 9))));
    }
    digits[0] = static_cast<char>('1' + Uniform(0, 1));
    if (digits.back() == '0') digits.back() = '1';
    std::string text =
        absl::StrCat(negative ? "-" : "", digits.substr(0, 1), ".", digits.substr(1), "E", e);
    if (n == 1) text = absl::StrCat(negative ? "-" : "", digits, "E", e);
    return Norm(text);
  }

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

 private:
  std::mt19937 rng_;
};

TEST(NormalizeNumberTest, PlainForms) {
  EXPECT_EQ(Norm("-0012.500e1"), "-125");
  EXPECT_EQ(Norm("1E+3"), "1000");
  EXPECT_EQ(Norm("1.50"), "1.5");
  EXPECT_EQ(Norm("-0.000"), "0");
  EXPECT_EQ(Norm("-0"), "0");
  EXPECT_EQ(Norm("1e-3"), "0.001");
  EXPECT_EQ(Norm("+3"), "3");
  EXPECT_EQ(Norm(".123"), "0.123");
  EXPECT_EQ(Norm("5."), "5");
  EXPECT_EQ(Norm("0001.23"), "1.23");
  EXPECT_EQ(Norm("1e+5"), "100000");
  EXPECT_EQ(Norm("0e1000"), "0");
  EXPECT_EQ(Norm("0e-99999999999999999999"), "0");
  EXPECT_EQ(Norm("-17.4E37"), "-174000000000000000000000000000000000000");
  EXPECT_EQ(Norm("123.456"), "123.456");
  EXPECT_EQ(Norm("123.456e-2"), "1.23456");
  EXPECT_EQ(Norm("123.456e-3"), "0.123456");
  EXPECT_EQ(Norm("123.456e3"), "123456");
  EXPECT_EQ(Norm("1000"), "1000");
  EXPECT_EQ(Norm("100.0100"), "100.01");
  EXPECT_EQ(Norm("00000.0000"), "0");
}

TEST(NormalizeNumberTest, Malformed) {
  for (const char* s :
       {"",    " ",     "+",    "-",     ".",        "-.",        "e5",   ".e5", "1e",   "1e+",
        "1e-", "1.2.3", "1..2", "NaN",   "Infinity", "-Infinity", "-NaN", "dog", "-dog", " 1",
        "1 ",  "1_000", "0x10", "1e5.5", "--1",      "+-1",       "1,5",  "١"}) {
    ExpectError(s, "A value provided cannot be converted into a number");
  }
  ExpectError(absl::string_view("1\0", 2), "cannot be converted");
}

TEST(NormalizeNumberTest, SignificantDigits) {
  // 38 significant digits are fine wherever the point is.
  EXPECT_EQ(Norm("3.1415926535897932384626433832795028841"),
            "3.1415926535897932384626433832795028841");
  EXPECT_EQ(Norm("314159265358979323846.26433832795028841"),
            "314159265358979323846.26433832795028841");
  EXPECT_EQ(Norm("31415926535897932384626433832795028841e30"),
            "31415926535897932384626433832795028841000000000000000000000000000000");
  // Leading and trailing zeros do not count.
  EXPECT_EQ(Norm("000031415926535897932384626433832795028841000000.000000"),
            "31415926535897932384626433832795028841000000");
  EXPECT_EQ(Norm("0.0000031415926535897932384626433832795028841000"),
            "0.0000031415926535897932384626433832795028841");
  // Zeros inside do count.
  for (const char* s :
       {"3.14159265358979323846264338327950288419", "314159265358979323846.264338327950288419",
        "314159265358979323846264338327950288419e30", "1000000000000000000000000000000000000001",
        "1.000000000000000000000000000000000000001"}) {
    ExpectError(s, "Attempting to store more than 38 significant digits");
  }
}

TEST(NormalizeNumberTest, MagnitudeLimits) {
  EXPECT_EQ(Norm("1e125"), "1" + std::string(125, '0'));
  EXPECT_EQ(Norm(kMax), "99999999999999999999999999999999999999" + std::string(88, '0'));
  EXPECT_EQ(Norm(absl::StrCat("-", kMax)),
            "-99999999999999999999999999999999999999" + std::string(88, '0'));
  EXPECT_EQ(Norm("1e-130"), "0." + std::string(129, '0') + "1");
  EXPECT_EQ(Norm("-1e-130"), "-0." + std::string(129, '0') + "1");
  EXPECT_EQ(Norm("0.1e-129"), "0." + std::string(129, '0') + "1");
  EXPECT_EQ(Norm("100e-132"), "0." + std::string(129, '0') + "1");
  for (const char* s : {"1e126", "-1e126", "11e125", "10E125", "0.1e127", "1e999999999999999999",
                        "9.99999999999999999999999999999999999999E+125"}) {
    absl::StatusOr<std::string> n = NormalizeNumber(s);
    ASSERT_FALSE(n.ok()) << s;
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  }
  for (const char* s : {"1e126", "-1e126", "11e125", "10E125", "0.1e127", "1e999999999999999999"}) {
    ExpectError(s,
                "Number overflow. Attempting to store a number with magnitude larger than "
                "supported range");
  }
  for (const char* s : {"1e-131", "-1e-131", "0.9e-130", "0.01e-129", "1e-999999999999999999"}) {
    ExpectError(s,
                "Number underflow. Attempting to store a number with magnitude smaller than "
                "supported range");
  }
}

TEST(NormalizeNumberTest, Idempotent) {
  NumberGen gen(7);
  for (int i = 0; i < 2000; ++i) {
    const std::string n = gen.Next();
    EXPECT_EQ(Norm(n), n);
  }
}

TEST(CompareNumbersTest, Basics) {
  EXPECT_LT(CompareNumbers("-125", "3"), 0);
  EXPECT_GT(CompareNumbers("3", "-125"), 0);
  EXPECT_EQ(CompareNumbers("0", "0"), 0);
  EXPECT_LT(CompareNumbers("-0.5", "0"), 0);
  EXPECT_LT(CompareNumbers("0", "0.001"), 0);
  EXPECT_LT(CompareNumbers("9", "10"), 0);
  EXPECT_LT(CompareNumbers("-10", "-9"), 0);
  EXPECT_LT(CompareNumbers("1.5", "1.51"), 0);
  EXPECT_LT(CompareNumbers("-1.51", "-1.5"), 0);
  EXPECT_LT(CompareNumbers("0.09", "0.1"), 0);
  EXPECT_EQ(CompareNumbers("123.456", "123.456"), 0);
  EXPECT_EQ(CompareNumbers("-7", "-7"), 0);
}

TEST(CompareNumbersTest, MatchesReference) {
  NumberGen gen(11);
  for (int i = 0; i < 20000; ++i) {
    const std::string a = gen.Next();
    const std::string b = gen.Uniform(0, 9) == 0 ? a : gen.Next();
    ASSERT_EQ(Sign(CompareNumbers(a, b)), RefCompare(a, b)) << a << " vs " << b;
  }
}

TEST(ArithmeticTest, Exact) {
  EXPECT_EQ(*AddNumbers("0.1", "0.2"), "0.3");
  EXPECT_EQ(*AddNumbers("1", "10000000000000000000000"), "10000000000000000000001");
  EXPECT_EQ(*SubtractNumbers("10000000000000000000000", "1"), "9999999999999999999999");
  EXPECT_EQ(*AddNumbers("-1", "1"), "0");
  EXPECT_EQ(*SubtractNumbers("5", "5"), "0");
  EXPECT_EQ(*AddNumbers("0", "0"), "0");
  EXPECT_EQ(*AddNumbers("0", "-2.5"), "-2.5");
  EXPECT_EQ(*SubtractNumbers("0", "-2.5"), "2.5");
  EXPECT_EQ(*SubtractNumbers("0", "2.5"), "-2.5");
  EXPECT_EQ(*AddNumbers("-2.5", "0"), "-2.5");
  EXPECT_EQ(*SubtractNumbers("-2.5", "0"), "-2.5");
  EXPECT_EQ(*AddNumbers("9.99", "0.01"), "10");
  EXPECT_EQ(*SubtractNumbers("10", "0.01"), "9.99");
  EXPECT_EQ(*SubtractNumbers("1", "3"), "-2");
  EXPECT_EQ(*AddNumbers("-1.25", "-0.75"), "-2");
  EXPECT_EQ(*AddNumbers("-1.25", "0.75"), "-0.5");
  EXPECT_EQ(*AddNumbers("1000", "-0.001"), "999.999");
  EXPECT_EQ(*AddNumbers("99999999999999999999999999999999999999", "1"),
            "100000000000000000000000000000000000000");
  EXPECT_EQ(*SubtractNumbers("100000000000000000000000000000000000000", "1"),
            "99999999999999999999999999999999999999");
  // Smallest magnitudes cancel exactly.
  const std::string tiny = Norm("1e-130");
  EXPECT_EQ(*SubtractNumbers(tiny, tiny), "0");
  EXPECT_EQ(*AddNumbers(tiny, tiny), "0." + std::string(129, '0') + "2");
  // The smallest exponent with all 38 digits (167 fraction digits).
  const std::string fine = Norm("1.1111111111111111111111111111111111111e-130");
  EXPECT_EQ(*AddNumbers(fine, fine), Norm("2.2222222222222222222222222222222222222e-130"));
  EXPECT_EQ(*SubtractNumbers(fine, Norm("1e-129")),
            Norm("-8.8888888888888888888888888888888888889e-130"));
  absl::StatusOr<std::string> under = SubtractNumbers(fine, Norm("1e-130"));
  ASSERT_FALSE(under.ok());
  EXPECT_THAT(std::string(under.status().message()), HasSubstr("Number underflow"));
  // Largest magnitude.
  const std::string max = Norm(kMax);
  EXPECT_EQ(*SubtractNumbers(max, max), "0");
  EXPECT_EQ(*AddNumbers(max, Norm("-1e88")),
            "99999999999999999999999999999999999998" + std::string(88, '0'));
}

TEST(ArithmeticTest, Limits) {
  const std::string max = Norm(kMax);
  const std::string big = Norm("9e125");
  for (auto r :
       {AddNumbers(big, big), SubtractNumbers(big, Norm("-9e125")), AddNumbers(max, Norm("1e88")),
        SubtractNumbers(Norm("-" + max), max), AddNumbers(Norm("1e50"), "1"),
        SubtractNumbers(Norm("1e50"), "1"), AddNumbers("1", Norm("1e-50"))}) {
    ASSERT_FALSE(r.ok()) << *r;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("Number overflow"));
  }
  // A difference below 1E-130 cannot happen between numbers of at least 1E-130, but one that
  // needs 39 digits can.
  auto r = SubtractNumbers(Norm("1.0000000000000000000000000000000000001"), Norm("1e-38"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*AddNumbers(Norm("1.0000000000000000000000000000000000001"), Norm("-1e-37")), "1");
  // Malformed, oversized operands are refused rather than overrunning anything.
  EXPECT_FALSE(AddNumbers(std::string(300, '9'), "1").ok());
  EXPECT_FALSE(AddNumbers("1", "0." + std::string(200, '1')).ok());
}

// Reference arithmetic in __int128 at a common scale for numbers of few digits.
TEST(ArithmeticTest, MatchesInt128Reference) {
  std::mt19937 rng(5);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  auto to_text = [](__int128 v, int scale) {
    bool neg = v < 0;
    unsigned __int128 u = neg ? -static_cast<unsigned __int128>(v) : v;
    std::string digits;
    do {
      digits.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
      u /= 10;
    } while (u != 0);
    std::reverse(digits.begin(), digits.end());
    return absl::StrCat(neg ? "-" : "", digits, "E-", scale);
  };
  for (int i = 0; i < 20000; ++i) {
    const int sa = static_cast<int>(uniform(0, 12));
    const int sb = static_cast<int>(uniform(0, 12));
    const __int128 a = static_cast<__int128>(uniform(-1000000000000000000, 1000000000000000000)) *
                       uniform(1, 1000);
    const __int128 b = uniform(0, 3) == 0 ? a : uniform(-1000000000000000000, 1000000000000000000);
    const int s = std::max(sa, sb);
    __int128 a_scaled = a, b_scaled = b;
    for (int k = sa; k < s; ++k) a_scaled *= 10;
    for (int k = sb; k < s; ++k) b_scaled *= 10;
    const std::string na = Norm(to_text(a, sa));
    const std::string nb = Norm(to_text(b, sb));
    absl::StatusOr<std::string> sum = AddNumbers(na, nb);
    absl::StatusOr<std::string> diff = SubtractNumbers(na, nb);
    ASSERT_TRUE(sum.ok()) << na << " + " << nb << ": " << sum.status();
    ASSERT_TRUE(diff.ok()) << na << " - " << nb << ": " << diff.status();
    EXPECT_EQ(*sum, Norm(to_text(a_scaled + b_scaled, s))) << na << " + " << nb;
    EXPECT_EQ(*diff, Norm(to_text(a_scaled - b_scaled, s))) << na << " - " << nb;
    EXPECT_EQ(Sign(CompareNumbers(na, nb)), a_scaled < b_scaled ? -1 : (a_scaled > b_scaled))
        << na << " vs " << nb;
  }
}

TEST(OrderedNumberTest, KnownEncodings) {
  EXPECT_EQ(Encode("0"), std::string("\x02", 1));
  EXPECT_EQ(Encode("1"), std::string("\x03\x82\x0b\x00", 4));   // e=0 -> 130, pair "10"
  EXPECT_EQ(Encode("-1"), std::string("\x01\x7d\xf4\xff", 4));  // all inverted
  EXPECT_EQ(Encode("12"), std::string("\x03\x83\x0d\x00", 4));  // e=1, pair 12 -> 13
  EXPECT_EQ(Encode(Norm("1e-130")), std::string("\x03\x00\x0b\x00", 4));
  EXPECT_EQ(Encode(Norm("1e125")), std::string("\x03\xff\x0b\x00", 4));
  EXPECT_EQ(Encode(Norm(kMax)).size(), 22u);
}

TEST(OrderedNumberTest, RoundTripAndSelfDelimiting) {
  NumberGen gen(3);
  for (int i = 0; i < 5000; ++i) {
    const std::string a = gen.Next();
    const std::string b = gen.Next();
    std::string buf;
    AppendOrderedNumber(a, &buf);
    AppendOrderedNumber(b, &buf);
    buf.append("tail");
    absl::string_view in = buf;
    absl::StatusOr<std::string> da = ConsumeOrderedNumber(&in);
    ASSERT_TRUE(da.ok()) << a;
    EXPECT_EQ(*da, a);
    absl::StatusOr<std::string> db = ConsumeOrderedNumber(&in);
    ASSERT_TRUE(db.ok()) << b;
    EXPECT_EQ(*db, b);
    EXPECT_EQ(in, "tail");
  }
}

TEST(OrderedNumberTest, MemcmpOrderMatchesReference) {
  NumberGen gen(42);
  std::vector<std::string> numbers = {"0",
                                      Norm(kMax),
                                      Norm(absl::StrCat("-", kMax)),
                                      Norm("1e-130"),
                                      Norm("-1e-130"),
                                      Norm("1e125"),
                                      Norm("-1e125"),
                                      "1",
                                      "-1",
                                      "10",
                                      "-10",
                                      "0.1",
                                      "-0.1"};
  for (int i = 0; i < 4000; ++i) numbers.push_back(gen.Next());
  std::vector<std::string> encodings;
  std::vector<Ref> refs;
  for (const std::string& n : numbers) {
    encodings.push_back(Encode(n));
    refs.push_back(ToRef(n));
  }
  // Every pair, both ways, also with the encoding followed by more bytes (as in a key).
  const std::string low("\x00\xff", 2);
  for (size_t i = 0; i < numbers.size(); ++i) {
    for (size_t j = i % 3; j < numbers.size(); j += 3) {
      const Ref& x = refs[i];
      const Ref& y = refs[j];
      int want = x.sign != y.sign ? (x.sign < y.sign ? -1 : 1) : Sign(x.fixed.compare(y.fixed));
      if (x.sign < 0 && y.sign < 0) want = -want;
      ASSERT_EQ(Sign(encodings[i].compare(encodings[j])), want)
          << numbers[i] << " vs " << numbers[j];
      ASSERT_EQ(Sign((encodings[i] + low).compare(encodings[j] + "\xff")), want == 0 ? -1 : want)
          << numbers[i] << " vs " << numbers[j];
    }
  }
}

TEST(OrderedNumberTest, UnnormalizedInputEncodesLikeItsNormalForm) {
  EXPECT_EQ(Encode("1.50"), Encode("1.5"));
  EXPECT_EQ(Encode("007"), Encode("7"));
  EXPECT_EQ(Encode("-00.0100"), Encode("-0.01"));
  EXPECT_EQ(Encode("-0"), Encode("0"));
  EXPECT_EQ(Encode("0.000"), Encode("0"));
  EXPECT_EQ(Encode("+12"), Encode("12"));
}

TEST(OrderedNumberTest, CorruptInputIsRejected) {
  for (absl::string_view bad :
       {absl::string_view(""), absl::string_view("\x04", 1), absl::string_view("\x03", 1),
        absl::string_view("\x03\x82", 2), absl::string_view("\x03\x82\x0b", 3),
        absl::string_view("\x03\x82\x00", 3),          // no digits
        absl::string_view("\x03\x82\x01\x00", 4),      // leading zero digit
        absl::string_view("\x03\x82\x0b\x01\x00", 5),  // trailing "00" pair
        absl::string_view("\x03\x82\x66\x00", 4),      // pair byte > 100
        absl::string_view("\x01\x7d\xf4", 3)}) {
    absl::string_view in = bad;
    EXPECT_FALSE(ConsumeOrderedNumber(&in).ok()) << absl::CEscape(bad);
    EXPECT_EQ(in, bad) << "input must be untouched on error";
  }
  // More than 38 digits.
  std::string long_enc = "\x03\x82";
  long_enc.append(20, '\x0c');
  long_enc.push_back('\0');
  absl::string_view in = long_enc;
  EXPECT_FALSE(ConsumeOrderedNumber(&in).ok());
}

}  // namespace
}  // namespace globaltable::storage
