// DynamoDB JSON <-> proto::AttributeValue / proto::Item.
//
// DynamoDB JSON tags every value with its type: {"S":"x"}, {"N":"1.5"}, {"B":"<base64>"},
// {"SS":[..]}, {"NS":[..]}, {"BS":[..]}, {"M":{..}}, {"L":[..]}, {"NULL":true}, {"BOOL":false}.
// Decoding validates like DynamoDB (exactly one type per value, numbers through
// storage::NormalizeNumber, base64 for binaries, non-empty sets without duplicates) and returns
// canonical values (storage/value.h). Encoding writes the same shape with RapidJSON.
//
//   rapidjson::Document doc; doc.Parse(body.data(), body.size());
//   ASSIGN_OR_RETURN(proto::Item item, DecodeItem(doc["Item"], "Item"));
//   JsonWriter w(buffer); w.StartObject(); w.Key("Item"); EncodeItem(item, &w); w.EndObject();
//
// Errors: kInvalidArgument with DynamoDB's ValidationException messages, or an
// ApiError::Serialization status when the JSON has the wrong shape.
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_DAEMON_API_JSON_CODEC_H_
#define GLOBALTABLE_DAEMON_API_JSON_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/globaltable.pb.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace globaltable::daemon::api {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// One DynamoDB JSON value. `what` names the value in messages (e.g. "Item").
absl::StatusOr<proto::AttributeValue> DecodeValue(const rapidjson::Value& json,
                                                  absl::string_view what);
// An object of name -> value (an item, a key, ExpressionAttributeValues), canonical.
absl::StatusOr<proto::Item> DecodeItem(const rapidjson::Value& json, absl::string_view what);

void EncodeValue(const proto::AttributeValue& value, JsonWriter* w);
void EncodeItem(const proto::Item& item, JsonWriter* w);

// RFC 4648 base64 with padding. Decode rejects malformed input.
std::string Base64Encode(absl::string_view bytes);
bool Base64Decode(absl::string_view text, std::string* out);

// Writes a string_view as a JSON string.
inline void WriteString(JsonWriter* w, absl::string_view s) {
  w->String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace globaltable::daemon::api

#endif  // GLOBALTABLE_DAEMON_API_JSON_CODEC_H_
