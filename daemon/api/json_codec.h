// DynamoDB JSON <-> proto::AttributeValue / proto::Item.
//
// DynamoDB JSON tags every value with its type: {"S":"x"}, {"N":"1.5"}, {"B":"<base64>"},
// {"SS":[..]}, {"NS":[..]}, {"BS":[..]}, {"M":{..}}, {"L":[..]}, {"NULL":true}, {"BOOL":false}.
// Decoding validates like DynamoDB (exactly one type per value, numbers through
// storage::NormalizeNumber, base64 for binaries, non-empty sets without duplicates, at most 32
// levels of nested M/L) and returns canonical values (storage/value.h). Strings are taken as
// they are: the request body was checked for UTF-8 when it was parsed (common/json_input.h). Encoding writes the same shape with RapidJSON.
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

// RapidJSON's writer, except that it never emits invalid UTF-8: a string or name that is not
// valid UTF-8 is written with each invalid sequence replaced by U+FFFD. Requests are refused
// unless they are valid UTF-8, but a region may hold values written before that check (or
// replicated from a region without it); answering with invalid bytes would break every client's
// JSON decoder, and refusing to answer would leave the item impossible to read or overwrite.
class JsonWriter : public rapidjson::Writer<rapidjson::StringBuffer> {
 public:
  using Base = rapidjson::Writer<rapidjson::StringBuffer>;
  using Base::Base;

  bool String(const char* s, rapidjson::SizeType n, bool copy = false);
  bool String(const char* s) { return String(s, Length(s)); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy = false);
  bool Key(const char* s) { return Key(s, Length(s)); }

 private:
  static rapidjson::SizeType Length(const char* s) {
    return static_cast<rapidjson::SizeType>(std::char_traits<char>::length(s));
  }
};

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
