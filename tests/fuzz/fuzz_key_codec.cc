// libFuzzer target: the order-preserving key codec (storage/key_codec.h). From the input it
// makes a key schema and two keys of one partition; checks that each valid key decodes back to
// itself, that memcmp order of the encodings is the sort-key order, and that arbitrary bytes
// given to DecodeKeySuffix either fail or are the one encoding of the key they decode to.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "storage/key_codec.h"
#include "storage/number.h"
#include "storage/value.h"

namespace {

namespace proto = globaltable::proto;
namespace storage = globaltable::storage;

void Check(bool ok) {
  if (!ok) std::abort();
}

std::optional<proto::AttributeValue> MakeScalar(proto::ScalarType type, FuzzedDataProvider* in) {
  std::string bytes = in->ConsumeRandomLengthString(64);
  proto::AttributeValue v;
  switch (type) {
    case proto::S:
      v.set_s(std::move(bytes));
      break;
    case proto::B:
      v.set_b(std::move(bytes));
      break;
    case proto::N: {
      absl::StatusOr<std::string> n = storage::NormalizeNumber(bytes);
      if (!n.ok()) return std::nullopt;
      v.set_n(*n);
      break;
    }
    default:
      return std::nullopt;
  }
  return v;
}

int Sign(int x) { return (x > 0) - (x < 0); }

int CompareSortKeys(const proto::AttributeValue& a, const proto::AttributeValue& b) {
  if (a.has_n()) return Sign(storage::CompareNumbers(a.n(), b.n()));
  const std::string& x = a.has_s() ? a.s() : a.b();
  const std::string& y = b.has_s() ? b.s() : b.b();
  return Sign(x.compare(y));
}

int CompareBytes(const std::string& a, const std::string& b) {
  return Sign(a.compare(b));  // std::string compares as unsigned bytes (memcmp)
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  proto::TableSchema schema;
  const auto pk_type = static_cast<proto::ScalarType>(in.ConsumeIntegralInRange<int>(1, 3));
  const int sk_choice = in.ConsumeIntegralInRange<int>(0, 3);
  schema.mutable_partition_key()->set_name("pk");
  schema.mutable_partition_key()->set_type(pk_type);
  if (sk_choice != 0) {
    schema.mutable_sort_key()->set_name("sk");
    schema.mutable_sort_key()->set_type(static_cast<proto::ScalarType>(sk_choice));
  }

  if (in.ConsumeBool()) {
    // Arbitrary bytes as a stored key.
    const std::string raw = in.ConsumeRemainingBytesAsString();
    absl::StatusOr<proto::Item> key = storage::DecodeKeySuffix(schema, raw);
    if (key.ok()) {
      Check(storage::EncodeKeySuffix(schema, *key) == raw);
    }
    return 0;
  }

  std::optional<proto::AttributeValue> pk = MakeScalar(pk_type, &in);
  if (!pk) return 0;
  proto::Item keys[2];
  for (proto::Item& key : keys) {
    storage::SetAttribute(&key, "pk", *pk);
    if (sk_choice != 0) {
      std::optional<proto::AttributeValue> sk =
          MakeScalar(static_cast<proto::ScalarType>(sk_choice), &in);
      if (!sk) return 0;
      storage::SetAttribute(&key, "sk", *sk);
    }
  }
  std::string encoded[2];
  for (int i = 0; i < 2; ++i) {
    encoded[i] = storage::EncodeKeySuffix(schema, keys[i]);
    if (!storage::ValidateKey(schema, keys[i]).ok()) return 0;
    absl::StatusOr<proto::Item> back = storage::DecodeKeySuffix(schema, encoded[i]);
    Check(back.ok());
    Check(back->SerializeAsString() == keys[i].SerializeAsString());
    const std::string prefix = storage::EncodePartitionPrefix(schema, *pk);
    Check(encoded[i].compare(0, prefix.size(), prefix) == 0);
  }
  if (sk_choice != 0) {
    const int by_value =
        CompareSortKeys(*storage::FindAttribute(keys[0], "sk"), *storage::FindAttribute(keys[1], "sk"));
    Check(CompareBytes(encoded[0], encoded[1]) == by_value);
  } else {
    Check(encoded[0] == encoded[1]);
  }
  return 0;
}
