// Tests of the STREAM.MSG.GET answer parser (the request itself runs against a real
// nats-server in tests/replication/restart_load_test.py).
#include "replication/stream_fetch.h"

#include "gtest/gtest.h"

namespace globaltable::replication {
namespace {

TEST(ParseMsgGetResponseTest, Answers) {
  struct Case {
    const char* json;
    bool ok;
    bool has_message;
    uint64_t seq;
    const char* data;
  } cases[] = {
      // A message: the payload is base64 ("hello").
      {R"({"type":"io.nats.jetstream.api.v1.stream_msg_get_response","message":)"
       R"({"subject":"gt.a.outbox.0","seq":42,"data":"aGVsbG8=","time":"2026-12-04T00:00:00Z"}})",
       true, true, 42, "hello"},
      // A message without payload.
      {R"({"message":{"subject":"s","seq":7}})", true, true, 7, ""},
      // Nothing at or after the sequence: not an error.
      {R"({"error":{"code":404,"err_code":10037,"description":"no message found"}})", true, false,
       0, ""},
      // Other errors, and answers that cannot be read.
      {R"({"error":{"code":500,"description":"stream store failed"}})", false, false, 0, ""},
      {R"({"message":{"seq":0}})", false, false, 0, ""},
      {R"({"message":{"seq":3,"data":"!!not base64"}})", false, false, 0, ""},
      {R"({"message":"x"})", false, false, 0, ""},
      {R"([1,2])", false, false, 0, ""},
      {"", false, false, 0, ""},
  };
  for (const Case& c : cases) {
    auto r = ParseMsgGetResponse(c.json);
    ASSERT_EQ(r.ok(), c.ok) << c.json << " " << r.status();
    if (!r.ok()) continue;
    ASSERT_EQ(r->has_value(), c.has_message) << c.json;
    if (!c.has_message) continue;
    EXPECT_EQ((*r)->sequence, c.seq) << c.json;
    EXPECT_EQ((*r)->data, c.data) << c.json;
  }
}

TEST(ParseMsgGetResponseTest, DeepAnswerDoesNotRecurse) {
  std::string deep(1000000, '[');
  EXPECT_FALSE(ParseMsgGetResponse(deep).ok());
}

}  // namespace
}  // namespace globaltable::replication
