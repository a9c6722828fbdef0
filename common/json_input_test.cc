// Tests of the bounded, strict JSON parse used for request bodies.
#include "common/json_input.h"

#include <string>

#include "gtest/gtest.h"

namespace globaltable {
namespace {

JsonInputResult Parse(const std::string& body, int max_depth = 8) {
  rapidjson::Document doc;
  JsonInputResult r = ParseJsonInput(body, max_depth, &doc);
  if (!r.ok()) {
    EXPECT_TRUE(doc.IsNull()) << body.substr(0, 80);
  }
  return r;
}

std::string Nested(int levels, char open, char close, const std::string& inside = "") {
  return std::string(static_cast<size_t>(levels), open) + inside +
         std::string(static_cast<size_t>(levels), close);
}

std::string NestedObjects(int levels) {
  std::string out;
  for (int i = 0; i < levels; ++i) out += "{\"a\":";
  out += "1";
  out += std::string(static_cast<size_t>(levels), '}');
  return out;
}

TEST(JsonInputTest, ParsesOrdinaryDocuments) {
  rapidjson::Document doc;
  ASSERT_TRUE(ParseJsonInput(R"( {"a":[1,-2,3.5,"x\u00e9\ud83d\ude00",true,null],"b":{}} )",
                             8, &doc)
                  .ok());
  ASSERT_TRUE(doc.IsObject());
  EXPECT_EQ(std::string(doc["a"][3].GetString()), "x\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(doc["a"][1].GetInt(), -2);
}

TEST(JsonInputTest, DepthBoundIsExact) {
  EXPECT_TRUE(Parse(Nested(8, '[', ']')).ok());
  EXPECT_EQ(Parse(Nested(9, '[', ']')).error, JsonInputError::kTooDeep);
  EXPECT_TRUE(Parse(NestedObjects(8)).ok());
  EXPECT_EQ(Parse(NestedObjects(9)).error, JsonInputError::kTooDeep);
  // Depth returns to zero after each closed container: siblings do not add up.
  EXPECT_TRUE(Parse("[" + Nested(7, '[', ']') + "," + Nested(7, '[', ']') + "]").ok());
}

TEST(JsonInputTest, MillionLevelsAreRefusedWithoutRecursion) {
  // Recursive parsing (and recursive destruction of what it built) overflows the stack here.
  for (char open : {'[', '{'}) {
    std::string body(1000000, open);
    if (open == '{') {
      body.clear();
      for (int i = 0; i < 1000000; ++i) body += "{\"\":";
    }
    JsonInputResult r = Parse(body, 100);
    EXPECT_EQ(r.error, JsonInputError::kTooDeep) << open;
    EXPECT_LT(r.offset, 1000u) << "stops at the bound, not at the end";
  }
}

TEST(JsonInputTest, RefusesInvalidUtf8InValuesAndNames) {
  for (const std::string& body : {
           std::string("{\"a\":\"\xC3\x28\"}"),          // raw invalid bytes in a value
           std::string("{\"\xC3\x28\":1}"),              // ... in a member name
           std::string("[\"ok\",[\"\xFF\"]]"),           // ... nested
           std::string("{\"a\":\"\xED\xA0\x80\"}"),      // a raw UTF-8-encoded surrogate
           std::string("{\"a\":\"\xC0\xAF\"}"),          // overlong
           std::string(R"({"a":"\udc00"})"),             // escaped lone low surrogate
           std::string(R"({"a":"\ud800"})"),             // escaped lone high surrogate
           std::string(R"({"a":"\ud800\u0041"})"),       // high surrogate, then not a low one
           std::string(R"({"\udfff":1})"),               // in a name
       }) {
    JsonInputResult r = Parse(body);
    EXPECT_EQ(r.error, JsonInputError::kInvalidUtf8) << body;
  }
}

TEST(JsonInputTest, MalformedAndTrailingInput) {
  EXPECT_EQ(Parse("{\"a\":").error, JsonInputError::kMalformed);
  EXPECT_EQ(Parse("").error, JsonInputError::kMalformed);
  EXPECT_EQ(Parse("{} {}").error, JsonInputError::kMalformed);
  EXPECT_EQ(Parse(std::string("{}\0junk", 7)).error, JsonInputError::kMalformed);
  EXPECT_EQ(Parse(std::string("{\"a\":\"x\0y\"}", 11)).error, JsonInputError::kMalformed);
  EXPECT_TRUE(Parse("{}  \n").ok());
  EXPECT_NE(std::string(Parse("{\"a\" 1}").message), "");
}

}  // namespace
}  // namespace globaltable
