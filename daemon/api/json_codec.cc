// DynamoDB JSON codec for attribute values and items. Pure functions; thread-safe.
#include "daemon/api/json_codec.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "daemon/api/api_error.h"
#include "storage/number.h"
#include "storage/value.h"

namespace globaltable::daemon::api {
namespace {

// DynamoDB allows 32 levels of nested maps and lists (storage::CanonicalizeValue agrees).
constexpr int kMaxDepth = 32;

constexpr char kBase64Chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

absl::string_view View(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

// The JSON type name DynamoDB uses in SerializationException messages.
absl::string_view JsonTypeName(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "NULL_VALUE";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "BOOLEAN_VALUE";
    case rapidjson::kObjectType:
      return "START_OBJECT";
    case rapidjson::kArrayType:
      return "START_ARRAY";
    case rapidjson::kStringType:
      return "VALUE_STRING";
    case rapidjson::kNumberType:
      return "NUMBER_VALUE";
  }
  return "VALUE";
}

absl::Status WrongJsonType(const rapidjson::Value& v, absl::string_view expected) {
  return ApiError::Serialization(
             absl::StrCat(JsonTypeName(v), " cannot be converted to ", expected))
      .status();
}

absl::StatusOr<std::string> DecodeString(const rapidjson::Value& v) {
  if (!v.IsString()) return WrongJsonType(v, "String");
  return std::string(View(v));
}

absl::StatusOr<std::string> DecodeNumber(const rapidjson::Value& v) {
  if (!v.IsString()) return WrongJsonType(v, "String");
  return storage::NormalizeNumber(View(v));
}

absl::StatusOr<std::string> DecodeBinary(const rapidjson::Value& v) {
  if (!v.IsString()) return WrongJsonType(v, "Blob");
  std::string out;
  if (!Base64Decode(View(v), &out)) {
    return ApiError::Serialization("Base64 encoded length is expected a multiple of 4 bytes")
        .status();
  }
  return out;
}

absl::Status EmptySet(absl::string_view kind) {
  return absl::InvalidArgumentError(absl::StrCat("One or more parameter values were invalid: An ",
                                                 kind, " set  may not be empty"));
}

absl::StatusOr<proto::AttributeValue> Decode(const rapidjson::Value& json, int depth);

// `depth` counts the maps and lists around the members' values: 0 for an item's attributes.
absl::Status DecodeMembers(const rapidjson::Value& json, int depth,
                           google::protobuf::RepeatedPtrField<proto::Attribute>* out) {
  for (auto it = json.MemberBegin(); it != json.MemberEnd(); ++it) {
    proto::Attribute* attr = out->Add();
    attr->set_name(it->name.GetString(), it->name.GetStringLength());
    ASSIGN_OR_RETURN(*attr->mutable_value(), Decode(it->value, depth));
  }
  return absl::OkStatus();
}

absl::Status TooDeep() {
  return absl::InvalidArgumentError("Nesting Levels have exceeded supported limits");
}

// `depth` counts the maps and lists around `json`: a map or list at depth 32 would be the 33rd
// level, and is refused before its members are read (so recursion stops there too).
absl::StatusOr<proto::AttributeValue> Decode(const rapidjson::Value& json, int depth) {
  if (!json.IsObject()) return WrongJsonType(json, "AttributeValue");
  if (json.MemberCount() == 0) {
    return absl::InvalidArgumentError(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  }
  if (json.MemberCount() > 1) {
    return absl::InvalidArgumentError(
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
        "the supported datatypes");
  }
  const auto& member = *json.MemberBegin();
  absl::string_view type = View(member.name);
  const rapidjson::Value& v = member.value;
  proto::AttributeValue out;
  if (type == "S") {
    ASSIGN_OR_RETURN(*out.mutable_s(), DecodeString(v));
  } else if (type == "N") {
    ASSIGN_OR_RETURN(*out.mutable_n(), DecodeNumber(v));
  } else if (type == "B") {
    ASSIGN_OR_RETURN(*out.mutable_b(), DecodeBinary(v));
  } else if (type == "SS" || type == "NS" || type == "BS") {
    if (!v.IsArray()) return WrongJsonType(v, "List");
    if (v.Empty()) return EmptySet(type == "SS" ? "string" : type == "NS" ? "number" : "binary");
    auto* values = type == "SS"   ? out.mutable_ss()->mutable_values()
                   : type == "NS" ? out.mutable_ns()->mutable_values()
                                  : out.mutable_bs()->mutable_values();
    for (const rapidjson::Value& e : v.GetArray()) {
      absl::StatusOr<std::string> s = type == "SS"   ? DecodeString(e)
                                      : type == "NS" ? DecodeNumber(e)
                                                     : DecodeBinary(e);
      if (!s.ok()) return s.status();
      values->Add(std::move(*s));
    }
  } else if (type == "M") {
    if (!v.IsObject()) return WrongJsonType(v, "Map");
    if (depth >= kMaxDepth) return TooDeep();
    RETURN_IF_ERROR(DecodeMembers(v, depth + 1, out.mutable_m()->mutable_entries()));
  } else if (type == "L") {
    if (!v.IsArray()) return WrongJsonType(v, "List");
    if (depth >= kMaxDepth) return TooDeep();
    auto* values = out.mutable_l()->mutable_values();
    for (const rapidjson::Value& e : v.GetArray()) {
      ASSIGN_OR_RETURN(*values->Add(), Decode(e, depth + 1));
    }
  } else if (type == "NULL") {
    if (!v.IsBool()) return WrongJsonType(v, "Boolean");
    if (!v.GetBool()) {
      return absl::InvalidArgumentError(
          "One or more parameter values were invalid: Null attribute value types must have the "
          "value of true");
    }
    out.set_null(true);
  } else if (type == "BOOL") {
    if (!v.IsBool()) return WrongJsonType(v, "Boolean");
    out.set_bool_value(v.GetBool());
  } else {
    return ApiError::Serialization(absl::StrCat("Unexpected AttributeValue type '", type, "'"))
        .status();
  }
  return out;
}

void EncodeStrings(const google::protobuf::RepeatedPtrField<std::string>& values, bool base64,
                   JsonWriter* w) {
  w->StartArray();
  for (const std::string& s : values) WriteString(w, base64 ? Base64Encode(s) : s);
  w->EndArray();
}

int Base64Index(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

absl::StatusOr<proto::AttributeValue> DecodeValue(const rapidjson::Value& json,
                                                  absl::string_view what) {
  ASSIGN_OR_RETURN(proto::AttributeValue value, Decode(json, 0));
  RETURN_IF_ERROR(storage::CanonicalizeValue(&value));
  return value;
}

absl::StatusOr<proto::Item> DecodeItem(const rapidjson::Value& json, absl::string_view what) {
  if (!json.IsObject()) return WrongJsonType(json, "Map");
  proto::Item item;
  RETURN_IF_ERROR(DecodeMembers(json, 0, item.mutable_attributes()));
  RETURN_IF_ERROR(storage::CanonicalizeItem(&item));
  return item;
}

void EncodeValue(const proto::AttributeValue& value, JsonWriter* w) {
  w->StartObject();
  switch (value.value_case()) {
    case proto::AttributeValue::kS:
      w->Key("S");
      WriteString(w, value.s());
      break;
    case proto::AttributeValue::kN:
      w->Key("N");
      WriteString(w, value.n());
      break;
    case proto::AttributeValue::kB:
      w->Key("B");
      WriteString(w, Base64Encode(value.b()));
      break;
    case proto::AttributeValue::kSs:
      w->Key("SS");
      EncodeStrings(value.ss().values(), false, w);
      break;
    case proto::AttributeValue::kNs:
      w->Key("NS");
      EncodeStrings(value.ns().values(), false, w);
      break;
    case proto::AttributeValue::kBs:
      w->Key("BS");
      EncodeStrings(value.bs().values(), true, w);
      break;
    case proto::AttributeValue::kM:
      w->Key("M");
      w->StartObject();
      for (const proto::Attribute& a : value.m().entries()) {
        WriteString(w, a.name());
        EncodeValue(a.value(), w);
      }
      w->EndObject();
      break;
    case proto::AttributeValue::kL:
      w->Key("L");
      w->StartArray();
      for (const proto::AttributeValue& v : value.l().values()) EncodeValue(v, w);
      w->EndArray();
      break;
    case proto::AttributeValue::kNull:
      w->Key("NULL");
      w->Bool(true);
      break;
    case proto::AttributeValue::kBoolValue:
      w->Key("BOOL");
      w->Bool(value.bool_value());
      break;
    case proto::AttributeValue::VALUE_NOT_SET:
      break;
  }
  w->EndObject();
}

void EncodeItem(const proto::Item& item, JsonWriter* w) {
  w->StartObject();
  for (const proto::Attribute& a : item.attributes()) {
    WriteString(w, a.name());
    EncodeValue(a.value(), w);
  }
  w->EndObject();
}

bool JsonWriter::String(const char* s, rapidjson::SizeType n, bool copy) {
  if (IsValidUtf8(absl::string_view(s, n))) return Base::String(s, n, copy);
  const std::string repaired = ToValidUtf8(absl::string_view(s, n));
  return Base::String(repaired.data(), static_cast<rapidjson::SizeType>(repaired.size()), true);
}

bool JsonWriter::Key(const char* s, rapidjson::SizeType n, bool copy) {
  if (IsValidUtf8(absl::string_view(s, n))) return Base::Key(s, n, copy);
  const std::string repaired = ToValidUtf8(absl::string_view(s, n));
  return Base::Key(repaired.data(), static_cast<rapidjson::SizeType>(repaired.size()), true);
}

std::string Base64Encode(absl::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                 (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) |
                 static_cast<uint8_t>(bytes[i + 2]);
    out += kBase64Chars[(n >> 18) & 63];
    out += kBase64Chars[(n >> 12) & 63];
    out += kBase64Chars[(n >> 6) & 63];
    out += kBase64Chars[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (i + 1 < bytes.size()) n |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    out += kBase64Chars[(n >> 18) & 63];
    out += kBase64Chars[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64Chars[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool Base64Decode(absl::string_view text, std::string* out) {
  out->clear();
  if (text.size() % 4 != 0) return false;
  out->reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        v[j] = 0;
        ++pad;
      } else {
        if (pad > 0) return false;  // data after padding
        v[j] = Base64Index(c);
        if (v[j] < 0) return false;
      }
    }
    uint32_t n =
        (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out->push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) out->push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out->push_back(static_cast<char>(n & 0xFF));
  }
  return true;
}

}  // namespace globaltable::daemon::api
