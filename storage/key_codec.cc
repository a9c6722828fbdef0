// Order-preserving item key encoding (grammar in key_codec.h) and the stable partition key
// hash. Pure functions; thread-safe.
#include "storage/key_codec.h"

#include "absl/status/status.h"
#include "storage/number.h"
#include "storage/value.h"

namespace globaltable::storage {
namespace {

// ---- KeyHash: a 64-bit multiply/rotate hash over 8-byte words with a final avalanche, folded
// to 32 bits. Written out here (not std::hash / absl::Hash) because its values are persisted
// and compared across processes, regions and releases: it must never change.
constexpr uint64_t kMulA = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio
constexpr uint64_t kMulB = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kMulC = 0x165667B19E3779F9ull;

inline uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t LoadLittleEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

inline uint64_t Avalanche(uint64_t h) {
  h ^= h >> 33;
  h *= kMulB;
  h ^= h >> 29;
  h *= kMulC;
  h ^= h >> 32;
  return h;
}

uint32_t HashBytes(uint8_t tag, absl::string_view bytes) {
  uint64_t h = kMulA ^ (static_cast<uint64_t>(tag) << 56) ^ (bytes.size() * kMulC);
  const char* p = bytes.data();
  size_t n = bytes.size();
  for (; n >= 8; p += 8, n -= 8) {
    h ^= Rotl(LoadLittleEndian64(p) * kMulB, 31) * kMulA;
    h = Rotl(h, 27) * kMulA + kMulC;
  }
  if (n > 0) {
    uint64_t tail = 0;
    for (size_t i = n; i > 0; --i) tail = (tail << 8) | static_cast<uint8_t>(p[i - 1]);
    h ^= Rotl(tail * kMulB, 31) * kMulA;
    h = Rotl(h, 27) * kMulA + kMulC;
  }
  return static_cast<uint32_t>(Avalanche(h) >> 32);
}

void AppendBigEndian32(uint32_t v, std::string* out) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(b, 4);
}

// The key bytes of a scalar value as the schema declares it: UTF-8 for S, raw for B, the
// ordered number encoding for N. A value of another type contributes no bytes (callers
// validate keys first; this keeps a bad call from crashing).
void AppendScalarBytes(proto::ScalarType type, const proto::AttributeValue& v, std::string* out) {
  switch (type) {
    case proto::S:
      if (v.value_case() == proto::AttributeValue::kS) out->append(v.s());
      break;
    case proto::B:
      if (v.value_case() == proto::AttributeValue::kB) out->append(v.b());
      break;
    case proto::N:
      if (v.value_case() == proto::AttributeValue::kN) AppendOrderedNumber(v.n(), out);
      break;
    default:
      break;
  }
}

// The raw bytes a scalar contributes to the hash (the normalized text for N).
absl::string_view HashInput(const proto::AttributeValue& v, uint8_t* tag) {
  switch (v.value_case()) {
    case proto::AttributeValue::kS:
      *tag = 'S';
      return v.s();
    case proto::AttributeValue::kN:
      *tag = 'N';
      return v.n();
    case proto::AttributeValue::kB:
      *tag = 'B';
      return v.b();
    default:
      *tag = 0;
      return {};
  }
}

// Finds a key attribute whether or not `key` is sorted by name (it usually holds one or two).
const proto::AttributeValue* FindKeyAttribute(const proto::Item& key, const std::string& name) {
  if (const proto::AttributeValue* v = FindAttribute(key, name)) return v;
  for (const proto::Attribute& a : key.attributes()) {
    if (a.name() == name) return &a.value();
  }
  return nullptr;
}

const proto::AttributeValue& EmptyValue() {
  static const proto::AttributeValue* const kEmpty = new proto::AttributeValue();
  return *kEmpty;
}

bool HasSortKey(const proto::TableSchema& schema) {
  return schema.has_sort_key() && !schema.sort_key().name().empty();
}

void AppendPartitionPrefix(const proto::TableSchema& schema,
                           const proto::AttributeValue& partition_key, std::string* out) {
  AppendBigEndian32(KeyHash(partition_key), out);
  const size_t start = out->size();
  AppendScalarBytes(schema.partition_key().type(), partition_key, out);
  // Escape zero bytes in place: count them, grow once, then move bytes back to front.
  size_t zeros = 0;
  for (size_t i = start; i < out->size(); ++i) zeros += (*out)[i] == '\0';
  if (zeros > 0) {
    size_t r = out->size();
    out->resize(out->size() + zeros);
    size_t w = out->size();
    while (r > start) {
      const char c = (*out)[--r];
      if (c == '\0') (*out)[--w] = '\xff';
      (*out)[--w] = c;
    }
  }
  out->push_back('\0');
  out->push_back('\x01');
}

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(std::string("Corrupt item key: ") + std::string(what));
}

// Builds a scalar AttributeValue of `type` from decoded key bytes.
absl::StatusOr<proto::AttributeValue> DecodeScalar(proto::ScalarType type,
                                                   absl::string_view bytes) {
  proto::AttributeValue v;
  switch (type) {
    case proto::S:
      v.set_s(bytes.data(), bytes.size());
      return v;
    case proto::B:
      v.set_b(bytes.data(), bytes.size());
      return v;
    case proto::N: {
      absl::string_view in = bytes;
      absl::StatusOr<std::string> n = ConsumeOrderedNumber(&in);
      if (!n.ok() || !in.empty()) return Corrupt("bad number");
      v.set_n(*std::move(n));
      return v;
    }
    default:
      return Corrupt("schema key type unspecified");
  }
}

}  // namespace

uint32_t KeyHash(const proto::AttributeValue& partition_key) {
  uint8_t tag;
  const absl::string_view bytes = HashInput(partition_key, &tag);
  return HashBytes(tag, bytes);
}

std::string EncodeKeySuffix(const proto::TableSchema& schema, const proto::Item& key) {
  const proto::AttributeValue* pk = FindKeyAttribute(key, schema.partition_key().name());
  std::string out;
  AppendPartitionPrefix(schema, pk != nullptr ? *pk : EmptyValue(), &out);
  if (HasSortKey(schema)) {
    if (const proto::AttributeValue* sk = FindKeyAttribute(key, schema.sort_key().name())) {
      AppendSortKeyBytes(schema, *sk, &out);
    }
  }
  return out;
}

std::string EncodePartitionPrefix(const proto::TableSchema& schema,
                                  const proto::AttributeValue& partition_key) {
  std::string out;
  AppendPartitionPrefix(schema, partition_key, &out);
  return out;
}

void AppendSortKeyBytes(const proto::TableSchema& schema, const proto::AttributeValue& sort_key,
                        std::string* out) {
  AppendScalarBytes(schema.sort_key().type(), sort_key, out);
}

absl::StatusOr<proto::Item> DecodeKeySuffix(const proto::TableSchema& schema,
                                            absl::string_view suffix) {
  if (suffix.size() < 6) return Corrupt("too short");
  const uint32_t hash = (static_cast<uint32_t>(static_cast<uint8_t>(suffix[0])) << 24) |
                        (static_cast<uint32_t>(static_cast<uint8_t>(suffix[1])) << 16) |
                        (static_cast<uint32_t>(static_cast<uint8_t>(suffix[2])) << 8) |
                        static_cast<uint32_t>(static_cast<uint8_t>(suffix[3]));
  suffix.remove_prefix(4);
  std::string pk_bytes;
  size_t i = 0;
  for (;;) {
    const size_t zero = suffix.find('\0', i);
    if (zero == absl::string_view::npos || zero + 1 >= suffix.size()) {
      return Corrupt("unterminated partition key");
    }
    pk_bytes.append(suffix.data() + i, zero - i);
    const char next = suffix[zero + 1];
    i = zero + 2;
    if (next == '\x01') break;
    if (next != '\xff') return Corrupt("bad escape in partition key");
    pk_bytes.push_back('\0');
  }
  suffix.remove_prefix(i);

  proto::Item key;
  proto::Attribute* pk = key.add_attributes();
  pk->set_name(schema.partition_key().name());
  absl::StatusOr<proto::AttributeValue> pk_value =
      DecodeScalar(schema.partition_key().type(), pk_bytes);
  if (!pk_value.ok()) return pk_value.status();
  *pk->mutable_value() = *std::move(pk_value);
  if (KeyHash(pk->value()) != hash) return Corrupt("partition key hash mismatch");

  if (HasSortKey(schema)) {
    proto::Attribute* sk = key.add_attributes();
    sk->set_name(schema.sort_key().name());
    absl::StatusOr<proto::AttributeValue> sk_value = DecodeScalar(schema.sort_key().type(), suffix);
    if (!sk_value.ok()) return sk_value.status();
    *sk->mutable_value() = *std::move(sk_value);
    // Keys are canonical items: attributes sorted by name.
    if (sk->name() < pk->name()) key.mutable_attributes()->SwapElements(0, 1);
  } else if (!suffix.empty()) {
    return Corrupt("trailing bytes after the partition key");
  }
  return key;
}

std::string SegmentStart(uint32_t segment, uint32_t total) {
  if (total == 0 || segment >= total) return "";
  // The smallest hash h with h >= segment * 2^32 / total, so that hash h belongs to segment
  // floor(h * total / 2^32) (SegmentOfHash).
  const uint64_t start = ((static_cast<uint64_t>(segment) << 32) + total - 1) / total;
  std::string out;
  AppendBigEndian32(static_cast<uint32_t>(start), &out);
  return out;
}

uint32_t SegmentOfHash(uint32_t pk_hash, uint32_t total) {
  return static_cast<uint32_t>((static_cast<uint64_t>(pk_hash) * total) >> 32);
}

}  // namespace globaltable::storage
