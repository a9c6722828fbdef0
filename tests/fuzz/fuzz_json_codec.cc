// libFuzzer target: a request body as the API parses it (common/json_input.h), then DynamoDB
// JSON to attribute values and back (daemon/api/json_codec.h). Checks: the parse and the decode
// never crash; every value that decodes is canonical and survives encode -> parse -> decode
// unchanged, and encoding it again gives the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "common/json_input.h"
#include "daemon/api/json_codec.h"
#include "storage/value.h"

namespace {

using globaltable::daemon::api::JsonWriter;
namespace api = globaltable::daemon::api;
namespace proto = globaltable::proto;

constexpr int kMaxRequestJsonDepth = 100;  // daemon/api/api.cc

void Check(bool ok) {
  if (!ok) std::abort();
}

template <typename Message>
std::string Encode(const Message& m) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  if constexpr (std::is_same_v<Message, proto::Item>) {
    api::EncodeItem(m, &w);
  } else {
    api::EncodeValue(m, &w);
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

template <typename Message>
void RoundTrip(const Message& decoded) {
  Message canonical = decoded;
  if constexpr (std::is_same_v<Message, proto::Item>) {
    Check(globaltable::storage::CanonicalizeItem(&canonical).ok());
  } else {
    Check(globaltable::storage::CanonicalizeValue(&canonical).ok());
  }
  Check(canonical.SerializeAsString() == decoded.SerializeAsString());
  const std::string text = Encode(decoded);
  rapidjson::Document again;
  Check(globaltable::ParseJsonInput(text, kMaxRequestJsonDepth, &again).ok());
  absl::StatusOr<Message> back;
  if constexpr (std::is_same_v<Message, proto::Item>) {
    back = api::DecodeItem(again, "Item");
  } else {
    back = api::DecodeValue(again, "Value");
  }
  Check(back.ok());
  Check(back->SerializeAsString() == decoded.SerializeAsString());
  Check(Encode(*back) == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  rapidjson::Document doc;
  const globaltable::JsonInputResult parsed =
      globaltable::ParseJsonInput(body, kMaxRequestJsonDepth, &doc);
  if (!parsed.ok()) {
    Check(doc.IsNull());
    return 0;
  }
  if (absl::StatusOr<proto::AttributeValue> v = api::DecodeValue(doc, "Value"); v.ok()) {
    RoundTrip(*v);
  }
  if (!doc.IsObject()) return 0;
  if (absl::StatusOr<proto::Item> item = api::DecodeItem(doc, "Item"); item.ok()) RoundTrip(*item);
  // A request: the values under its usual members.
  for (const char* member : {"Item", "Key", "ExpressionAttributeValues", "ExclusiveStartKey"}) {
    auto it = doc.FindMember(member);
    if (it == doc.MemberEnd()) continue;
    if (absl::StatusOr<proto::Item> item = api::DecodeItem(it->value, member); item.ok()) {
      RoundTrip(*item);
    }
  }
  return 0;
}
