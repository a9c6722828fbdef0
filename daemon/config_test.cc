// Tests of the deployment file parser, the command line and their resolution.
#include "daemon/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace globaltable::daemon {
namespace {

using ::testing::HasSubstr;

constexpr char kGood[] = R"(nats:
  topology: single
  urls: [nats://127.0.0.1:4222]
daemon:
  workers: 8
regions:
  - name: us-east-1
    id: 1
    api: 127.0.0.1:8001
    admin: 127.0.0.1:9001
    data_dir: /tmp/gt/us-east-1
  - name: eu-west-1
    id: 2
    api: 127.0.0.1:8002
    admin: 127.0.0.1:9002
    data_dir: /tmp/gt/eu-west-1
    nats_urls: [nats://127.0.0.1:4223]
    max_inflight: 7
)";

TEST(ConfigTest, ParsesTheDeploymentFile) {
  auto d = ParseDeployment(kGood, "deploy.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->nats.topology, NatsTopology::kSingle);
  EXPECT_THAT(d->nats.urls, ::testing::ElementsAre("nats://127.0.0.1:4222"));
  ASSERT_EQ(d->regions.size(), 2u);
  const RegionConfig& us = d->regions[0];
  EXPECT_EQ(us.name, "us-east-1");
  EXPECT_EQ(us.id, 1u);
  EXPECT_EQ(us.api, "127.0.0.1:8001");
  EXPECT_EQ(us.admin, "127.0.0.1:9001");
  EXPECT_EQ(us.data_dir, "/tmp/gt/us-east-1");
  EXPECT_EQ(us.line, 7);
  EXPECT_THAT(us.nats_urls, ::testing::ElementsAre("nats://127.0.0.1:4222"));
  EXPECT_EQ(us.settings.workers, 8);
  EXPECT_EQ(us.settings.max_inflight, DaemonSettings().max_inflight);
  const RegionConfig& eu = d->regions[1];
  EXPECT_THAT(eu.nats_urls, ::testing::ElementsAre("nats://127.0.0.1:4223"));
  EXPECT_EQ(eu.settings.workers, 8);
  EXPECT_EQ(eu.settings.max_inflight, 7);
  EXPECT_EQ(eu.settings.max_pending_writes, 0);  // no bound unless set
  EXPECT_EQ(eu.settings.ttl_interval_s, 60);
  EXPECT_EQ(d->FindRegion("eu-west-1"), &d->regions[1]);
  EXPECT_EQ(d->FindRegion(clock::RegionId{2}), &d->regions[1]);
  EXPECT_EQ(d->FindRegion("nowhere"), nullptr);
  EXPECT_EQ(d->clock.max_offset_ms, 500);  // no `clock` section: the default
}

TEST(ConfigTest, ParsesTheReplicationSection) {
  std::string yaml = kGood;
  auto d = ParseDeployment(yaml, "deploy.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->replication.outbox_max_age_s, 86400);  // no section: DynamoDB Streams' 24 hours
  EXPECT_EQ(d->replication.outbox_max_bytes, 0);      // no size bound
  EXPECT_EQ(d->replication.tombstone_grace_s, 86400);
  EXPECT_EQ(d->replication.tombstone_purge_interval_s, 600);
  yaml.insert(yaml.find("daemon:"),
              "replication:\n  outbox_max_age_s: 172800\n  outbox_max_bytes: 10737418240\n"
              "  tombstone_grace_s: 0\n  tombstone_purge_interval_s: 30\n");
  d = ParseDeployment(yaml, "deploy.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->replication.outbox_max_age_s, 172800);
  EXPECT_EQ(d->replication.outbox_max_bytes, int64_t{10} << 30);
  EXPECT_EQ(d->replication.tombstone_grace_s, 0);
  EXPECT_EQ(d->replication.tombstone_purge_interval_s, 30);
  yaml = kGood;
  yaml.insert(yaml.find("daemon:"), "replication: {}\n");
  d = ParseDeployment(yaml, "deploy.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->replication.outbox_max_age_s, 86400);
}

TEST(ConfigTest, ParsesTheClockSection) {
  std::string yaml = kGood;
  yaml.insert(yaml.find("daemon:"), "clock:\n  max_offset_ms: 5000\n");
  auto d = ParseDeployment(yaml, "deploy.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->clock.max_offset_ms, 5000);
  // An empty section keeps the default.
  yaml = kGood;
  yaml.insert(yaml.find("daemon:"), "clock: {}\n");
  d = ParseDeployment(yaml, "deploy.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->clock.max_offset_ms, 500);
  // The deployment's value reaches the resolved configuration of every region.
  yaml = kGood;
  yaml.insert(yaml.find("daemon:"), "clock: {max_offset_ms: 750}\n");
  d = ParseDeployment(yaml, "deploy.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  CommandLine cl;
  cl.region = "eu-west-1";
  auto config = ResolveConfig(cl, *d);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->deployment.clock.max_offset_ms, 750);
}

// Each rejection must name the file and the line of the offending entry.
struct Rejection {
  const char* name;
  std::string yaml;
  std::string message;  // expected substring, "deploy.yaml:LINE: ..." included
};

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

class RejectionTest : public ::testing::TestWithParam<Rejection> {};

TEST_P(RejectionTest, NamesTheLine) {
  auto d = ParseDeployment(GetParam().yaml, "deploy.yaml");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Config, RejectionTest,
    ::testing::Values(
        Rejection{"UnknownTopLevelKey", std::string(kGood) + "extra: 1\n",
                  "deploy.yaml:19: top level: unknown key 'extra'"},
        Rejection{"UnknownRegionKey", Replace(kGood, "    id: 2\n", "    id: 2\n    port: 3\n"),
                  "deploy.yaml:14: region 'eu-west-1': unknown key 'port'"},
        Rejection{"UnknownNatsKey",
                  Replace(kGood, "  topology: single\n", "  topology: single\n  cluster: x\n"),
                  "deploy.yaml:3: nats: unknown key 'cluster'"},
        Rejection{"DuplicateKey", Replace(kGood, "    id: 2\n", "    id: 2\n    id: 3\n"),
                  "deploy.yaml:14: region 'eu-west-1': duplicate key 'id'"},
        Rejection{"DuplicateName", Replace(kGood, "name: eu-west-1", "name: us-east-1"),
                  "deploy.yaml:12: region 'us-east-1': duplicate name us-east-1 (also at line 7)"},
        Rejection{"DuplicateId", Replace(kGood, "id: 2", "id: 1"),
                  "deploy.yaml:12: region 'eu-west-1': duplicate id 1 (also at line 7)"},
        Rejection{"DuplicateApi", Replace(kGood, "api: 127.0.0.1:8002", "api: 127.0.0.1:8001"),
                  "deploy.yaml:12: region 'eu-west-1': duplicate api address"},
        Rejection{"MissingAdmin", Replace(kGood, "    admin: 127.0.0.1:9002\n", ""),
                  "deploy.yaml:12: region 'eu-west-1': missing field 'admin'"},
        Rejection{"MissingName", Replace(kGood, "  - name: eu-west-1\n    id: 2\n", "  - id: 2\n"),
                  "deploy.yaml:12: regions[1]: missing field 'name'"},
        Rejection{"MissingRegions", "nats:\n  topology: single\n  urls: [nats://a:1]\n",
                  "deploy.yaml:1: missing field 'regions'"},
        Rejection{"MissingNatsUrls", Replace(kGood, "  urls: [nats://127.0.0.1:4222]\n", ""),
                  "deploy.yaml:2: nats: missing field 'urls'"},
        Rejection{"MissingNats", std::string(kGood).substr(std::string(kGood).find("daemon:")),
                  "deploy.yaml:1: missing field 'nats'"},
        Rejection{"BadTopology", Replace(kGood, "topology: single", "topology: mesh"),
                  "deploy.yaml:2: nats.topology: expected single, supercluster or domains"},
        Rejection{"BadId", Replace(kGood, "id: 2", "id: two"),
                  "deploy.yaml:13: region 'eu-west-1'.id: expected an integer in [1, 65535]"},
        Rejection{"IdZero", Replace(kGood, "id: 2", "id: 0"),
                  "deploy.yaml:13: region 'eu-west-1'.id: expected an integer"},
        Rejection{"BadListen", Replace(kGood, "api: 127.0.0.1:8002", "api: localhost"),
                  "deploy.yaml:14: region 'eu-west-1'.api: 'localhost' is not HOST:PORT"},
        Rejection{"BadUrl", Replace(kGood, "nats://127.0.0.1:4223", "http://x:1"),
                  "deploy.yaml:17: region 'eu-west-1'.nats_urls: 'http://x:1' is not a nats://"},
        Rejection{"BadSetting", Replace(kGood, "workers: 8", "workers: -1"),
                  "deploy.yaml:5: daemon.workers: expected an integer in [1, 1024]"},
        Rejection{"UnknownDaemonKey", Replace(kGood, "workers: 8", "threads: 8"),
                  "deploy.yaml:5: daemon: unknown key 'threads'"},
        Rejection{"ClockOffsetZero",
                  Replace(kGood, "daemon:\n", "clock:\n  max_offset_ms: 0\ndaemon:\n"),
                  "deploy.yaml:5: clock.max_offset_ms: expected an integer in [1, 60000]"},
        Rejection{"ClockOffsetTooLarge",
                  Replace(kGood, "daemon:\n", "clock:\n  max_offset_ms: 60001\ndaemon:\n"),
                  "deploy.yaml:5: clock.max_offset_ms: expected an integer in [1, 60000]"},
        Rejection{"ClockOffsetNotANumber",
                  Replace(kGood, "daemon:\n", "clock:\n  max_offset_ms: 2s\ndaemon:\n"),
                  "deploy.yaml:5: clock.max_offset_ms: expected an integer"},
        Rejection{"UnknownClockKey",
                  Replace(kGood, "daemon:\n", "clock:\n  max_offset: 500\ndaemon:\n"),
                  "deploy.yaml:5: clock: unknown key 'max_offset' (expected one of max_offset_ms)"},
        Rejection{"ClockNotAMapping", Replace(kGood, "daemon:\n", "clock: 500\ndaemon:\n"),
                  "deploy.yaml:4: clock: expected a mapping"},
        Rejection{"OutboxAgeZero",
                  Replace(kGood, "daemon:\n", "replication:\n  outbox_max_age_s: 0\ndaemon:\n"),
                  "deploy.yaml:5: replication.outbox_max_age_s: expected an integer in [1, "
                  "31622400]"},
        Rejection{"OutboxAgeAsDuration",
                  Replace(kGood, "daemon:\n", "replication:\n  outbox_max_age_s: 24h\ndaemon:\n"),
                  "deploy.yaml:5: replication.outbox_max_age_s: expected an integer"},
        Rejection{"OutboxBytesTooSmall",
                  Replace(kGood, "daemon:\n", "replication:\n  outbox_max_bytes: 1000\ndaemon:\n"),
                  "deploy.yaml:5: replication.outbox_max_bytes: expected 0 (no bound) or an "
                  "integer in [1048576, "},
        Rejection{"OutboxBytesNegative",
                  Replace(kGood, "daemon:\n", "replication:\n  outbox_max_bytes: -1\ndaemon:\n"),
                  "deploy.yaml:5: replication.outbox_max_bytes: expected an integer in [0, "},
        Rejection{"UnknownReplicationKey",
                  Replace(kGood, "daemon:\n", "replication:\n  max_age: 60\ndaemon:\n"),
                  "deploy.yaml:5: replication: unknown key 'max_age' (expected one of "
                  "outbox_max_age_s, outbox_max_bytes, tombstone_grace_s, "
                  "tombstone_purge_interval_s)"},
        Rejection{"TombstoneGraceNegative",
                  Replace(kGood, "daemon:\n", "replication:\n  tombstone_grace_s: -5\ndaemon:\n"),
                  "deploy.yaml:5: replication.tombstone_grace_s: expected an integer in [0, "
                  "31622400]"},
        Rejection{"PurgeIntervalZero",
                  Replace(kGood, "daemon:\n",
                          "replication:\n  tombstone_purge_interval_s: 0\ndaemon:\n"),
                  "deploy.yaml:5: replication.tombstone_purge_interval_s: expected an integer in "
                  "[1, 86400]"},
        Rejection{"HeaderTimeoutZero",
                  Replace(kGood, "workers: 8", "workers: 8\n  header_timeout_s: 0"),
                  "deploy.yaml:6: daemon.header_timeout_s: expected an integer in [1, 3600]"},
        Rejection{"BodyTimeoutAsDuration",
                  Replace(kGood, "workers: 8", "workers: 8\n  body_timeout_s: 30s"),
                  "deploy.yaml:6: daemon.body_timeout_s: expected an integer in [1, 3600]"},
        Rejection{"IdleTimeoutTooLong",
                  Replace(kGood, "max_inflight: 7", "max_inflight: 7\n    idle_timeout_s: 86401"),
                  "deploy.yaml:19: region 'eu-west-1'.idle_timeout_s: expected an integer in "
                  "[1, 86400]"},
        Rejection{"MaxConnectionsNegative",
                  Replace(kGood, "workers: 8", "workers: 8\n  max_connections: -1"),
                  "deploy.yaml:6: daemon.max_connections: expected an integer in [0, 1048576]"},
        Rejection{"RegionsNotAList", "regions: 3\n",
                  "deploy.yaml:1: regions: expected a non-empty"},
        Rejection{"Empty", "", "deploy.yaml: the file is empty"},
        Rejection{"SyntaxError", Replace(kGood, "urls: [nats://127.0.0.1:4222]", "urls: [x"),
                  "deploy.yaml:"}),
    [](const auto& info) { return info.param.name; });

TEST(ConfigTest, ParsesConnectionLimitsAndTimeouts) {
  auto d = ParseDeployment(kGood, "deploy.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->regions[0].settings.max_connections, 0);  // derived at start
  EXPECT_EQ(d->regions[0].settings.header_timeout_s, 10);
  EXPECT_EQ(d->regions[0].settings.body_timeout_s, 60);
  EXPECT_EQ(d->regions[0].settings.idle_timeout_s, 60);
  std::string yaml = Replace(kGood, "workers: 8",
                             "workers: 8\n  max_connections: 5000\n  header_timeout_s: 5\n"
                             "  body_timeout_s: 30\n  idle_timeout_s: 120");
  yaml = Replace(yaml, "max_inflight: 7", "max_inflight: 7\n    idle_timeout_s: 3");
  d = ParseDeployment(yaml, "deploy.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  const DaemonSettings& us = d->regions[0].settings;
  EXPECT_EQ(us.max_connections, 5000);
  EXPECT_EQ(us.header_timeout_s, 5);
  EXPECT_EQ(us.body_timeout_s, 30);
  EXPECT_EQ(us.idle_timeout_s, 120);
  EXPECT_EQ(d->regions[1].settings.idle_timeout_s, 3);  // the region's own value
  EXPECT_EQ(d->regions[1].settings.body_timeout_s, 30);
  // Flags override the file.
  CommandLine cl;
  cl.region = "us-east-1";
  cl.max_connections = 200;
  cl.header_timeout_s = 1;
  cl.body_timeout_s = 2;
  cl.idle_timeout_s = 4;
  auto c = ResolveConfig(cl, *d);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->self.settings.max_connections, 200);
  EXPECT_EQ(c->self.settings.header_timeout_s, 1);
  EXPECT_EQ(c->self.settings.body_timeout_s, 2);
  EXPECT_EQ(c->self.settings.idle_timeout_s, 4);
}

TEST(ConfigTest, ApiMaxConnectionsFitsUnderTheDescriptorLimit) {
  struct Case {
    int64_t descriptor_limit;
    int configured;
    int expected;           // -1: refused
    const char* message;    // a part of the refusal
  };
  const Case cases[] = {
      {1024, 0, 1024 - 640 - 64, ""},      // the reserves come off the limit
      {20000, 0, 20000 - 640 - 64, ""},
      {int64_t{1} << 20, 0, 65536, ""},     // capped when derived...
      {int64_t{1} << 20, 200000, 200000, ""},  // ...not when set
      {1024, 320, 320, ""},
      {1024, 321, -1, "max_connections 321 does not fit the descriptor limit (ulimit -n) of 1024: "
                      "at most 320"},
      {767, 0, -1, "the descriptor limit (ulimit -n) of 767 is too low: at least 768"},
      {768, 0, 64, ""},
      {256, 10, -1, "at most 0 after 640"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<int> n = ApiMaxConnections(c.descriptor_limit, c.configured);
    if (c.expected < 0) {
      ASSERT_FALSE(n.ok()) << c.descriptor_limit << " " << c.configured;
      EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(n.status().message()), HasSubstr(c.message));
    } else {
      ASSERT_TRUE(n.ok()) << n.status();
      EXPECT_EQ(*n, c.expected) << c.descriptor_limit << " " << c.configured;
    }
  }
}

TEST(ConfigTest, MissingFileIsNotFound) {
  auto d = LoadDeploymentFile("/nonexistent/deploy.yaml");
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
}

TEST(CommandLineTest, ParsesEveryFlag) {
  auto cl = ParseCommandLine({"--region", "eu", "--region-id=3", "--data-dir", "/d", "--api-listen",
                              "0.0.0.0:1", "--admin-listen=[::1]:2", "--config", "f.yaml",
                              "--workers", "4", "--max-inflight=9", "--io-threads", "2", "--sync",
                              "--max-pending-writes", "5", "--ttl-interval-s", "7",
                              "--max-connections", "300", "--header-timeout-s=2",
                              "--body-timeout-s", "3", "--idle-timeout-s", "4"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(*cl->region, "eu");
  EXPECT_EQ(*cl->region_id, 3u);
  EXPECT_EQ(*cl->data_dir, "/d");
  EXPECT_EQ(*cl->api_listen, "0.0.0.0:1");
  EXPECT_EQ(*cl->admin_listen, "[::1]:2");
  EXPECT_EQ(*cl->config, "f.yaml");
  EXPECT_EQ(*cl->workers, 4);
  EXPECT_EQ(*cl->max_inflight, 9);
  EXPECT_EQ(*cl->max_pending_writes, 5);
  EXPECT_EQ(*cl->ttl_interval_s, 7);
  EXPECT_EQ(*cl->io_threads, 2);
  EXPECT_TRUE(*cl->sync);
  EXPECT_EQ(*cl->max_connections, 300);
  EXPECT_EQ(*cl->header_timeout_s, 2);
  EXPECT_EQ(*cl->body_timeout_s, 3);
  EXPECT_EQ(*cl->idle_timeout_s, 4);
}

TEST(CommandLineTest, RejectsBadFlags) {
  EXPECT_THAT(std::string(ParseCommandLine({"--bogus"}).status().message()),
              HasSubstr("unknown flag '--bogus'"));
  EXPECT_THAT(std::string(ParseCommandLine({"--region"}).status().message()),
              HasSubstr("--region: missing value"));
  EXPECT_THAT(std::string(ParseCommandLine({"--region-id", "0"}).status().message()),
              HasSubstr("--region-id: expected an integer in [1, 65535]"));
  EXPECT_THAT(std::string(ParseCommandLine({"--api-listen", "8000"}).status().message()),
              HasSubstr("--api-listen: '8000' is not HOST:PORT"));
  EXPECT_THAT(std::string(ParseCommandLine({"--idle-timeout-s", "0"}).status().message()),
              HasSubstr("--idle-timeout-s: expected an integer in [1, 86400]"));
  EXPECT_THAT(std::string(ParseCommandLine({"--max-connections=-5"}).status().message()),
              HasSubstr("--max-connections: expected an integer in [0, 1048576]"));
}

TEST(ResolveConfigTest, DefaultsWithNoFlags) {
  auto c = ResolveConfig(CommandLine{}, std::nullopt);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->self.name, "local");
  EXPECT_EQ(c->self.id, 1u);
  EXPECT_EQ(c->self.api, "127.0.0.1:8000");
  EXPECT_EQ(c->self.admin, "127.0.0.1:9464");
  EXPECT_EQ(c->self.data_dir, "./globaltable-data");
  EXPECT_TRUE(c->deployment.regions.empty());
}

TEST(ResolveConfigTest, FlagsOverrideTheFile) {
  auto d = ParseDeployment(kGood, "deploy.yaml");
  ASSERT_TRUE(d.ok());
  CommandLine cl;
  cl.region = "eu-west-1";
  cl.data_dir = "/elsewhere";
  cl.api_listen = "127.0.0.1:18002";
  cl.workers = 3;
  auto c = ResolveConfig(cl, *d);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->self.name, "eu-west-1");
  EXPECT_EQ(c->self.id, 2u);
  EXPECT_EQ(c->self.data_dir, "/elsewhere");
  EXPECT_EQ(c->self.api, "127.0.0.1:18002");
  EXPECT_EQ(c->self.admin, "127.0.0.1:9002");
  EXPECT_EQ(c->self.settings.workers, 3);
  EXPECT_EQ(c->self.settings.max_inflight, 7);
  EXPECT_EQ(c->deployment.regions.size(), 2u);
}

TEST(ResolveConfigTest, MaxPendingWritesFromTheFileOrTheFlag) {
  std::string yaml = kGood;
  yaml.replace(yaml.find("max_inflight: 7"), 15, "max_inflight: 7\n    max_pending_writes: 3");
  auto d = ParseDeployment(yaml, "deploy.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  CommandLine cl;
  cl.region = "eu-west-1";
  auto c = ResolveConfig(cl, *d);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->self.settings.max_pending_writes, 3);
  cl.max_pending_writes = 0;
  c = ResolveConfig(cl, *d);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->self.settings.max_pending_writes, 0);
  yaml.replace(yaml.find("max_pending_writes: 3"), 21, "max_pending_writes: -1");
  EXPECT_FALSE(ParseDeployment(yaml, "deploy.yaml").ok());
}

TEST(ResolveConfigTest, RegionMustBeChosenAndExist) {
  auto d = ParseDeployment(kGood, "deploy.yaml");
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(std::string(ResolveConfig(CommandLine{}, *d).status().message()),
              HasSubstr("has 2 regions: pick one with --region"));
  CommandLine cl;
  cl.region = "ap-south-1";
  EXPECT_THAT(std::string(ResolveConfig(cl, *d).status().message()),
              HasSubstr("--region ap-south-1: not in deploy.yaml (regions: us-east-1, eu-west-1)"));
  cl.region = "us-east-1";
  cl.region_id = 2;
  EXPECT_THAT(std::string(ResolveConfig(cl, *d).status().message()),
              HasSubstr("already the id of region 'eu-west-1'"));
}

}  // namespace
}  // namespace globaltable::daemon
