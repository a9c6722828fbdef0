// Unit tests of the API's building blocks: the DynamoDB JSON codec, the error mapping and its
// JSON shape, and the capacity-unit arithmetic.
#include "daemon/api/api.h"

#include <cmath>

#include "daemon/api/api_error.h"
#include "daemon/api/capacity.h"
#include "daemon/api/json_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace globaltable::daemon::api {
namespace {

using ::testing::HasSubstr;

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
      {absl::UnavailableError("m"), "InternalServerError", 500},
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

}  // namespace
}  // namespace globaltable::daemon::api

namespace globaltable::daemon::api {
namespace {

// Dispatch errors never reach an operation, so no store is needed.
class DispatchTest : public ::testing::Test {
 protected:
  HttpResponse Call(const std::string& target, const std::string& body,
                    const std::string& method = "POST") {
    HttpRequest r;
    r.method = method;
    r.target = "/";
    r.amz_target = target;
    r.body = body;
    return api_.Handle(r);
  }
  Api api_{nullptr, ApiOptions(), nullptr};
};

TEST_F(DispatchTest, UnknownOperations) {
  for (const char* target : {"DynamoDB_20120810.Frobnicate", "DynamoDB_20120810.",
                             "Other_20120810.GetItem", "GetItem", ""}) {
    HttpResponse r = Call(target, "{}");
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_THAT(r.body, HasSubstr("#UnknownOperationException")) << target;
    EXPECT_EQ(r.content_type, "application/x-amz-json-1.0");
  }
}

TEST_F(DispatchTest, MalformedBodies) {
  HttpResponse r = Call("DynamoDB_20120810.GetItem", "{\"TableName\":");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("#SerializationException"));
  r = Call("DynamoDB_20120810.GetItem", "[1,2]");
  EXPECT_THAT(r.body, HasSubstr("#SerializationException"));
}

TEST_F(DispatchTest, MethodsAndHealth) {
  EXPECT_EQ(Call("", "", "GET").status, 200);
  EXPECT_EQ(Call("DynamoDB_20120810.GetItem", "{}", "PUT").status, 405);
}

TEST_F(DispatchTest, ShortReads) {
  HttpRequest r;
  for (const char* op : {"GetItem", "DescribeTable", "ListTables"}) {
    r.amz_target = std::string("DynamoDB_20120810.") + op;
    EXPECT_TRUE(Api::IsShortRead(r)) << op;
  }
  for (const char* op : {"PutItem", "Query", "Scan", "BatchGetItem", "UpdateItem"}) {
    r.amz_target = std::string("DynamoDB_20120810.") + op;
    EXPECT_FALSE(Api::IsShortRead(r)) << op;
  }
}

TEST_F(DispatchTest, ShedIsAThrottlingException) {
  HttpResponse r = api_.Shed();
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                                "ThrottlingException\""));
}

}  // namespace
}  // namespace globaltable::daemon::api
