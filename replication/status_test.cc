// Tests for the replication status JSON.
#include "replication/status.h"

#include <gtest/gtest.h>

namespace globaltable::replication {
namespace {

TEST(StatusJsonTest, RendersPeersAndEscapes) {
  ReplicationStatus s;
  s.region = "us-east-1";
  s.region_id = 1;
  s.nats_connected = true;
  s.publisher.ready = true;
  s.publisher.mutations_published = 42;
  s.publisher.changelog_mutations = 17;
  s.publisher.trimmed_mutations = 5;
  PeerStatus p;
  p.region = "eu-west-1";
  p.region_id = 2;
  p.link_up = true;
  p.lag_seconds = 1.25;
  p.applied_mutations = 7;
  p.needs_resync = true;
  p.dead_letters["decode"] = 3;
  p.last_error = "bad \"quote\"\n";
  s.peers.push_back(p);
  std::string json = StatusToJson(s);
  EXPECT_NE(json.find("\"region\":\"us-east-1\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"mutations_published\":42"), std::string::npos) << json;
  EXPECT_NE(json.find("\"changelog_mutations\":17,\"trimmed_mutations\":5"), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"lag_seconds\":1.250"), std::string::npos) << json;
  EXPECT_NE(json.find("\"needs_resync\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"dead_letters\":{\"decode\":3}"), std::string::npos) << json;
  EXPECT_NE(json.find("bad \\\"quote\\\"\\n"), std::string::npos) << json;
  EXPECT_EQ(json.back(), '}');
}

TEST(StatusJsonTest, ReasonNamesAreStable) {
  EXPECT_STREQ(RejectReasonName(RejectReason::kUndecodable), "decode");
  EXPECT_STREQ(RejectReasonName(RejectReason::kOversized), "oversized");
  EXPECT_STREQ(RejectReasonName(RejectReason::kUnknownRegion), "unknown_region");
  EXPECT_STREQ(RejectReasonName(RejectReason::kFromSelf), "own_region");
  EXPECT_STREQ(RejectReasonName(RejectReason::kWrongStream), "wrong_stream");
  EXPECT_STREQ(RejectReasonName(RejectReason::kInvalid), "invalid");
}

TEST(PeerNoteTest, SaysWhatAnOperatorMustKnow) {
  struct Case {
    const char* name;
    void (*set)(PeerStatus*);
    const char* note;
  } cases[] = {
      {"healthy", [](PeerStatus*) {}, ""},
      {"resync", [](PeerStatus* s) { s->needs_resync = true; }, "RESYNC REQUIRED"},
      {"stalled",
       [](PeerStatus* s) {
         s->stalled_partitions = 2;
         s->oldest_gap_seconds = 12.7;
       },
       "STALLED: 2 partitions behind a gap for 12s"},
      {"one stalled",
       [](PeerStatus* s) {
         s->stalled_partitions = 1;
         s->oldest_gap_seconds = 10;
       },
       "STALLED: 1 partition behind a gap for 10s"},
      {"blocked", [](PeerStatus* s) { s->blocked = "partition 3 stops at sequence 9"; },
       "BLOCKED: partition 3 stops at sequence 9"},
      {"clock",
       [](PeerStatus* s) {
         s->clock_skew_hold = true;
         s->clock_skew_ms = 10020;
       },
       "CLOCK HOLD: source 10020 ms ahead, beyond the max offset"},
      {"dead letters",
       [](PeerStatus* s) {
         s->dead_letters["decode"] = 2;
         s->dead_letters["invalid"] = 1;
       },
       "3 dead-lettered"},
      {"several",
       [](PeerStatus* s) {
         s->needs_resync = true;
         s->clock_skew_hold = true;
         s->clock_skew_ms = 600;
       },
       "RESYNC REQUIRED; CLOCK HOLD: source 600 ms ahead, beyond the max offset"},
  };
  for (const Case& c : cases) {
    PeerStatus s;
    c.set(&s);
    EXPECT_EQ(PeerNote(s), c.note) << c.name;
  }
}

}  // namespace
}  // namespace globaltable::replication
