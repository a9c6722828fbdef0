// DynamoDB number normalization, comparison, exact arithmetic and ordered encoding.
// Pure functions; no floating point anywhere. Thread-safe.
//
// Internally a nonzero number is (negative, digits d1..dn, exponent e) with d1 != 0, dn != 0,
// n <= 38 and value = d1.d2...dn x 10^e (scientific exponent, -130 <= e <= 125).
//
// Ordered encoding (AppendOrderedNumber), in memcmp order:
//   number   := 0x01 neg_body | 0x02 | 0x03 pos_body       (negative < zero < positive)
//   pos_body := (e + 130):u8 pair+ 0x00
//   neg_body := ~(e + 130):u8 ~pair+ 0xFF                  (every byte inverted)
//   pair     := 1 + 10 * d(2i-1) + d(2i)     (1..100; an odd final digit is paired with 0)
// The exponent range is exactly 256 values, so one byte holds it. The terminator sorts below
// every pair byte, so a shorter digit string (a smaller magnitude, since normalized digits end
// in nonzero) sorts first; inversion reverses all of it for negatives. A padding 0 is told
// apart from a real digit on decoding because normalized digits never end in 0.
#include "storage/number.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"

namespace globaltable::storage {
namespace {

constexpr int kMaxDigits = 38;
constexpr int kMinExponent = -130;
constexpr int kMaxExponent = 125;

constexpr uint8_t kNegativeTag = 0x01;
constexpr uint8_t kZeroTag = 0x02;
constexpr uint8_t kPositiveTag = 0x03;

absl::Status MalformedError() {
  return absl::InvalidArgumentError("A value provided cannot be converted into a number");
}
absl::Status TooManyDigitsError() {
  return absl::InvalidArgumentError("Attempting to store more than 38 significant digits");
}
absl::Status OverflowError() {
  return absl::InvalidArgumentError(
      "Number overflow. Attempting to store a number with magnitude larger than supported range");
}
absl::Status UnderflowError() {
  return absl::InvalidArgumentError(
      "Number underflow. Attempting to store a number with magnitude smaller than supported "
      "range");
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A nonzero number in scientific form. `digits` are ASCII and point into caller storage.
struct Sci {
  bool negative = false;
  const char* digits = nullptr;
  int n = 0;  // 0 means the number is zero
  int e = 0;
};

// Writes the plain decimal form of `x` (n >= 1) into a fresh string.
std::string Format(const Sci& x) {
  std::string out;
  const int n = x.n;
  const int e = x.e;
  if (e >= n - 1) {  // integer: digits then zeros
    out.reserve(static_cast<size_t>(x.negative + e + 1));
    if (x.negative) out.push_back('-');
    out.append(x.digits, static_cast<size_t>(n));
    out.append(static_cast<size_t>(e - (n - 1)), '0');
  } else if (e < 0) {  // 0.000ddd
    out.reserve(static_cast<size_t>(x.negative + 2 + (-e - 1) + n));
    if (x.negative) out.push_back('-');
    out.append("0.");
    out.append(static_cast<size_t>(-e - 1), '0');
    out.append(x.digits, static_cast<size_t>(n));
  } else {  // ddd.ddd
    out.reserve(static_cast<size_t>(x.negative + n + 1));
    if (x.negative) out.push_back('-');
    out.append(x.digits, static_cast<size_t>(e + 1));
    out.push_back('.');
    out.append(x.digits + e + 1, static_cast<size_t>(n - e - 1));
  }
  return out;
}

// Splits a normalized number into sign, integer digits and fraction digits. Zero yields
// int_part "0" and an empty fraction. Tolerates a leading '+' for robustness.
struct Parts {
  bool negative = false;
  absl::string_view int_part;   // no leading zeros except a lone "0"
  absl::string_view frac_part;  // no trailing zeros
};

Parts Split(absl::string_view s) {
  Parts p;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    p.negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const size_t dot = s.find('.');
  if (dot == absl::string_view::npos) {
    p.int_part = s;
  } else {
    p.int_part = s.substr(0, dot);
    p.frac_part = s.substr(dot + 1);
  }
  return p;
}

bool IsZero(const Parts& p) {
  return p.frac_part.empty() && (p.int_part.empty() || p.int_part == "0");
}

// Magnitude comparison of split normalized numbers.
int CompareMagnitude(const Parts& a, const Parts& b) {
  if (a.int_part.size() != b.int_part.size()) {
    return a.int_part.size() < b.int_part.size() ? -1 : 1;
  }
  int c = a.int_part.compare(b.int_part);
  if (c != 0) return c < 0 ? -1 : 1;
  // No trailing zeros: plain lexicographic order of fractions is numeric order.
  c = a.frac_part.compare(b.frac_part);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Aligned digit buffer for arithmetic: index k holds the digit of weight 10^(k - kFracDigits).
// Normalized operands have at most 167 fraction digits (38 digits from 1E-130 down) and 126
// integer digits; one more for the carry.
constexpr int kFracDigits = 167;
constexpr int kIntDigits = 127;
constexpr int kWorkDigits = kFracDigits + kIntDigits;

void Load(const Parts& p, int8_t* buf) {
  for (size_t i = 0; i < p.frac_part.size(); ++i) {
    buf[kFracDigits - 1 - static_cast<int>(i)] = static_cast<int8_t>(p.frac_part[i] - '0');
  }
  const int len = static_cast<int>(p.int_part.size());
  for (int i = 0; i < len; ++i) {
    buf[kFracDigits + len - 1 - i] = static_cast<int8_t>(p.int_part[static_cast<size_t>(i)] - '0');
  }
}

// Operands must fit the aligned buffer; normalized numbers always do.
bool FitsBuffer(const Parts& p) {
  return p.int_part.size() < static_cast<size_t>(kIntDigits) &&
         p.frac_part.size() <= static_cast<size_t>(kFracDigits);
}

// |a| + |b| (add) or |a| - |b| with |a| > |b| (subtract), given `negative` as the result's
// sign. Errors when the result is out of range or needs more than 38 digits.
absl::StatusOr<std::string> CombineMagnitudes(const Parts& a, const Parts& b, bool subtract,
                                              bool negative) {
  int8_t x[kWorkDigits];
  int8_t y[kWorkDigits];
  // Only the span the operands occupy (plus a carry digit) is touched.
  const int lo = kFracDigits - static_cast<int>(std::max(a.frac_part.size(), b.frac_part.size()));
  const int top =
      kFracDigits + static_cast<int>(std::max(a.int_part.size(), b.int_part.size())) + 1;
  std::memset(x + lo, 0, static_cast<size_t>(top - lo));
  std::memset(y + lo, 0, static_cast<size_t>(top - lo));
  Load(a, x);
  Load(b, y);
  int carry = 0;
  for (int k = lo; k < top; ++k) {
    int d;
    if (subtract) {
      d = x[k] - y[k] - carry;
      carry = d < 0;
      if (carry) d += 10;
    } else {
      d = x[k] + y[k] + carry;
      carry = d >= 10;
      if (carry) d -= 10;
    }
    x[k] = static_cast<int8_t>(d);
  }
  int hi = top - 1;
  while (hi >= lo && x[hi] == 0) --hi;
  if (hi < lo) return std::string("0");
  int first = lo;
  while (x[first] == 0) ++first;
  Sci r;
  r.negative = negative;
  r.e = hi - kFracDigits;
  r.n = hi - first + 1;
  if (r.e > kMaxExponent) return OverflowError();
  if (r.e < kMinExponent) return UnderflowError();
  // DynamoDB reports a sum that needs more than 38 digits (1E+50 + 1) as an overflow, not as
  // a significant-digits error; clients see the same message here.
  if (r.n > kMaxDigits) return OverflowError();
  char digits[kMaxDigits];
  for (int i = 0; i < r.n; ++i) digits[i] = static_cast<char>('0' + x[hi - i]);
  r.digits = digits;
  return Format(r);
}

// The normalized text of `p`'s magnitude with the given sign.
std::string WithSign(const Parts& p, bool negative) {
  std::string out;
  out.reserve(p.int_part.size() + p.frac_part.size() + 2);
  if (negative) out.push_back('-');
  out.append(p.int_part.data(), p.int_part.size());
  if (!p.frac_part.empty()) {
    out.push_back('.');
    out.append(p.frac_part.data(), p.frac_part.size());
  }
  return out;
}

absl::StatusOr<std::string> AddSigned(absl::string_view a, absl::string_view b, bool negate_b) {
  const Parts pa = Split(a);
  Parts pb = Split(b);
  if (!FitsBuffer(pa) || !FitsBuffer(pb)) return MalformedError();
  pb.negative ^= negate_b;
  if (IsZero(pb)) return IsZero(pa) ? std::string("0") : WithSign(pa, pa.negative);
  if (IsZero(pa)) return WithSign(pb, pb.negative);
  if (pa.negative == pb.negative) return CombineMagnitudes(pa, pb, false, pa.negative);
  const int c = CompareMagnitude(pa, pb);
  if (c == 0) return std::string("0");
  if (c > 0) return CombineMagnitudes(pa, pb, true, pa.negative);
  return CombineMagnitudes(pb, pa, true, pb.negative);
}

}  // namespace

absl::StatusOr<std::string> NormalizeNumber(absl::string_view text) {
  const char* p = text.data();
  const char* const end = p + text.size();
  bool negative = false;
  if (p < end && (*p == '+' || *p == '-')) {
    negative = *p == '-';
    ++p;
  }
  // Mantissa: digits [. digits], at least one digit in total.
  const char* int_begin = p;
  while (p < end && IsDigit(*p)) ++p;
  const char* int_end = p;
  const char* frac_begin = p;
  const char* frac_end = p;
  if (p < end && *p == '.') {
    ++p;
    frac_begin = p;
    while (p < end && IsDigit(*p)) ++p;
    frac_end = p;
  }
  if (int_begin == int_end && frac_begin == frac_end) return MalformedError();
  // Exponent, saturated far outside the supported range so huge values cannot overflow.
  int64_t exponent = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool exp_negative = false;
    if (p < end && (*p == '+' || *p == '-')) {
      exp_negative = *p == '-';
      ++p;
    }
    if (p == end || !IsDigit(*p)) return MalformedError();
    while (p < end && IsDigit(*p)) {
      if (exponent < 1000000000) exponent = exponent * 10 + (*p - '0');
      ++p;
    }
    if (exp_negative) exponent = -exponent;
  }
  if (p != end) return MalformedError();

  // Significant digits: the mantissa digits (integer then fraction) without leading and
  // trailing zeros. Collect them into a small buffer, counting beyond 38 only to report.
  char digits[kMaxDigits];
  int n = 0;              // significant digits seen, including zeros inside
  int pending_zeros = 0;  // zeros seen after the last nonzero digit
  int64_t first_pos = 0;  // position of the first significant digit: weight 10^first_pos
  bool started = false;
  const int64_t int_len = int_end - int_begin;
  int64_t pos = int_len - 1;  // weight of the current digit
  auto take = [&](char c) -> bool {
    if (!started) {
      if (c == '0') return true;
      started = true;
      first_pos = pos;
    }
    if (c == '0') {
      ++pending_zeros;
      return true;
    }
    if (n + pending_zeros + 1 > kMaxDigits) return false;
    for (; pending_zeros > 0; --pending_zeros) digits[n++] = '0';
    digits[n++] = c;
    return true;
  };
  bool too_many = false;
  for (const char* q = int_begin; q < int_end && !too_many; ++q, --pos) too_many = !take(*q);
  for (const char* q = frac_begin; q < frac_end && !too_many; ++q, --pos) too_many = !take(*q);
  if (too_many) return TooManyDigitsError();
  if (n == 0) return std::string("0");
  const int64_t e = first_pos + exponent;
  if (e > kMaxExponent) return OverflowError();
  if (e < kMinExponent) return UnderflowError();
  Sci x;
  x.negative = negative;
  x.digits = digits;
  x.n = n;
  x.e = static_cast<int>(e);
  return Format(x);
}

int CompareNumbers(absl::string_view a, absl::string_view b) {
  const Parts pa = Split(a);
  const Parts pb = Split(b);
  const bool za = IsZero(pa);
  const bool zb = IsZero(pb);
  const int sa = za ? 0 : (pa.negative ? -1 : 1);
  const int sb = zb ? 0 : (pb.negative ? -1 : 1);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  const int c = CompareMagnitude(pa, pb);
  return sa > 0 ? c : -c;
}

absl::StatusOr<std::string> AddNumbers(absl::string_view a, absl::string_view b) {
  return AddSigned(a, b, false);
}

absl::StatusOr<std::string> SubtractNumbers(absl::string_view a, absl::string_view b) {
  return AddSigned(a, b, true);
}

void AppendOrderedNumber(absl::string_view normalized, std::string* out) {
  const Parts p = Split(normalized);
  // Significant digits and the scientific exponent. Leading and trailing zeros are skipped
  // here even though normalized input has none, so that an unnormalized "1.50" or "007"
  // still encodes like its normalized form instead of producing an undecodable key.
  char digits[kMaxDigits + 1];
  int n = 0;
  int trailing_zeros = 0;
  int e = static_cast<int>(p.int_part.size()) - 1;  // weight of the first integer digit
  auto take = [&](char c) {
    if (n == 0 && c == '0') {
      --e;
      return;
    }
    if (n + trailing_zeros >= kMaxDigits) return;
    if (c == '0') {
      ++trailing_zeros;
      return;
    }
    for (; trailing_zeros > 0; --trailing_zeros) digits[n++] = '0';
    digits[n++] = c;
  };
  for (char c : p.int_part) take(c);
  for (char c : p.frac_part) take(c);
  if (n == 0) {
    out->push_back(static_cast<char>(kZeroTag));
    return;
  }
  e = std::clamp(e, kMinExponent, kMaxExponent);
  if (n % 2 == 1) digits[n] = '0';
  const uint8_t flip = p.negative ? 0xFF : 0x00;
  const size_t start = out->size();
  out->resize(start + 2 + static_cast<size_t>((n + 1) / 2) + 1);
  char* w = &(*out)[start];
  *w++ = static_cast<char>(p.negative ? kNegativeTag : kPositiveTag);
  *w++ = static_cast<char>(static_cast<uint8_t>(e - kMinExponent) ^ flip);
  for (int i = 0; i < n; i += 2) {
    const int pair = 1 + 10 * (digits[i] - '0') + (digits[i + 1] - '0');
    *w++ = static_cast<char>(static_cast<uint8_t>(pair) ^ flip);
  }
  *w++ = static_cast<char>(flip);
}

absl::StatusOr<std::string> ConsumeOrderedNumber(absl::string_view* in) {
  auto corrupt = [] { return absl::InvalidArgumentError("Corrupt ordered number encoding"); };
  absl::string_view s = *in;
  if (s.empty()) return corrupt();
  const uint8_t tag = static_cast<uint8_t>(s[0]);
  if (tag == kZeroTag) {
    in->remove_prefix(1);
    return std::string("0");
  }
  if (tag != kNegativeTag && tag != kPositiveTag) return corrupt();
  const uint8_t flip = tag == kNegativeTag ? 0xFF : 0x00;
  if (s.size() < 3) return corrupt();
  Sci x;
  x.negative = tag == kNegativeTag;
  x.e = static_cast<int>(static_cast<uint8_t>(s[1]) ^ flip) + kMinExponent;
  char digits[kMaxDigits + 2];
  int n = 0;
  size_t i = 2;
  for (;; ++i) {
    if (i >= s.size()) return corrupt();
    const uint8_t b = static_cast<uint8_t>(s[i]) ^ flip;
    if (b == 0) break;
    if (b > 100 || n >= kMaxDigits) return corrupt();
    const int pair = b - 1;
    digits[n++] = static_cast<char>('0' + pair / 10);
    digits[n++] = static_cast<char>('0' + pair % 10);
  }
  if (n == 0 || digits[0] == '0') return corrupt();
  if (digits[n - 1] == '0') --n;  // padding of an odd digit count
  if (digits[n - 1] == '0') return corrupt();
  x.digits = digits;
  x.n = n;
  in->remove_prefix(i + 1);
  return Format(x);
}

}  // namespace globaltable::storage
