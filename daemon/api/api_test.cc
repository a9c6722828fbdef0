// Unit tests of the API's dispatch (targets, malformed and hostile bodies, where operations
// run) and of its operations against a real store (validation, batches, return values).
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

TEST_F(DispatchTest, DeepBodiesAreRefusedNotACrash) {
  // A million nested arrays or objects used to overflow the stack of RapidJSON's recursive
  // parse. The table need not exist: the body is refused before anything reads it.
  for (bool objects : {false, true}) {
    std::string body = R"({"TableName":"t","Item":)";
    for (int i = 0; i < 1000000; ++i) body += objects ? "{\"a\":" : "[";
    HttpResponse r = Call("DynamoDB_20120810.PutItem", body);
    EXPECT_EQ(r.status, 400);
    EXPECT_THAT(r.body, HasSubstr("#ValidationException"));
    EXPECT_THAT(r.body, HasSubstr("Nesting Levels have exceeded supported limits"));
  }
}

TEST_F(DispatchTest, InvalidUtf8IsASerializationException) {
  for (const std::string& body : {std::string("{\"TableName\":\"t\xC3\x28\"}"),
                                 std::string(R"({"TableName":"t\udc00"})"),
                                 std::string(R"({"TableName":"t\ud800"})")}) {
    HttpResponse r = Call("DynamoDB_20120810.DescribeTable", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_THAT(r.body, HasSubstr("#SerializationException")) << body;
    EXPECT_THAT(r.body, HasSubstr("Invalid UTF-8 in the request body at offset")) << body;
  }
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

TEST_F(DispatchTest, InlineRequests) {
  HttpRequest r;
  for (const char* op : {"GetItem", "DescribeTable", "ListTables", "Query"}) {
    r.amz_target = std::string("DynamoDB_20120810.") + op;
    EXPECT_TRUE(Api::RunsInline(r, /*store_syncs=*/false)) << op;
    EXPECT_TRUE(Api::RunsInline(r, /*store_syncs=*/true)) << op;
  }
  // Single-item writes run inline only when they do not wait for an fsync.
  for (const char* op : {"PutItem", "UpdateItem", "DeleteItem"}) {
    r.amz_target = std::string("DynamoDB_20120810.") + op;
    EXPECT_TRUE(Api::RunsInline(r, /*store_syncs=*/false)) << op;
    EXPECT_FALSE(Api::RunsInline(r, /*store_syncs=*/true)) << op;
  }
  for (const char* op : {"Scan", "BatchGetItem", "BatchWriteItem", "CreateTable", "DeleteTable",
                         "UpdateTable", "PutItemX", ""}) {
    r.amz_target = std::string("DynamoDB_20120810.") + op;
    EXPECT_FALSE(Api::RunsInline(r, /*store_syncs=*/false)) << op;
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

namespace globaltable::daemon::api {
namespace {

// A Store that forwards to a real one, and lets a test hold a write at a chosen key: the hook
// runs on the writing thread before the write reaches the store.
class HookedStore final : public storage::Store {
 public:
  explicit HookedStore(storage::Store* base) : base_(base) {}
  std::function<void(const proto::Item& key)> before_write;

  absl::StatusOr<proto::TableSchema> CreateTable(proto::TableSchema schema) override {
    return base_->CreateTable(std::move(schema));
  }
  absl::Status DeleteTable(absl::string_view name) override { return base_->DeleteTable(name); }
  absl::StatusOr<proto::TableSchema> DescribeTable(absl::string_view name) const override {
    return base_->DescribeTable(name);
  }
  absl::StatusOr<proto::TableSchema> UpdateTable(proto::TableSchema schema) override {
    return base_->UpdateTable(std::move(schema));
  }
  std::vector<std::string> ListTables() const override { return base_->ListTables(); }
  absl::StatusOr<storage::TableStats> GetTableStats(absl::string_view name) const override {
    return base_->GetTableStats(name);
  }
  absl::StatusOr<std::optional<proto::Item>> GetItem(absl::string_view table,
                                                     const proto::Item& key) const override {
    return base_->GetItem(table, key);
  }
  absl::StatusOr<storage::WriteResult> Write(absl::string_view table, const proto::Item& key,
                                             const storage::DecisionFn& decide) override {
    if (before_write) before_write(key);
    return base_->Write(table, key, decide);
  }
  absl::StatusOr<std::vector<storage::WriteResult>> WriteMany(
      absl::string_view table, absl::Span<const storage::WriteOp> ops) override {
    if (before_write) {
      for (const storage::WriteOp& op : ops) before_write(op.key);
    }
    return base_->WriteMany(table, ops);
  }
  absl::Status Scan(const storage::ScanSpec& spec,
                    const storage::ScanVisitor& visit) const override {
    return base_->Scan(spec, visit);
  }
  uint32_t num_partitions() const override { return base_->num_partitions(); }
  uint64_t LastSequence(uint32_t partition) const override {
    return base_->LastSequence(partition);
  }
  absl::StatusOr<std::vector<storage::ChangeLogRecord>> ReadChangeLogRecords(
      uint32_t partition, uint64_t from, size_t max_records, size_t max_bytes) const override {
    return base_->ReadChangeLogRecords(partition, from, max_records, max_bytes);
  }
  absl::StatusOr<std::vector<proto::Mutation>> ReadChangeLog(uint32_t partition, uint64_t from,
                                                             size_t max_records,
                                                             size_t max_bytes) const override {
    return base_->ReadChangeLog(partition, from, max_records, max_bytes);
  }
  absl::Status TrimChangeLog(uint32_t partition, uint64_t below) override {
    return base_->TrimChangeLog(partition, below);
  }
  void SetCommitListener(
      std::function<void(uint32_t partition, uint64_t last_sequence)> listener) override {
    base_->SetCommitListener(std::move(listener));
  }
  absl::StatusOr<storage::ApplyResult> ApplyBatch(const proto::MutationBatch& batch) override {
    return base_->ApplyBatch(batch);
  }
  uint64_t AppliedWatermark(clock::RegionId origin, uint32_t partition) const override {
    return base_->AppliedWatermark(origin, partition);
  }
  absl::StatusOr<uint64_t> SkipSequences(clock::RegionId origin, uint32_t partition,
                                         uint64_t through) override {
    return base_->SkipSequences(origin, partition, through);
  }
  clock::Timestamp AppliedHlc(clock::RegionId origin) const override {
    return base_->AppliedHlc(origin);
  }
  absl::StatusOr<std::vector<storage::WriteResult>> WriteTransaction(
      absl::Span<const storage::TransactionWrite> ops) override {
    return base_->WriteTransaction(ops);
  }
  absl::StatusOr<std::vector<std::optional<proto::Item>>> GetItems(
      absl::Span<const storage::ItemRef> refs) const override {
    return base_->GetItems(refs);
  }
  std::optional<clock::Timestamp> ClosedHlc(clock::RegionId origin) const override {
    return base_->ClosedHlc(origin);
  }
  absl::StatusOr<uint32_t> WriteHeartbeats() override { return base_->WriteHeartbeats(); }
  absl::StatusOr<uint64_t> PurgeTombstones(clock::Timestamp safe_hlc) override {
    return base_->PurgeTombstones(safe_hlc);
  }
  absl::StatusOr<storage::TableDigest> Digest(absl::string_view table) const override {
    return base_->Digest(table);
  }
  std::vector<storage::ConflictRecord> RecentConflicts() const override {
    return base_->RecentConflicts();
  }
  std::vector<storage::ConflictCount> ConflictCounts() const override {
    return base_->ConflictCounts();
  }
  storage::StoreStats stats() const override { return base_->stats(); }
  absl::Status PutSetting(absl::string_view name, absl::string_view value) override {
    return base_->PutSetting(name, value);
  }
  absl::StatusOr<std::optional<std::string>> GetSetting(absl::string_view name) const override {
    return base_->GetSetting(name);
  }

 private:
  storage::Store* const base_;
};

// The string value of the partition key "pk" of `key`.
std::string Pk(const proto::Item& key) {
  for (const proto::Attribute& a : key.attributes()) {
    if (a.name() == "pk") return a.value().s();
  }
  return "";
}

std::string Canonical(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  v.Accept(w);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Operations against a real store in a fresh directory, through Api::Handle.
class ApiStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StoreOptions opts;
    opts.dir = dir_.Sub("store");
    auto store = storage::Store::Open(opts, &clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    base_ = std::move(*store);
    store_ = std::make_unique<HookedStore>(base_.get());
    ApiOptions options;
    options.max_pending_writes = 1;
    api_ = std::make_unique<Api>(store_.get(), options, nullptr);
    HttpResponse r = Call("CreateTable", R"({"TableName":"tbl","BillingMode":"PAY_PER_REQUEST",
        "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  HttpResponse Call(const std::string& op, const std::string& body) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.amz_target = "DynamoDB_20120810." + op;
    r.body = body;
    return api_->Handle(r);
  }

  // Every item of the table, as DynamoDB JSON, in key order.
  std::vector<std::string> Items(const std::string& table = "tbl") {
    std::vector<std::string> out;
    storage::ScanSpec spec;
    spec.table = table;
    absl::Status s = base_->Scan(spec, [&](const proto::Item& item, size_t) {
      rapidjson::StringBuffer buffer;
      JsonWriter w(buffer);
      EncodeItem(item, &w);
      out.emplace_back(buffer.GetString(), buffer.GetSize());
      return true;
    });
    EXPECT_TRUE(s.ok()) << s;
    std::sort(out.begin(), out.end());
    return out;
  }

  static std::string Put(const std::string& pk) {
    return R"({"PutRequest":{"Item":{"pk":{"S":")" + pk + R"("},"v":{"N":"1"}}}})";
  }
  static std::string Batch(const std::vector<std::string>& pks) {
    std::string entries;
    for (const std::string& pk : pks) entries += (entries.empty() ? "" : ",") + Put(pk);
    return R"({"RequestItems":{"tbl":[)" + entries + "]}}";
  }

  // Runs a PutItem of `pk` on its own thread and returns once its write is held in the store
  // (counted as in progress) until `release` is notified.
  std::thread HoldWrite(const std::string& pk, absl::Notification* release) {
    auto held = std::make_shared<absl::Notification>();
    {
      absl::MutexLock lock(&mu_);
      holds_[pk] = {held, release};
    }
    std::thread t([this, pk] {
      HttpResponse r =
          Call("PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":")" + pk + R"("}}})");
      EXPECT_EQ(r.status, 200) << r.body;
    });
    held->WaitForNotification();
    return t;
  }

  void InstallHook() {
    store_->before_write = [this](const proto::Item& key) {
      std::string pk = Pk(key);
      std::function<void()> on_write;
      std::shared_ptr<absl::Notification> held;
      absl::Notification* release = nullptr;
      {
        absl::MutexLock lock(&mu_);
        if (auto it = holds_.find(pk); it != holds_.end()) {
          held = it->second.first;
          release = it->second.second;
        }
        if (auto it = on_write_.find(pk); it != on_write_.end()) on_write = it->second;
      }
      if (on_write) on_write();
      if (held != nullptr) {
        held->Notify();
        release->WaitForNotification();
      }
    };
  }

  storage::testing::TempDir dir_;
  clock::HybridClock clock_{clock::SystemClock::Default()};
  std::unique_ptr<storage::Store> base_;
  std::unique_ptr<HookedStore> store_;
  std::unique_ptr<Api> api_;
  absl::Mutex mu_;
  std::map<std::string, std::pair<std::shared_ptr<absl::Notification>, absl::Notification*>> holds_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::function<void()>> on_write_ ABSL_GUARDED_BY(mu_);
};

TEST_F(ApiStoreTest, InvalidUtf8AnywhereIsRefusedAndWritesNothing) {
  ASSERT_EQ(Call("PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"a"},"v":{"N":"1"}}})").status,
            200);
  const std::vector<std::string> before = Items();
  const std::string bad = "\xC3\x28";
  const std::string surrogate = "\\udc00";  // an escape, as JSON text
  struct Request {
    const char* op;
    std::string body;
  };
  std::vector<Request> requests;
  for (const std::string& b : {bad, surrogate}) {
    const std::vector<Request> each = {
        {"PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"x)" + b + R"("}}})"},
        {"PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"a"},"v)" + b + R"(":{"N":"2"}}})"},
        {"PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"a"},"s":{"SS":["ok",")" + b +
                        R"("]}}})"},
        {"PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"a"},"m":{"M":{"k":{"L":[{"S":")" +
                        b + R"("}]}}}}})"},
        {"PutItem", R"({"TableName":"tbl)" + b + R"(","Item":{"pk":{"S":"a"}}})"},
        {"DeleteItem", R"({"TableName":"tbl","Key":{"pk":{"S":"a)" + b + R"("}}})"},
        {"DeleteItem", R"({"TableName":"tbl","Key":{"pk":{"S":"a"}},)"
                       R"("ConditionExpression":"#n = :v","ExpressionAttributeNames":{"#n":"v)" +
                           b + R"("},"ExpressionAttributeValues":{":v":{"N":"1"}}})"},
        {"UpdateItem", R"({"TableName":"tbl","Key":{"pk":{"S":"a"}},)"
                       R"("UpdateExpression":"SET v = :v","ExpressionAttributeValues":)"
                       R"({":v":{"S":")" + b + R"("}}})"},
        {"UpdateItem", R"({"TableName":"tbl","Key":{"pk":{"S":"a"}},)"
                       R"("UpdateExpression":"SET v)" + b + R"( = :v",)"
                       R"("ExpressionAttributeValues":{":v":{"N":"3"}}})"},
        {"BatchWriteItem", R"({"RequestItems":{"tbl":[{"PutRequest":{"Item":{"pk":{"S":"b"},)"
                           R"("v":{"S":")" + b + R"("}}}}]}})"},
        {"TransactWriteItems", R"({"TransactItems":[{"Put":{"TableName":"tbl","Item":)"
                               R"({"pk":{"S":"c"},"v)" + b + R"(":{"N":"1"}}}}]})"},
        {"TagResource", R"({"ResourceArn":"arn:aws:dynamodb:r:000000000000:table/tbl",)"
                        R"("Tags":[{"Key":"k","Value":"v)" + b + R"("}]})"},
    };
    requests.insert(requests.end(), each.begin(), each.end());
  }
  for (const Request& r : requests) {
    HttpResponse resp = Call(r.op, r.body);
    EXPECT_EQ(resp.status, 400) << r.op << " " << r.body;
    EXPECT_THAT(resp.body, HasSubstr("#SerializationException")) << r.body;
  }
  EXPECT_EQ(Items(), before);
  absl::StatusOr<proto::TableSchema> schema = base_->DescribeTable("tbl");
  ASSERT_TRUE(schema.ok());
  EXPECT_EQ(schema->tags_size(), 0);
}

TEST_F(ApiStoreTest, AnItemWithInvalidUtf8FromBeforeValidationCanBeReadAndReplaced) {
  // What the API stored before it validated UTF-8 (and what an older region may replicate):
  // an item whose names and strings hold invalid bytes. Its key is such a string too.
  const std::string bad_pk = "k\xC3\x28";
  proto::Item item;
  storage::SetAttribute(&item, "pk", storage::testing::S(bad_pk));
  storage::SetAttribute(&item, "v\xFF", storage::testing::S("\xED\xA0\x80"));
  proto::AttributeValue ss;
  ss.mutable_ss()->add_values("\xC0\xAF");
  storage::SetAttribute(&item, "ss", ss);
  ASSERT_TRUE(storage::CanonicalizeItem(&item).ok());
  proto::Item key;
  storage::SetAttribute(&key, "pk", storage::testing::S(bad_pk));
  absl::StatusOr<storage::WriteResult> w =
      base_->Write("tbl", key, [&](const proto::Item*) -> absl::StatusOr<storage::WriteDecision> {
        storage::WriteDecision d;
        d.kind = storage::WriteDecision::Kind::kPut;
        d.item = item;
        return d;
      });
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE(Call("PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"good"}}})").status == 200);

  // Read: the stored bytes parse, and the answer is valid UTF-8 with U+FFFD in their place.
  absl::StatusOr<std::optional<proto::Item>> stored = base_->GetItem("tbl", key);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_TRUE(stored->has_value());
  const std::string shown_pk = "k\xEF\xBF\xBD(";
  HttpResponse scan = Call("Scan", R"({"TableName":"tbl"})");
  ASSERT_EQ(scan.status, 200) << scan.body;
  EXPECT_TRUE(IsValidUtf8(scan.body)) << scan.body;
  EXPECT_THAT(scan.body, HasSubstr(R"("pk":{"S":")" + shown_pk + R"("})"));
  EXPECT_THAT(scan.body, HasSubstr("\"v\xEF\xBF\xBD\":{\"S\":\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"}"));
  EXPECT_THAT(scan.body, HasSubstr(R"("Count":2)"));
  absl::StatusOr<storage::TableDigest> digest = base_->Digest("tbl");
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(digest->items, 2u);
  // The same bytes in a replicated batch parse too (peers used to refuse the whole batch).
  proto::MutationBatch batch;
  proto::Mutation* m = batch.add_mutations();
  m->set_kind(proto::Mutation::PUT);
  m->set_table("tbl");
  *m->mutable_item() = item;
  proto::MutationBatch parsed;
  ASSERT_TRUE(parsed.ParseFromString(batch.SerializeAsString()));
  EXPECT_EQ(parsed.mutations(0).item().SerializeAsString(), item.SerializeAsString());
  // A client cannot name the invalid key (its request would be refused), so GetItem by the
  // key it was shown finds nothing rather than failing.
  HttpResponse get = Call("GetItem", R"({"TableName":"tbl","Key":{"pk":{"S":")" + shown_pk +
                                         R"("}}})");
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(get.body, "{}");

  // Overwrite and delete go through the store's read of the current item: they must parse it.
  for (const char* op : {"PutItem", "DeleteItem"}) {
    w = base_->Write("tbl", key, [&](const proto::Item* current)
                                     -> absl::StatusOr<storage::WriteDecision> {
      EXPECT_NE(current, nullptr) << op;
      storage::WriteDecision d;
      d.kind = std::string(op) == "PutItem" ? storage::WriteDecision::Kind::kPut
                                            : storage::WriteDecision::Kind::kDelete;
      d.item = key;
      storage::SetAttribute(&d.item, "v", storage::testing::S("fixed"));
      return d;
    });
    ASSERT_TRUE(w.ok()) << op << ": " << w.status();
  }
  scan = Call("Scan", R"({"TableName":"tbl"})");
  ASSERT_EQ(scan.status, 200) << scan.body;
  EXPECT_THAT(scan.body, HasSubstr(R"("Count":1)"));
  // And through the API, an item with such a value among others (a Scan's page).
  EXPECT_EQ(Call("DeleteItem", R"({"TableName":"tbl","Key":{"pk":{"S":"good"}}})").status, 200);
}

TEST_F(ApiStoreTest, UpdateCannotNestDeeperThan32Levels) {
  std::string v31 = R"({"S":"x"})";
  for (int i = 0; i < 31; ++i) v31 = R"({"M":{"k":)" + v31 + "}}";
  HttpResponse r = Call("PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"d"},"a":)" + v31 +
                                       "}}");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::vector<std::string> before = Items();
  // a is 31 levels deep; setting a.k.k (inside two of them) to a 31-level value makes 33.
  const std::string update = R"({"TableName":"tbl","Key":{"pk":{"S":"d"}},"UpdateExpression":)";
  r = Call("UpdateItem", update + R"("SET a.k.k = :v","ExpressionAttributeValues":{":v":)" + v31 +
                             "}}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("#ValidationException"));
  EXPECT_THAT(r.body, HasSubstr("Nesting Levels have exceeded supported limits"));
  EXPECT_EQ(Items(), before);
  // One level less is DynamoDB's 32: a.k set to the 31-level value.
  r = Call("UpdateItem", update + R"("SET a.k = :v","ExpressionAttributeValues":{":v":)" + v31 +
                             "}}");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(ApiStoreTest, ThirtyTwoLevelsFitStoredItemsAndBatches) {
  // Protobuf refuses messages nested deeper than 100; an item at DynamoDB's limit must fit a
  // stored item and a replicated batch.
  std::string v = R"({"S":"x"})";
  for (int i = 0; i < 32; ++i) v = R"({"M":{"k":)" + v + "}}";
  HttpResponse r =
      Call("PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"deep"},"a":)" + v + "}}");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("GetItem", R"({"TableName":"tbl","Key":{"pk":{"S":"deep"}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr(v));
  bool found = false;
  for (uint32_t p = 0; p < base_->num_partitions() && !found; ++p) {
    if (base_->LastSequence(p) == 0) continue;
    absl::StatusOr<std::vector<proto::Mutation>> log =
        base_->ReadChangeLog(p, 1, 100, 1 << 20);
    ASSERT_TRUE(log.ok()) << log.status();
    for (const proto::Mutation& m : *log) {
      if (m.kind() != proto::Mutation::PUT || m.item().attributes_size() != 2) continue;
      proto::MutationBatch batch;
      *batch.add_mutations() = m;
      proto::MutationBatch parsed;
      EXPECT_TRUE(parsed.ParseFromString(batch.SerializeAsString()));
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ApiStoreTest, BatchWithNoRoomWritesNothingAndThrottles) {
  InstallHook();
  absl::Notification release;
  std::thread holder = HoldWrite("held", &release);  // the one write max_pending_writes allows
  HttpResponse r = Call("BatchWriteItem", Batch({"a", "b", "c"}));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("#ProvisionedThroughputExceededException\""));
  EXPECT_TRUE(Items().empty());
  release.Notify();
  holder.join();

  // With room again, the same batch goes through.
  r = Call("BatchWriteItem", Batch({"a", "b", "c"}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"UnprocessedItems":{}})");
  EXPECT_EQ(Items().size(), 4u);
}

TEST_F(ApiStoreTest, BatchReturnsWhatItCouldNotWriteInRequestShape) {
  HttpResponse created = Call("CreateTable", R"({"TableName":"tbl2",
      "BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]})");
  ASSERT_EQ(created.status, 200) << created.body;
  InstallHook();
  absl::Notification release;
  std::thread holder;
  // While tbl's members are being written (one commit), another client's write arrives and
  // stays in the store: from then on the region has no room, so tbl2's members are left for
  // the client to resend.
  {
    absl::MutexLock lock(&mu_);
    on_write_["b"] = [&] { holder = HoldWrite("other", &release); };
  }
  HttpResponse r = Call("BatchWriteItem", R"({"RequestItems":{"tbl":[)" + Put("a") + "," +
                                              Put("b") + R"(],"tbl2":[)" + Put("c") + "," +
                                              Put("d") + "]}}");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  ASSERT_TRUE(doc.IsObject()) << r.body;
  const rapidjson::Value& left = doc["UnprocessedItems"];
  rapidjson::Document expected;
  expected.Parse(("[" + Put("c") + "," + Put("d") + "]").c_str());
  ASSERT_TRUE(left.HasMember("tbl2")) << r.body;
  EXPECT_FALSE(left.HasMember("tbl")) << r.body;
  EXPECT_EQ(Canonical(left["tbl2"]), Canonical(expected));
  EXPECT_EQ(Items(), (std::vector<std::string>{R"({"pk":{"S":"a"},"v":{"N":"1"}})",
                                               R"({"pk":{"S":"b"},"v":{"N":"1"}})"}));
  EXPECT_TRUE(Items("tbl2").empty());
  release.Notify();
  holder.join();

  // UnprocessedItems is a valid RequestItems: resending it completes the batch.
  r = Call("BatchWriteItem", R"({"RequestItems":)" + Canonical(left) + "}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"UnprocessedItems":{}})");
  EXPECT_EQ(Items().size(), 3u);  // a, b and the other client's item
  EXPECT_EQ(Items("tbl2").size(), 2u);
}

TEST_F(ApiStoreTest, ReturnValuesOnConditionCheckFailure) {
  ASSERT_EQ(Call("PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"k"},"v":{"N":"1"}}})").status,
            200);
  const std::string item = R"({"pk":{"S":"k"},"v":{"N":"1"}})";
  const std::string cond =
      R"("ConditionExpression":"v = :two","ExpressionAttributeValues":{":two":{"N":"2"}})";
  struct Case {
    std::string op;
    std::string body;
  } cases[] = {
      {"PutItem", R"("Item":{"pk":{"S":"k"},"v":{"N":"9"}})"},
      {"UpdateItem", R"("Key":{"pk":{"S":"k"}},"UpdateExpression":"SET w = :two")"},
      {"DeleteItem", R"("Key":{"pk":{"S":"k"}})"},
  };
  for (const Case& c : cases) {
    std::string base = R"({"TableName":"tbl",)" + c.body + "," + cond;
    HttpResponse r = Call(c.op, base + R"(,"ReturnValuesOnConditionCheckFailure":"ALL_OLD"})");
    EXPECT_EQ(r.status, 400) << c.op;
    EXPECT_EQ(r.body, R"({"__type":"com.amazonaws.dynamodb.v20120810#)"
                      R"(ConditionalCheckFailedException","message":"The conditional request )"
                      R"(failed","Item":)" +
                          item + "}")
        << c.op;
    r = Call(c.op, base + R"(,"ReturnValuesOnConditionCheckFailure":"NONE"})");
    EXPECT_THAT(r.body, Not(HasSubstr("Item"))) << c.op;
    EXPECT_THAT(r.body, HasSubstr("#ConditionalCheckFailedException")) << c.op;
    r = Call(c.op, base + R"(,"ReturnValuesOnConditionCheckFailure":"ALL_NEW"})");
    EXPECT_THAT(r.body, HasSubstr("#ValidationException")) << c.op;
    EXPECT_THAT(r.body, HasSubstr("1 validation error detected: Value 'ALL_NEW' at "
                                  "'returnValuesOnConditionCheckFailure' failed to satisfy "
                                  "constraint: Member must satisfy enum value set: [ALL_OLD, "
                                  "NONE]"))
        << c.op;
    EXPECT_EQ(Items(), std::vector<std::string>{item}) << c.op;
  }
  // No item: the refusal has nothing to return.
  HttpResponse r = Call("PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"none"}},)" + cond +
                                       R"(,"ReturnValuesOnConditionCheckFailure":"ALL_OLD"})");
  EXPECT_THAT(r.body, HasSubstr("#ConditionalCheckFailedException"));
  EXPECT_THAT(r.body, Not(HasSubstr("Item")));
}

TEST_F(ApiStoreTest, UpdateOfAMissingItem) {
  // REMOVE of a nested path is ignored and the key-only item is created.
  HttpResponse r = Call("UpdateItem", R"({"TableName":"tbl","Key":{"pk":{"S":"r"}},
      "UpdateExpression":"REMOVE a.b, c[0], d","ReturnValues":"ALL_NEW"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"Attributes":{"pk":{"S":"r"}}})");
  EXPECT_EQ(Items(), std::vector<std::string>{R"({"pk":{"S":"r"}})"});
  // The same REMOVE on the existing item is a document path error and changes nothing.
  r = Call("UpdateItem", R"({"TableName":"tbl","Key":{"pk":{"S":"r"}},
      "UpdateExpression":"REMOVE a.b"})");
  EXPECT_THAT(r.body, HasSubstr("The document path provided in the update expression is invalid "
                                "for update"));
  // SET of a nested path needs its parent whether or not the item exists; nothing is written.
  for (const char* pk : {"s", "r"}) {
    r = Call("UpdateItem", R"({"TableName":"tbl","Key":{"pk":{"S":")" + std::string(pk) +
                               R"("}},"UpdateExpression":"SET a.b = :v",
        "ExpressionAttributeValues":{":v":{"N":"1"}}})");
    EXPECT_EQ(r.status, 400) << pk;
    EXPECT_THAT(r.body, HasSubstr("#ValidationException")) << pk;
    EXPECT_THAT(r.body, HasSubstr("The document path provided in the update expression is "
                                  "invalid for update"))
        << pk;
  }
  EXPECT_EQ(Items(), std::vector<std::string>{R"({"pk":{"S":"r"}})"});
}

// Found by the fault schedules (docs/reliability.md, "Fault schedules", finding 1): a DeleteItem
// of an item this region did not have yet wrote nothing, so the put it had not seen arrived
// later and the item came back in every region though the delete was acknowledged a second
// after the put. Every delete path now writes a tombstone that replicates.
TEST_F(ApiStoreTest, DeleteOfAnAbsentItemWritesATombstoneThatReplicates) {
  auto deletes_logged = [&] {
    size_t n = 0;
    for (uint32_t p = 0; p < base_->num_partitions(); ++p) {
      auto log = base_->ReadChangeLog(p, 1, 1000, size_t{1} << 20);
      EXPECT_TRUE(log.ok()) << log.status();
      for (const proto::Mutation& m : *log) n += m.kind() == proto::Mutation::DELETE ? 1 : 0;
    }
    return n;
  };
  HttpResponse r = Call("DeleteItem", R"({"TableName":"tbl","Key":{"pk":{"S":"a"}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(deletes_logged(), 1u);
  r = Call("BatchWriteItem", R"({"RequestItems":{"tbl":[
      {"DeleteRequest":{"Key":{"pk":{"S":"b"}}}}]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(deletes_logged(), 2u);
  r = Call("TransactWriteItems", R"({"TransactItems":[
      {"Delete":{"TableName":"tbl","Key":{"pk":{"S":"c"}}}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(deletes_logged(), 3u);
  EXPECT_TRUE(Items().empty());
}

}  // namespace
}  // namespace globaltable::daemon::api
