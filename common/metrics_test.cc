// Tests that the exported metric names, types and labels match the catalog in docs/metrics.md.
#include "common/metrics.h"

#include <fstream>
#include <set>
#include <sstream>

#include "gtest/gtest.h"

namespace globaltable {
namespace {

std::set<std::string> DocumentedNames() {
  std::ifstream in(std::string(GT_SOURCE_DIR) + "/docs/metrics.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  std::set<std::string> names;
  for (size_t pos = s.find("`globaltable_"); pos != std::string::npos;
       pos = s.find("`globaltable_", pos + 1)) {
    const size_t end = s.find('`', pos + 1);
    if (end != std::string::npos) names.insert(s.substr(pos + 1, end - pos - 1));
  }
  return names;
}

void TouchEverything(Metrics& m) {
  m.ReplicationLag("eu-west-1").Observe(0.003);
  m.PendingMutations("eu-west-1").Set(5);
  m.OldestUnreplicated("eu-west-1").Set(1.5);
  m.AppliedMutations("eu-west-1").Increment(3);
  m.AppliedBytes("eu-west-1").Increment(300);
  m.RejectedBatches("eu-west-1", "decode").Increment();
  m.DeadLetterBatches("eu-west-1").Increment();
  m.LinkUp("eu-west-1").Set(1);
  m.ResyncRequired("eu-west-1").Set(0);
  m.StalledPartitions("eu-west-1").Set(0);
  m.BlockedPartitions("eu-west-1").Set(0);
  m.GapFills("eu-west-1").Increment();
  m.ClockWritesRefused().Set(0);
  m.ClockPeerOffset("eu-west-1").Set(0.002);
  m.Conflicts("eu-west-1", "orders").Increment();
  m.ClockRemoteOffset("eu-west-1").Set(-0.01);
  m.ClockMaxOffset().Set(0.5);
  m.SetTableRole("orders", "primary");
  m.ApiRequests("PutItem", "ok").Increment();
  m.ApiRequestDuration("PutItem").Observe(0.0004);
  m.HttpConnections("api").Set(3);
  m.HttpMaxConnections("api").Set(1000);
  m.HttpConnectionsAccepted("api").Increment();
  m.HttpConnectionsRefused("api", "limit").Increment();
  m.HttpConnectionsTimedOut("api", "idle").Increment();
  m.HttpMalformedRequests("api", "400").Increment();
  m.StoreLiveItems("orders").Set(10);
  m.StoreTombstones("orders").Set(1);
  m.TtlDeletedItems("orders").Increment();
  m.RecordDrill("planned", true, 2.5, 0, 0, 1.7e9);
}

TEST(MetricsTest, EveryDocumentedMetricIsExportedAndNothingElse) {
  Metrics m("us-east-1");
  TouchEverything(m);
  const std::string text = m.Serialize();
  std::set<std::string> exported;
  for (size_t pos = text.find("# TYPE "); pos != std::string::npos;
       pos = text.find("# TYPE ", pos + 1)) {
    const size_t start = pos + 7;
    exported.insert(text.substr(start, text.find(' ', start) - start));
  }
  EXPECT_EQ(exported, DocumentedNames());
}

TEST(MetricsTest, SeriesCarryRegionAndRelyOnNames) {
  Metrics m("us-east-1");
  TouchEverything(m);
  const std::string text = m.Serialize();
  EXPECT_NE(text.find("# TYPE globaltable_replication_lag_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("globaltable_replication_lag_seconds_bucket{region=\"us-east-1\","
                      "source_region=\"eu-west-1\",le=\"0.005\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE globaltable_api_request_duration_seconds histogram"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE globaltable_conflicts_total counter"), std::string::npos);
  EXPECT_NE(text.find("globaltable_write_mode{region=\"us-east-1\",mode=\"active\"} 1"),
            std::string::npos);
}

TEST(MetricsTest, WriteModeIsOneHot) {
  Metrics m("r1");
  m.SetWriteMode("fenced");
  const std::string text = m.Serialize();
  EXPECT_NE(text.find("globaltable_write_mode{region=\"r1\",mode=\"fenced\"} 1"), std::string::npos);
  EXPECT_NE(text.find("globaltable_write_mode{region=\"r1\",mode=\"active\"} 0"), std::string::npos);
  EXPECT_NE(text.find("globaltable_write_mode{region=\"r1\",mode=\"read_only\"} 0"),
            std::string::npos);
}

TEST(MetricsTest, CollectHooksRunBeforeEachScrape) {
  Metrics m("r1");
  int calls = 0;
  m.AddCollectHook([&] { m.StoreSstBytes().Set(++calls * 100); });
  EXPECT_NE(m.Serialize().find("globaltable_store_sst_bytes{region=\"r1\"} 100"), std::string::npos);
  EXPECT_NE(m.Serialize().find("globaltable_store_sst_bytes{region=\"r1\"} 200"), std::string::npos);
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace globaltable
