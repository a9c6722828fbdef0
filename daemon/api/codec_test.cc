// Unit tests of the API's building blocks: the DynamoDB JSON codec, the error mapping and its
// JSON shape, the capacity-unit arithmetic, the 413 answer and the write-load bound.
#include "daemon/api/api.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "clock/hlc.h"
#include "common/utf8.h"
#include "daemon/api/api_error.h"
#include "daemon/api/capacity.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store_testing.h"

namespace globaltable::daemon::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<proto::Item> DecodeJson(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return DecodeItem(doc, "Item");
}

std::string EncodeJson(const proto::Item& item) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  EncodeItem(item, &w);
  return std::string(buffer.GetString(), buffer.GetSize());
}

TEST(JsonCodecTest, RoundTripsEveryTypeCanonically) {
  auto item = DecodeJson(R"({
    "z": {"S": "hello"},
    "n": {"N": "-0012.50e1"},
    "b": {"B": "AAEC/w=="},
    "ss": {"SS": ["b", "a"]},
    "ns": {"NS": ["10", "9", "1e1x"]}
  })");
  // A malformed number inside a set is rejected with DynamoDB's message.
  ASSERT_FALSE(item.ok());
  EXPECT_THAT(std::string(item.status().message()), HasSubstr("cannot be converted"));

  item = DecodeJson(R"({
    "z": {"S": "hello"},
    "n": {"N": "-0012.50e1"},
    "b": {"B": "AAEC/w=="},
    "ss": {"SS": ["b", "a"]},
    "ns": {"NS": ["10", "9"]},
    "bs": {"BS": ["Ag==", "AQ=="]},
    "m": {"M": {"y": {"BOOL": true}, "x": {"NULL": true}}},
    "l": {"L": [{"N": "1"}, {"S": ""}]}
  })");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(EncodeJson(*item),
            R"({"b":{"B":"AAEC/w=="},"bs":{"BS":["AQ==","Ag=="]},)"
            R"("l":{"L":[{"N":"1"},{"S":""}]},"m":{"M":{"x":{"NULL":true},"y":{"BOOL":true}}},)"
            R"("n":{"N":"-125"},"ns":{"NS":["9","10"]},"ss":{"SS":["a","b"]},"z":{"S":"hello"}})");
  // Binary values carry the raw bytes.
  for (const proto::Attribute& a : item->attributes()) {
    if (a.name() == "b") {
      EXPECT_EQ(a.value().b(), std::string("\x00\x01\x02\xff", 4));
    }
  }
}

struct BadValue {
  const char* json;
  const char* type;     // expected ApiError type
  const char* message;  // expected substring
};

class BadValueTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(BadValueTest, IsRejectedLikeDynamoDB) {
  auto item = DecodeJson(GetParam().json);
  ASSERT_FALSE(item.ok());
  ApiError e = ApiError::FromStatus(item.status());
  EXPECT_EQ(e.type(), GetParam().type);
  EXPECT_THAT(e.message(), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    JsonCodec, BadValueTest,
    ::testing::Values(
        BadValue{R"({"a": {}})", "ValidationException",
                 "Supplied AttributeValue is empty, must contain exactly one of the supported "
                 "datatypes"},
        BadValue{R"({"a": {"S": "x", "N": "1"}})", "ValidationException",
                 "Supplied AttributeValue has more than one datatypes set"},
        BadValue{R"({"a": {"N": "abc"}})", "ValidationException", "cannot be converted"},
        BadValue{R"({"a": {"N": "1e999"}})", "ValidationException", ""},
        BadValue{R"({"a": {"S": 5}})", "SerializationException",
                 "NUMBER_VALUE cannot be converted to String"},
        BadValue{R"({"a": {"B": "abc"}})", "SerializationException", "Base64"},
        BadValue{R"({"a": {"B": "a=bc"}})", "SerializationException", "Base64"},
        BadValue{R"({"a": {"SS": []}})", "ValidationException",
                 "One or more parameter values were invalid: An string set  may not be empty"},
        BadValue{R"({"a": {"NS": []}})", "ValidationException", "An number set  may not be empty"},
        BadValue{R"({"a": {"SS": ["x", "x"]}})", "ValidationException", "duplicates"},
        BadValue{R"({"a": {"NULL": false}})", "ValidationException",
                 "Null attribute value types must have the value of true"},
        BadValue{R"({"a": {"BOOL": "yes"}})", "SerializationException", "cannot be converted"},
        BadValue{R"({"a": {"X": 1}})", "SerializationException", "Unexpected AttributeValue"},
        BadValue{R"({"a": {"M": {"b": {}}}})", "ValidationException",
                 "Supplied AttributeValue is empty"},
        BadValue{R"({"a": {"L": [{"N": "x"}]}})", "ValidationException", "cannot be converted"},
        BadValue{R"({"a": "plain"})", "SerializationException", "VALUE_STRING"}));

TEST(JsonCodecTest, RejectsNestingBeyond32Levels) {
  std::string deep = R"({"S":"x"})";
  for (int i = 0; i < 33; ++i) deep = R"({"L":[)" + deep + "]}";
  auto item = DecodeJson(R"({"a":)" + deep + "}");
  ASSERT_FALSE(item.ok());
  EXPECT_THAT(std::string(item.status().message()), HasSubstr("Nesting Levels"));
}

// `levels` maps or lists, one inside the other, around `leaf` (no leaf: the innermost is empty).
std::string NestedValue(int levels, bool maps, const std::string& leaf) {
  std::string v = leaf;
  for (int i = 0; i < levels; ++i) {
    if (maps) {
      v = v.empty() ? R"({"M":{}})" : R"({"M":{"k":)" + v + "}}";
    } else {
      v = v.empty() ? R"({"L":[]})" : R"({"L":[)" + v + "]}";
    }
  }
  return v;
}

TEST(JsonCodecTest, NestingBoundIs32LevelsExactly) {
  for (bool maps : {true, false}) {
    for (const std::string& leaf : {std::string(R"({"S":"x"})"), std::string()}) {
      SCOPED_TRACE(std::string(maps ? "M" : "L") + (leaf.empty() ? ", empty innermost" : ""));
      auto ok = DecodeJson(R"({"a":)" + NestedValue(32, maps, leaf) + "}");
      ASSERT_TRUE(ok.ok()) << ok.status();
      EXPECT_TRUE(storage::CheckNesting(*ok).ok());
      auto deep = DecodeJson(R"({"a":)" + NestedValue(33, maps, leaf) + "}");
      ASSERT_FALSE(deep.ok());
      EXPECT_EQ(deep.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(deep.status().message(), "Nesting Levels have exceeded supported limits");
      // The same bound for a single value (ExpressionAttributeValues).
      rapidjson::Document doc;
      doc.Parse(NestedValue(33, maps, leaf).c_str());
      EXPECT_FALSE(DecodeValue(doc, ":v").ok());
      doc.Parse(NestedValue(32, maps, leaf).c_str());
      EXPECT_TRUE(DecodeValue(doc, ":v").ok());
    }
  }
}

TEST(JsonCodecTest, CheckNestingBoundsItemsBuiltInMemory) {
  // What an update expression can build: a deep value set at a deep path.
  proto::AttributeValue v;
  v.set_s("x");
  for (int i = 0; i < 32; ++i) {
    proto::AttributeValue outer;
    *outer.mutable_l()->add_values() = std::move(v);
    v = std::move(outer);
  }
  proto::Item item;
  storage::SetAttribute(&item, "a", v);
  EXPECT_TRUE(storage::CheckNesting(item).ok());
  proto::AttributeValue deeper;
  storage::SetAttribute(deeper.mutable_m(), "b", v);
  storage::SetAttribute(&item, "a", deeper);
  EXPECT_EQ(storage::CheckNesting(item).message(),
            "Nesting Levels have exceeded supported limits");
}

TEST(JsonCodecTest, WriterNeverEmitsInvalidUtf8) {
  proto::Item item;
  proto::AttributeValue v;
  v.set_s("ok\xC3\x28");
  storage::SetAttribute(&item, "n\xFF", v);
  proto::AttributeValue set;
  set.mutable_ss()->add_values("\xED\xB0\x80");
  storage::SetAttribute(&item, "ss", set);
  const std::string json = EncodeJson(item);
  EXPECT_EQ(json,
            "{\"n\xEF\xBF\xBD\":{\"S\":\"ok\xEF\xBF\xBD(\"},"
            "\"ss\":{\"SS\":[\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"]}}");
  // Valid text is written as it is.
  v.set_s("caf\xC3\xA9");
  proto::Item plain;
  storage::SetAttribute(&plain, "a", v);
  EXPECT_EQ(EncodeJson(plain), "{\"a\":{\"S\":\"caf\xC3\xA9\"}}");
}

TEST(JsonCodecTest, Base64) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string back;
    ASSERT_TRUE(Base64Decode(Base64Encode(s), &back)) << s;
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  std::string out;
  EXPECT_FALSE(Base64Decode("Zm9", &out));
  EXPECT_FALSE(Base64Decode("Z=9v", &out));
  EXPECT_FALSE(Base64Decode("Zm9*", &out));
}

TEST(ApiErrorTest, MapsStatusCodes) {
  struct Case {
    absl::Status status;
    const char* type;
    int http;
  } cases[] = {
      {absl::InvalidArgumentError("m"), "ValidationException", 400},
      {absl::NotFoundError("m"), "ResourceNotFoundException", 400},
      {absl::AlreadyExistsError("m"), "ResourceInUseException", 400},
      {absl::AbortedError("m"), "ConditionalCheckFailedException", 400},
      {absl::ResourceExhaustedError("m"), "ThrottlingException", 400},
      {absl::FailedPreconditionError("m"), "WriteRejectedException", 400},
      {absl::InternalError("m"), "InternalServerError", 500},
      {absl::UnavailableError("m"), "ServiceUnavailable", 503},
  };
  for (const Case& c : cases) {
    ApiError e = ApiError::FromStatus(c.status);
    EXPECT_EQ(e.type(), c.type) << c.status;
    EXPECT_EQ(e.http_status(), c.http) << c.status;
    EXPECT_EQ(e.message(), "m");
  }
}

TEST(ApiErrorTest, ExactTypesSurviveAStatus) {
  absl::Status s = ApiError::Serialization("bad json").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApiError::FromStatus(s).type(), "SerializationException");
  s = ApiError::UnknownOperation().status();
  EXPECT_EQ(ApiError::FromStatus(s).type(), "UnknownOperationException");
  s = ApiError::ProvisionedThroughputExceeded("slow down").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ApiError::FromStatus(s).type(), "ProvisionedThroughputExceededException");
  EXPECT_EQ(ApiError::FromStatus(ApiError::Internal("x").status()).http_status(), 500);
  EXPECT_EQ(ApiError::ConditionalCheckFailed().message(), "The conditional request failed");
}

TEST(ApiErrorTest, JsonShape) {
  EXPECT_EQ(ApiError::Validation("say \"hi\"").ToJson(),
            R"({"__type":"com.amazonaws.dynamodb.v20120810#ValidationException",)"
            R"("message":"say \"hi\""})");
}

TEST(CapacityTest, ReadUnits) {
  EXPECT_EQ(ReadUnits(0, true), 1.0);  // a read of nothing still costs one unit
  EXPECT_EQ(ReadUnits(0, false), 0.5);
  EXPECT_EQ(ReadUnits(1, true), 1.0);
  EXPECT_EQ(ReadUnits(4096, true), 1.0);
  EXPECT_EQ(ReadUnits(4097, true), 2.0);
  EXPECT_EQ(ReadUnits(4097, false), 1.0);
  EXPECT_EQ(ReadUnits(1 << 20, false), 128.0);
  EXPECT_EQ(ReadUnits(3 * 4096 + 1, false), 2.0);
}

TEST(CapacityTest, WriteUnits) {
  EXPECT_EQ(WriteUnits(0), 1.0);
  EXPECT_EQ(WriteUnits(1024), 1.0);
  EXPECT_EQ(WriteUnits(1025), 2.0);
  EXPECT_EQ(WriteUnits(400 * 1024), 400.0);
}

TEST(CapacityTest, ResponseShape) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  WriteConsumedCapacity(CapacityMode::kIndexes, "t", 1.5, false, &w);
  w.EndObject();
  EXPECT_EQ(std::string(buffer.GetString()),
            R"({"ConsumedCapacity":{"TableName":"t","CapacityUnits":1.5,"ReadCapacityUnits":1.5,)"
            R"("Table":{"CapacityUnits":1.5,"ReadCapacityUnits":1.5}}})");

  rapidjson::Document doc;
  doc.Parse(R"({"ReturnConsumedCapacity":"SOME"})");
  EXPECT_THAT(std::string(ParseCapacityMode(doc).status().message()),
              HasSubstr("Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"));
  doc.Parse(R"({"ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_EQ(*ParseCapacityMode(doc), CapacityMode::kTotal);
  doc.Parse(R"({})");
  EXPECT_EQ(*ParseCapacityMode(doc), CapacityMode::kNone);
}

TEST(ApiErrorTest, ItemSurvivesAStatus) {
  absl::Status s = ApiError::ConditionalCheckFailed().WithItem(R"({"pk":{"S":"x"}})").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  ApiError e = ApiError::FromStatus(s);
  EXPECT_EQ(e.item_json(), R"({"pk":{"S":"x"}})");
  EXPECT_EQ(e.ToJson(), R"({"__type":"com.amazonaws.dynamodb.v20120810#)"
                        R"(ConditionalCheckFailedException","message":"The conditional request )"
                        R"(failed","Item":{"pk":{"S":"x"}}})");
  EXPECT_TRUE(
      ApiError::FromStatus(ApiError::ConditionalCheckFailed().status()).item_json().empty());
}

TEST(ApiTooLargeTest, IsADynamoDbJsonError) {
  HttpResponse r = Api::TooLarge(1000);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.content_type, "application/x-amz-json-1.0");
  EXPECT_EQ(r.body, R"({"__type":"com.amazonaws.dynamodb.v20120810#)"
                    R"(RequestEntityTooLargeException","message":"Request size exceeds the )"
                    R"(maximum of 1000 bytes"})");
}

TEST(WriteLoadTest, BoundsTryStartOnly) {
  WriteLoad load(2);
  WriteLoad::Slot a = load.TryStart();
  WriteLoad::Slot b = load.Start();
  EXPECT_TRUE(a);
  EXPECT_FALSE(load.TryStart());
  WriteLoad::Slot c = load.Start();  // never refused
  EXPECT_EQ(load.in_progress(), 3);
  a = WriteLoad::Slot();
  b = WriteLoad::Slot();
  EXPECT_EQ(load.in_progress(), 1);
  EXPECT_TRUE(load.TryStart());
  EXPECT_EQ(load.in_progress(), 1);  // the temporary slot ended
  WriteLoad unbounded(0);
  std::vector<WriteLoad::Slot> slots;
  for (int i = 0; i < 100; ++i) slots.push_back(unbounded.TryStart());
  EXPECT_TRUE(slots.back());
}

}  // namespace
}  // namespace globaltable::daemon::api
