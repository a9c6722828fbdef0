// Tests for RegionControl on a real store in a fresh temp directory: modes reject writes with
// clear errors, persist across reopen, fencing waits for writes in flight, single-primary
// tables, cut hooks and drill history.
#include "daemon/control/region_control.h"

#include <stdlib.h>

#include <regex>

#include <filesystem>
#include <thread>

#include "absl/synchronization/notification.h"
#include "clock/hlc.h"
#include "daemon/control/admin_endpoints.h"
#include "gtest/gtest.h"
#include "storage/store_testing.h"

namespace globaltable::daemon {
namespace {

class RegionControlTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gt_control_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Open();
  }
  void TearDown() override {
    control_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    control_.reset();
    store_.reset();
    storage::StoreOptions opts;
    opts.dir = dir_;
    opts.region_id = 1;
    opts.region_name = "us-east-1";
    auto store = storage::Store::Open(opts, &clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto control = RegionControl::Create(store_.get(), &metrics_, "us-east-1");
    ASSERT_TRUE(control.ok()) << control.status();
    control_ = std::move(*control);
  }
  proto::TableSchema Table(const std::string& primary = "") {
    proto::TableSchema s;
    s.set_name("orders");
    s.set_primary_region(primary);
    return s;
  }

  std::string dir_;
  clock::HybridClock clock_{clock::SystemClock::Default()};
  Metrics metrics_{"us-east-1"};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<RegionControl> control_;
};

TEST_F(RegionControlTest, ModesRejectWritesWithClearErrors) {
  EXPECT_TRUE(control_->BeginWrite(Table()).ok());
  ASSERT_TRUE(control_->SetMode(WriteMode::kReadOnly).ok());
  auto ro = control_->BeginWrite(Table());
  ASSERT_FALSE(ro.ok());
  EXPECT_EQ(ro.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ro.status().message(),
            "Region us-east-1 is read-only: it serves reads but rejects writes");
  EXPECT_FALSE(control_->CheckTableChange().ok());
  EXPECT_TRUE(control_->PublishingAllowed());

  ASSERT_TRUE(control_->SetMode(WriteMode::kFenced).ok());
  auto fenced = control_->BeginWrite(Table());
  ASSERT_FALSE(fenced.ok());
  EXPECT_NE(fenced.status().message().find("is fenced for failover"), std::string::npos);
  EXPECT_FALSE(control_->PublishingAllowed());
  EXPECT_NE(metrics_.Serialize().find("globaltable_write_mode{region=\"us-east-1\",mode=\"fenced\"} 1"),
            std::string::npos);

  ASSERT_TRUE(control_->SetMode(WriteMode::kActive).ok());
  EXPECT_TRUE(control_->BeginWrite(Table()).ok());
}

TEST_F(RegionControlTest, ModeCutAndDrillsSurviveReopen) {
  ASSERT_TRUE(control_->SetMode(WriteMode::kFenced).ok());
  ASSERT_TRUE(control_->SetCut(true).ok());
  ASSERT_TRUE(control_->RecordDrill(R"({"kind":"planned","success":true,"rto_seconds":1.5})").ok());
  ASSERT_TRUE(control_->RecordDrill(R"({"kind":"unplanned","success":false})").ok());
  Open();
  EXPECT_EQ(control_->mode(), WriteMode::kFenced);
  EXPECT_TRUE(control_->cut());
  ASSERT_EQ(control_->drills().size(), 2u);
  EXPECT_NE(control_->drills()[0].find("unplanned"), std::string::npos);  // newest first
}

TEST_F(RegionControlTest, DrillHistoryIsBoundedAndRejectsGarbage) {
  for (size_t i = 0; i < RegionControl::kMaxDrills + 5; ++i) {
    ASSERT_TRUE(control_->RecordDrill("{\"kind\":\"planned\",\"n\":" + std::to_string(i) + "}").ok());
  }
  EXPECT_EQ(control_->drills().size(), RegionControl::kMaxDrills);
  EXPECT_NE(control_->drills()[0].find("\"n\":24"), std::string::npos);
  EXPECT_EQ(control_->RecordDrill("not json").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(control_->drills().size(), RegionControl::kMaxDrills);
}

TEST_F(RegionControlTest, DrillReportsAreBoundedAndValidUtf8) {
  // RecordDrill used to parse recursively: a million levels overflowed the stack.
  absl::Status s = control_->RecordDrill(std::string(1000000, '['));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "the request body nests deeper than 64 levels");
  std::string deep;
  for (int i = 0; i < 63; ++i) deep += "{\"a\":";
  deep += "1" + std::string(63, '}');
  EXPECT_TRUE(control_->RecordDrill(R"({"kind":"planned","x":)" + deep + "}").ok());
  EXPECT_EQ(control_->RecordDrill(R"({"kind":"planned","x":)" + ("{\"a\":" + deep + "}") + "}")
                .message(),
            "the request body nests deeper than 64 levels");
  s = control_->RecordDrill("{\"kind\":\"\xC3\x28\"}");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not valid UTF-8"), absl::string_view::npos) << s;
  EXPECT_EQ(control_->drills().size(), 1u);
  // The saved history (reports at the bound included) loads again.
  Open();
  EXPECT_EQ(control_->drills().size(), 1u);
}

TEST_F(RegionControlTest, FenceWaitsForWritesInFlight) {
  auto ticket = control_->BeginWrite(Table());
  ASSERT_TRUE(ticket.ok());
  absl::Notification fenced;
  std::thread fencer([&] {
    ASSERT_TRUE(control_->SetMode(WriteMode::kFenced).ok());
    fenced.Notify();
  });
  // The fence cannot complete while the admitted write is outstanding. Wait until the mode
  // flipped (new writes rejected) to know the fencer is blocked on the gate.
  while (control_->mode() != WriteMode::kFenced) std::this_thread::yield();
  EXPECT_FALSE(fenced.HasBeenNotified());
  { RegionControl::WriteTicket done = std::move(*ticket); }
  fencer.join();
  EXPECT_TRUE(fenced.HasBeenNotified());
}

TEST_F(RegionControlTest, SinglePrimaryTablesAcceptWritesOnlyInThePrimary) {
  EXPECT_TRUE(control_->BeginWrite(Table("us-east-1")).ok());
  auto other = control_->BeginWrite(Table("eu-west-1"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().message(),
            "Table orders is single-primary and its primary region is eu-west-1: write to "
            "eu-west-1");
}

TEST_F(RegionControlTest, CutHookSeesCurrentAndLaterStates) {
  std::vector<bool> seen;
  control_->SetCutHook([&](bool cut) { seen.push_back(cut); });
  ASSERT_TRUE(control_->SetCut(true).ok());
  ASSERT_TRUE(control_->SetCut(false).ok());
  EXPECT_EQ(seen, (std::vector<bool>{false, true, false}));
  EXPECT_EQ(ParseWriteMode("bogus").status().code(), absl::StatusCode::kInvalidArgument);
}

// /v1/status's last_local_hlc is the newest write's, not the newest heartbeat's.
TEST_F(RegionControlTest, StatusLastLocalHlcIsTheNewestWrite) {
  using storage::testing::MakeItem;
  using storage::testing::S;
  ASSERT_TRUE(store_->CreateTable(storage::testing::MakeSchema("orders", proto::S)).ok());
  proto::Item item = MakeItem({{"pk", S("a")}});
  absl::StatusOr<storage::WriteResult> w = store_->Write(
      "orders", item, [&](const proto::Item*) -> absl::StatusOr<storage::WriteDecision> {
        return storage::WriteDecision::Put(item);
      });
  ASSERT_TRUE(w.ok()) << w.status();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_->WriteHeartbeats().ok());
  ControlEndpoints endpoints(store_.get(), control_.get(), &metrics_, {"us-east-1", 1},
                             {{"us-east-1", 1}, {"eu-west-1", 2}}, nullptr);
  const std::string status = endpoints.StatusJson();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(status, m, std::regex("\"last_local_hlc\":([0-9]+)"))) << status;
  EXPECT_EQ(std::stoull(m[1]), w->version.hlc);
}

}  // namespace
}  // namespace globaltable::daemon
