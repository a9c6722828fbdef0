// repl_bench: replication throughput, lag and catch-up between two regions on loopback, next to
// raw baselines measured in the same run. Method and results: docs/benchmarks.md
// ("Replication").
//
//   repl_bench [--items=100000] [--batch=25] [--rate=5000] [--seconds=5] [--backlog=200000]
//
// Starts a nats-server (JetStream, temp dir) and two RocksDB stores (regions 1 and 2) with a
// Replicator each, then measures in order:
//   throughput  4 threads write --items 200-byte items into region 1 as fast as they can,
//               --batch items per Store::WriteMany (1: one Store::Write each); time until
//               region 2 applied all of them
//   lag         --rate writes/s for --seconds; per write, region 2's apply time minus region 1's
//               commit time (p50, p99, max)
//   catch-up    region 2 paused while --backlog items are written (as for throughput) and
//               published; time for it to
//               apply them once resumed
//   raw_js      the same payloads without our stack: 100-mutation MutationBatch messages
//               published asynchronously to a plain stream and read back by pull requests with
//               per-message acks (mutations/s)
//   raw_js_lag  one-mutation MutationBatch messages published at --rate for --seconds to a
//               plain stream and pulled back with acks: publish-to-consume latency (p50, p99)
//   raw_rocksdb RocksDB WriteBatch of 100 puts of the same item bytes (puts/s)
// Each phase also prints how many mutations the publisher put in a message, and the run ends
// with the targets computed from this run's figures.
//
// Thread-safety: a tool; the phases run one after the other.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "replication/names.h"
#include "replication/nats_link.h"
#include "replication/replicator.h"
#include "replication/testing/nats_server.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/store.h"
#include "storage/value.h"

namespace globaltable::replication {
namespace {

using Steady = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
      .count();
}

void Die(const std::string& what) {
  std::fprintf(stderr, "repl_bench: %s\n", what.c_str());
  std::exit(1);
}

proto::TableSchema Schema() {
  proto::TableSchema s;
  s.set_name("bench");
  s.mutable_partition_key()->set_name("pk");
  s.mutable_partition_key()->set_type(proto::S);
  return s;
}

// About 200 bytes: a key and a 180-byte value.
proto::Item MakeItem(uint64_t i) {
  proto::Item item;
  proto::Attribute* pk = item.add_attributes();
  pk->set_name("pk");
  pk->mutable_value()->set_s(absl::StrCat("key-", i));
  proto::Attribute* v = item.add_attributes();
  v->set_name("v");
  v->mutable_value()->set_s(std::string(180, 'v'));
  return item;
}

// Records, per (partition, sequence), when region 1 committed a write and when region 2 applied
// it. Sized for the writes of one phase.
class LagRecorder {
 public:
  void Reset(uint32_t partitions, size_t per_partition) {
    absl::MutexLock lock(&mu_);
    commit_.assign(partitions, std::vector<int64_t>(per_partition, 0));
    apply_.assign(partitions, std::vector<int64_t>(per_partition, 0));
    base_.assign(partitions, 0);
    active_ = true;
  }
  void SetBase(uint32_t p, uint64_t last_sequence) {
    absl::MutexLock lock(&mu_);
    base_[p] = last_sequence;
  }
  void Committed(uint32_t p, uint64_t seq, int64_t ns) { Put(&commit_, p, seq, ns); }
  void Applied(uint32_t p, uint64_t seq, int64_t ns) { Put(&apply_, p, seq, ns); }
  void Stop() {
    absl::MutexLock lock(&mu_);
    active_ = false;
  }
  std::vector<double> LagsMs() {
    absl::MutexLock lock(&mu_);
    std::vector<double> out;
    for (size_t p = 0; p < commit_.size(); ++p) {
      for (size_t i = 0; i < commit_[p].size(); ++i) {
        if (commit_[p][i] != 0 && apply_[p][i] != 0) {
          out.push_back(static_cast<double>(apply_[p][i] - commit_[p][i]) / 1e6);
        }
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  void Put(std::vector<std::vector<int64_t>>* v, uint32_t p, uint64_t seq, int64_t ns) {
    absl::MutexLock lock(&mu_);
    if (!active_ || p >= v->size() || seq <= base_[p]) return;
    uint64_t i = seq - base_[p] - 1;
    if (i < (*v)[p].size() && (*v)[p][i] == 0) (*v)[p][i] = ns;
  }
  absl::Mutex mu_;
  bool active_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::vector<int64_t>> commit_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<int64_t>> apply_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> base_ ABSL_GUARDED_BY(mu_);
};

// Region 2's store, seen through ApplyBatch so the bench knows when each mutation landed.
class TimedStore final : public storage::Store {
 public:
  TimedStore(std::unique_ptr<storage::Store> inner, LagRecorder* lag)
      : inner_(std::move(inner)), lag_(lag) {}
  absl::StatusOr<storage::ApplyResult> ApplyBatch(const proto::MutationBatch& batch) override {
    absl::StatusOr<storage::ApplyResult> r = inner_->ApplyBatch(batch);
    if (r.ok()) {
      int64_t now = NowNs();
      for (const proto::Mutation& m : batch.mutations()) {
        lag_->Applied(batch.partition(), m.sequence(), now);
      }
    }
    return r;
  }
  // Everything else forwards.
  absl::StatusOr<proto::TableSchema> CreateTable(proto::TableSchema s) override {
    return inner_->CreateTable(std::move(s));
  }
  absl::Status DeleteTable(absl::string_view n) override { return inner_->DeleteTable(n); }
  absl::StatusOr<proto::TableSchema> DescribeTable(absl::string_view n) const override {
    return inner_->DescribeTable(n);
  }
  absl::StatusOr<proto::TableSchema> UpdateTable(proto::TableSchema s) override {
    return inner_->UpdateTable(std::move(s));
  }
  std::vector<std::string> ListTables() const override { return inner_->ListTables(); }
  absl::StatusOr<storage::TableStats> GetTableStats(absl::string_view n) const override {
    return inner_->GetTableStats(n);
  }
  absl::StatusOr<std::optional<proto::Item>> GetItem(absl::string_view t,
                                                     const proto::Item& k) const override {
    return inner_->GetItem(t, k);
  }
  absl::StatusOr<storage::WriteResult> Write(absl::string_view t, const proto::Item& k,
                                             const storage::DecisionFn& d) override {
    return inner_->Write(t, k, d);
  }
  absl::StatusOr<std::vector<storage::WriteResult>> WriteMany(
      absl::string_view t, absl::Span<const storage::WriteOp> ops) override {
    return inner_->WriteMany(t, ops);
  }
  absl::Status Scan(const storage::ScanSpec& s, const storage::ScanVisitor& v) const override {
    return inner_->Scan(s, v);
  }
  uint32_t num_partitions() const override { return inner_->num_partitions(); }
  uint64_t LastSequence(uint32_t p) const override { return inner_->LastSequence(p); }
  absl::StatusOr<std::vector<storage::ChangeLogRecord>> ReadChangeLogRecords(
      uint32_t p, uint64_t f, size_t r, size_t b) const override {
    return inner_->ReadChangeLogRecords(p, f, r, b);
  }
  absl::StatusOr<std::vector<proto::Mutation>> ReadChangeLog(uint32_t p, uint64_t f, size_t r,
                                                             size_t b) const override {
    return inner_->ReadChangeLog(p, f, r, b);
  }
  absl::Status TrimChangeLog(uint32_t p, uint64_t b) override {
    return inner_->TrimChangeLog(p, b);
  }
  void SetCommitListener(std::function<void(uint32_t, uint64_t)> l) override {
    inner_->SetCommitListener(std::move(l));
  }
  uint64_t AppliedWatermark(clock::RegionId o, uint32_t p) const override {
    return inner_->AppliedWatermark(o, p);
  }
  absl::StatusOr<uint64_t> SkipSequences(clock::RegionId o, uint32_t p, uint64_t t) override {
    return inner_->SkipSequences(o, p, t);
  }
  clock::Timestamp AppliedHlc(clock::RegionId o) const override { return inner_->AppliedHlc(o); }
  std::optional<clock::Timestamp> ClosedHlc(clock::RegionId o) const override {
    return inner_->ClosedHlc(o);
  }
  absl::StatusOr<uint32_t> WriteHeartbeats() override { return inner_->WriteHeartbeats(); }
  absl::StatusOr<uint64_t> PurgeTombstones(clock::Timestamp t) override {
    return inner_->PurgeTombstones(t);
  }
  absl::StatusOr<storage::TableDigest> Digest(absl::string_view t) const override {
    return inner_->Digest(t);
  }
  std::vector<storage::ConflictRecord> RecentConflicts() const override {
    return inner_->RecentConflicts();
  }
  std::vector<storage::ConflictCount> ConflictCounts() const override {
    return inner_->ConflictCounts();
  }
  storage::StoreStats stats() const override { return inner_->stats(); }
  absl::Status PutSetting(absl::string_view n, absl::string_view v) override {
    return inner_->PutSetting(n, v);
  }
  absl::StatusOr<std::optional<std::string>> GetSetting(absl::string_view n) const override {
    return inner_->GetSetting(n);
  }

 private:
  std::unique_ptr<storage::Store> inner_;
  LagRecorder* lag_;
};

struct Region {
  clock::HybridClock hlc{clock::SystemClock::Default()};
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Replicator> repl;
};

std::unique_ptr<storage::Store> OpenStore(const std::string& dir, clock::RegionId id,
                                          clock::HybridClock* hlc, uint32_t partitions) {
  storage::StoreOptions o;
  o.dir = dir;
  o.num_partitions = partitions;
  o.region_id = id;
  o.region_name = id == 1 ? "r1" : "r2";
  absl::StatusOr<std::unique_ptr<storage::Store>> s = storage::Store::Open(o, hlc);
  if (!s.ok()) Die(s.status().ToString());
  return std::move(*s);
}

void StartRepl(Region* r, const std::string& url, clock::RegionId id) {
  ReplicationOptions o;
  o.region_name = id == 1 ? "r1" : "r2";
  o.region_id = id;
  o.nats_urls = {url};
  o.peers = {{id == 1 ? "r2" : "r1", id == 1 ? 2u : 1u, ""}};
  absl::StatusOr<std::unique_ptr<Replicator>> repl = Replicator::Create(o, r->store.get(), &r->hlc);
  if (!repl.ok()) Die(repl.status().ToString());
  r->repl = std::move(*repl);
}

bool CaughtUp(const Region& a, const Region& b) {
  for (uint32_t p = 0; p < a.store->num_partitions(); ++p) {
    if (b.store->AppliedWatermark(1, p) < a.store->LastSequence(p)) return false;
  }
  return true;
}

void WaitCaughtUp(const Region& a, const Region& b, int timeout_s) {
  auto deadline = Steady::now() + std::chrono::seconds(timeout_s);
  while (!CaughtUp(a, b)) {
    if (Steady::now() > deadline) Die("region 2 did not catch up:\n" + b.repl->StatusJson());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void Write(Region* a, uint64_t i, LagRecorder* lag) {
  proto::Item item = MakeItem(i);
  proto::Item key;
  *key.add_attributes() = item.attributes(0);
  absl::StatusOr<storage::WriteResult> w = a->store->Write(
      "bench", key, [&](const proto::Item*) -> absl::StatusOr<storage::WriteDecision> {
        return storage::WriteDecision::Put(item);
      });
  if (!w.ok()) Die(w.status().ToString());
  if (lag != nullptr) lag->Committed(w->partition, w->sequence, NowNs());
}

// The WriteMany calls of a phase, built before its clock starts: building items and keys is
// the clients' work in a deployment, not the region's, and here it would take the region's
// cores. Items [base, base + count), `batch` per call.
struct Load {
  std::vector<proto::Item> items;
  std::vector<std::vector<storage::WriteOp>> calls;
};

std::unique_ptr<Load> PrepareLoad(uint64_t base, uint64_t count, uint64_t batch) {
  auto load = std::make_unique<Load>();
  load->items.reserve(count);
  for (uint64_t i = base; i < base + count; ++i) load->items.push_back(MakeItem(i));
  for (uint64_t first = 0; first < count; first += batch) {
    std::vector<storage::WriteOp>& ops = load->calls.emplace_back();
    for (uint64_t i = first; i < std::min(count, first + batch); ++i) {
      proto::Item* item = &load->items[i];
      storage::WriteOp op;
      *op.key.add_attributes() = item->attributes(0);
      // Moved into the decision, as BatchWriteItem does (WriteMany decides each op once).
      op.decide = [item](const proto::Item*) -> absl::StatusOr<storage::WriteDecision> {
        return storage::WriteDecision::Put(std::move(*item));
      };
      ops.push_back(std::move(op));
    }
  }
  return load;
}

// 4 threads write items [base, base + count): one Store::Write at a time (batch 1, built as
// they go), or the prepared WriteMany calls (one commit each, like a BatchWriteItem).
void WriteAll(Region* a, uint64_t base, uint64_t count, uint64_t batch, Load* load) {
  std::vector<std::thread> writers;
  for (uint64_t t = 0; t < 4; ++t) {
    writers.emplace_back([=] {
      if (batch <= 1) {
        for (uint64_t i = t; i < count; i += 4) Write(a, base + i, nullptr);
        return;
      }
      // Thread t takes every 4th call.
      for (size_t c = t; c < load->calls.size(); c += 4) {
        absl::StatusOr<std::vector<storage::WriteResult>> w =
            a->store->WriteMany("bench", load->calls[c]);
        if (!w.ok()) Die(w.status().ToString());
      }
    });
  }
  for (auto& w : writers) w.join();
}

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1));
  return sorted[i];
}

// A plain file stream `name` over `subject` with a durable explicit-ack consumer `durable`:
// the raw baselines' transport without our stack.
void AddRawStream(jsCtx* js, const char* name, const char* subject, const char* durable) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const char* subjects[] = {subject};
  cfg.Name = name;
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  jsStreamInfo* si = nullptr;
  if (js_AddStream(&si, js, &cfg, nullptr, nullptr) != NATS_OK) Die(absl::StrCat(name, " stream"));
  jsStreamInfo_Destroy(si);
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = durable;
  cc.AckPolicy = js_AckExplicit;
  jsConsumerInfo* ci = nullptr;
  if (js_AddConsumer(&ci, js, name, &cc, nullptr, nullptr) != NATS_OK) {
    Die(absl::StrCat(name, " consumer"));
  }
  jsConsumerInfo_Destroy(ci);
}

// Raw JetStream: `messages` MutationBatch payloads of 100 mutations each, published with
// nats.c's async publish to a plain stream, then read back with pull requests and acks.
double RawJetStream(const std::string& url, int messages) {
  auto link = NatsLink::Create({url}, "raw", absl::Milliseconds(100));
  if (!link.ok()) Die(link.status().ToString());
  while (!(*link)->connected()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  jsCtx* js = *(*link)->JetStream("");
  AddRawStream(js, "RAW", "raw.>", "raw");

  proto::MutationBatch batch;
  batch.set_origin_region(1);
  batch.set_origin_name("r1");
  for (int i = 0; i < 100; ++i) {
    proto::Mutation* m = batch.add_mutations();
    m->set_kind(proto::Mutation::PUT);
    m->set_table("bench");
    m->set_hlc(uint64_t{1} << 40);
    m->set_sequence(static_cast<uint64_t>(i + 1));
    *m->mutable_item() = MakeItem(static_cast<uint64_t>(i));
  }
  std::string body = batch.SerializeAsString();

  natsSubscription* raw_sub = nullptr;
  std::string inbox = (*link)->NewInbox();
  natsConnection_SubscribeSync(&raw_sub, (*link)->conn(), inbox.c_str());
  NatsSubPtr sub(raw_sub);
  std::atomic<int> consumed{0};
  int64_t start = NowNs();
  std::thread consumer([&] {
    const char* req = "{\"batch\":64,\"expires\":500000000}";
    while (consumed.load() < messages) {
      natsConnection_PublishRequestString((*link)->conn(), "$JS.API.CONSUMER.MSG.NEXT.RAW.raw",
                                          inbox.c_str(), req);
      int got = 0;
      while (got < 64) {
        natsMsg* m = nullptr;
        if (natsSubscription_NextMsg(&m, sub.get(), 1500) != NATS_OK) break;
        NatsMsgPtr msg(m);
        if (natsMsg_GetDataLength(m) == 0 && !HeaderValue(m, "Status").empty()) break;
        proto::MutationBatch decoded;
        decoded.ParseFromArray(natsMsg_GetData(m), natsMsg_GetDataLength(m));
        natsConnection_PublishString((*link)->conn(), natsMsg_GetReply(m), "+ACK");
        ++got;
        consumed.fetch_add(1);
      }
    }
  });
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 256;
  jsCtx* pub_js = nullptr;
  natsConnection_JetStream(&pub_js, (*link)->conn(), &jo);
  for (int i = 0; i < messages; ++i) {
    std::string subject = absl::StrCat("raw.", i % 16);
    if (js_PublishAsync(pub_js, subject.c_str(), body.data(), static_cast<int>(body.size()),
                        nullptr) != NATS_OK) {
      Die("raw publish");
    }
  }
  js_PublishAsyncComplete(pub_js, nullptr);
  consumer.join();
  double secs = static_cast<double>(NowNs() - start) / 1e9;
  jsCtx_Destroy(pub_js);
  js_DeleteStream(js, "RAW", nullptr, nullptr);
  return static_cast<double>(messages) * 100 / secs;
}

// Raw JetStream lag: one-mutation MutationBatch payloads (what a message carries when every
// write is sent on its own) published at `rate` messages/s for `seconds` to a plain stream and
// pulled back with per-message acks; latency from before the publish to the consumer's decode.
// Returns the sorted latencies in ms.
std::vector<double> RawJetStreamLag(const std::string& url, int rate, int seconds) {
  auto link = NatsLink::Create({url}, "rawlag", absl::Milliseconds(100));
  if (!link.ok()) Die(link.status().ToString());
  while (!(*link)->connected()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  jsCtx* js = *(*link)->JetStream("");
  AddRawStream(js, "RAWLAG", "rawlag.>", "rawlag");

  const int messages = rate * seconds;
  std::vector<double> lags;
  lags.reserve(static_cast<size_t>(messages));
  natsSubscription* raw_sub = nullptr;
  std::string inbox = (*link)->NewInbox();
  natsConnection_SubscribeSync(&raw_sub, (*link)->conn(), inbox.c_str());
  NatsSubPtr sub(raw_sub);
  std::thread consumer([&] {
    const char* req = "{\"batch\":64,\"expires\":500000000}";
    int consumed = 0;
    int64_t give_up = NowNs() + (int64_t{seconds} + 60) * 1000000000LL;
    while (consumed < messages && NowNs() < give_up) {
      natsConnection_PublishRequestString((*link)->conn(),
                                          "$JS.API.CONSUMER.MSG.NEXT.RAWLAG.rawlag",
                                          inbox.c_str(), req);
      int got = 0;
      while (got < 64) {
        natsMsg* m = nullptr;
        if (natsSubscription_NextMsg(&m, sub.get(), 1500) != NATS_OK) break;
        NatsMsgPtr msg(m);
        if (natsMsg_GetDataLength(m) == 0 && !HeaderValue(m, "Status").empty()) break;
        proto::MutationBatch decoded;
        decoded.ParseFromArray(natsMsg_GetData(m), natsMsg_GetDataLength(m));
        lags.push_back(static_cast<double>(NowNs() - static_cast<int64_t>(decoded.sent_hlc())) /
                       1e6);
        natsConnection_PublishString((*link)->conn(), natsMsg_GetReply(m), "+ACK");
        ++got;
        ++consumed;
      }
    }
  });
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 256;
  jsCtx* pub_js = nullptr;
  natsConnection_JetStream(&pub_js, (*link)->conn(), &jo);
  proto::MutationBatch batch;
  batch.set_origin_region(1);
  batch.set_origin_name("r1");
  proto::Mutation* m = batch.add_mutations();
  m->set_kind(proto::Mutation::PUT);
  m->set_table("bench");
  m->set_hlc(uint64_t{1} << 40);
  const int64_t period = 1000000000LL / rate;
  const int64_t t0 = NowNs();
  for (int i = 0; i < messages; ++i) {
    const int64_t due = t0 + static_cast<int64_t>(i) * period;
    while (NowNs() < due) {
    }
    m->set_sequence(static_cast<uint64_t>(i + 1));
    *m->mutable_item() = MakeItem(static_cast<uint64_t>(i));
    batch.set_sent_hlc(static_cast<uint64_t>(NowNs()));
    std::string body = batch.SerializeAsString();
    std::string subject = absl::StrCat("rawlag.", i % 16);
    if (js_PublishAsync(pub_js, subject.c_str(), body.data(), static_cast<int>(body.size()),
                        nullptr) != NATS_OK) {
      Die("raw lag publish");
    }
  }
  js_PublishAsyncComplete(pub_js, nullptr);
  consumer.join();
  jsCtx_Destroy(pub_js);
  js_DeleteStream(js, "RAWLAG", nullptr, nullptr);
  std::sort(lags.begin(), lags.end());
  return lags;
}

double RawRocksDb(const std::string& dir, int items) {
  rocksdb::Options o;
  o.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(o, dir, &raw).ok()) Die("raw rocksdb open");
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value = MakeItem(0).SerializeAsString();
  int64_t start = NowNs();
  for (int i = 0; i < items; i += 100) {
    rocksdb::WriteBatch b;
    for (int j = i; j < i + 100; ++j) b.Put(absl::StrCat("key-", j), value);
    if (!db->Write(rocksdb::WriteOptions(), &b).ok()) Die("raw rocksdb write");
  }
  return static_cast<double>(items) / (static_cast<double>(NowNs() - start) / 1e9);
}

int Main(int argc, char** argv) {
  uint64_t items = 100000, backlog = 200000, batch = 25;
  uint32_t partitions = storage::kDefaultPartitions;
  int rate = 5000, seconds = 5;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    bool ok = true;
    if (absl::ConsumePrefix(&a, "--items=")) {
      ok = absl::SimpleAtoi(a, &items);
    } else if (absl::ConsumePrefix(&a, "--batch=")) {
      ok = absl::SimpleAtoi(a, &batch) && batch > 0;
    } else if (absl::ConsumePrefix(&a, "--backlog=")) {
      ok = absl::SimpleAtoi(a, &backlog);
    } else if (absl::ConsumePrefix(&a, "--partitions=")) {
      ok = absl::SimpleAtoi(a, &partitions) && partitions > 0;
    } else if (absl::ConsumePrefix(&a, "--rate=")) {
      ok = absl::SimpleAtoi(a, &rate);
    } else if (absl::ConsumePrefix(&a, "--seconds=")) {
      ok = absl::SimpleAtoi(a, &seconds);
    } else {
      ok = false;
    }
    if (!ok) Die(absl::StrCat("bad flag ", argv[i]));
  }
  SetMinLogLevel(LogLevel::kWarning);
  // As globaltabled runs (its main turns Abseil's deadlock detector off).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto server = testing::NatsServer::Start();
  if (!server.ok()) Die(server.status().ToString());
  std::string dir = testing::MakeTempDir("gt-repl-bench-");
  LagRecorder lag;
  Region a, b;
  a.store = OpenStore(dir + "/r1", 1, &a.hlc, partitions);
  b.store = std::make_unique<TimedStore>(OpenStore(dir + "/r2", 2, &b.hlc, partitions), &lag);
  std::printf("change-log partitions per region: %u\n", a.store->num_partitions());
  StartRepl(&a, (*server)->url(), 1);
  StartRepl(&b, (*server)->url(), 2);
  if (!a.store->CreateTable(Schema()).ok()) Die("create table");
  WaitCaughtUp(a, b, 60);

  // Mutations per published message since the last call: how well the publisher batched.
  uint64_t seen_batches = 0, seen_mutations = 0;
  auto per_batch = [&] {
    PublisherStatus ps = a.repl->Status().publisher;
    uint64_t batches = ps.batches_published - seen_batches;
    uint64_t mutations = ps.mutations_published - seen_mutations;
    seen_batches = ps.batches_published;
    seen_mutations = ps.mutations_published;
    return batches == 0 ? 0.0 : static_cast<double>(mutations) / static_cast<double>(batches);
  };
  per_batch();

  // Throughput.
  std::unique_ptr<Load> load = PrepareLoad(0, batch > 1 ? items : 0, batch);
  int64_t start = NowNs();
  WriteAll(&a, 0, items, batch, load.get());
  load.reset();
  double write_secs = static_cast<double>(NowNs() - start) / 1e9;
  WaitCaughtUp(a, b, 600);
  double repl_secs = static_cast<double>(NowNs() - start) / 1e9;
  std::printf(
      "throughput: %llu writes (%llu per WriteMany) in %.2f s (%.0f local writes/s); "
      "replicated in %.2f s (%.0f mutations/s; %.1f mutations per message)\n",
      static_cast<unsigned long long>(items), static_cast<unsigned long long>(batch), write_secs, static_cast<double>(items) / write_secs,
      repl_secs, static_cast<double>(items) / repl_secs, per_batch());

  // Lag at a fixed rate.
  uint32_t parts = a.store->num_partitions();
  lag.Reset(parts, static_cast<size_t>(rate) * static_cast<size_t>(seconds) / parts * 2 + 1000);
  for (uint32_t p = 0; p < parts; ++p) lag.SetBase(p, a.store->LastSequence(p));
  uint64_t base = items;
  int64_t period = 1000000000LL / rate;
  int64_t t0 = NowNs();
  uint64_t n = static_cast<uint64_t>(rate) * static_cast<uint64_t>(seconds);
  for (uint64_t i = 0; i < n; ++i) {
    int64_t due = t0 + static_cast<int64_t>(i) * period;
    while (NowNs() < due) {
    }
    Write(&a, base + i, &lag);
  }
  WaitCaughtUp(a, b, 120);
  lag.Stop();
  std::vector<double> lags = lag.LagsMs();
  std::printf(
      "lag at %d writes/s for %d s: %zu samples, p50 %.2f ms, p99 %.2f ms, max %.2f ms (%.1f "
      "mutations per message)\n",
      rate, seconds, lags.size(), Percentile(lags, 0.5), Percentile(lags, 0.99),
      lags.empty() ? 0.0 : lags.back(), per_batch());

  // Catch-up after a backlog.
  b.repl->SetPaused(true);
  base += n;
  load = PrepareLoad(base, batch > 1 ? backlog : 0, batch);
  start = NowNs();
  WriteAll(&a, base, backlog, batch, load.get());
  load.reset();
  while (a.repl->Status().publisher.unpublished_mutations > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  double fill_secs = static_cast<double>(NowNs() - start) / 1e9;
  start = NowNs();
  b.repl->SetPaused(false);
  WaitCaughtUp(a, b, 900);
  double catch_secs = static_cast<double>(NowNs() - start) / 1e9;
  std::printf(
      "catch-up: %llu mutations backlog (written and published in %.2f s) applied in "
      "%.2f s (%.0f mutations/s; %.1f mutations per message)\n",
      static_cast<unsigned long long>(backlog), fill_secs, catch_secs,
      static_cast<double>(backlog) / catch_secs, per_batch());

  a.repl.reset();
  b.repl.reset();
  const double raw_js = RawJetStream((*server)->url(), static_cast<int>(items / 100));
  std::printf("raw_js: %.0f mutations/s (100-mutation batches, publish + pull + ack)\n", raw_js);
  std::vector<double> raw_lags = RawJetStreamLag((*server)->url(), rate, seconds);
  std::printf("raw_js_lag at %d messages/s for %d s: %zu samples, p50 %.2f ms, p99 %.2f ms, "
              "max %.2f ms (1 mutation per message)\n",
              rate, seconds, raw_lags.size(), Percentile(raw_lags, 0.5),
              Percentile(raw_lags, 0.99), raw_lags.empty() ? 0.0 : raw_lags.back());
  const double raw_rocksdb = RawRocksDb(dir + "/raw", static_cast<int>(items));
  std::printf("raw_rocksdb: %.0f puts/s (WriteBatch of 100, WAL on, no fsync)\n", raw_rocksdb);

  // The targets, from this run's figures.
  const double throughput = static_cast<double>(items) / repl_secs;
  const double floor = std::max(50000.0, std::min(raw_js, raw_rocksdb) / 2);
  std::printf("target throughput >= max(50k, half the slower raw limit) = %.0f/s: %.0f/s, %s\n",
              floor, throughput, throughput >= floor ? "met" : "not met");
  const double p50 = Percentile(lags, 0.5), raw_p50 = Percentile(raw_lags, 0.5);
  const double p99 = Percentile(lags, 0.99), raw_p99 = Percentile(raw_lags, 0.99);
  std::printf("target lag p50 <= raw p50 + 1 ms = %.2f ms: %.2f ms, %s\n", raw_p50 + 1, p50,
              p50 <= raw_p50 + 1 ? "met" : "not met");
  std::printf("target lag p99 <= 1.5 x raw p99 = %.2f ms: %.2f ms, %s\n", 1.5 * raw_p99, p99,
              p99 <= 1.5 * raw_p99 ? "met" : "not met");
  const double catch_up = static_cast<double>(backlog) / catch_secs;
  std::printf("target catch-up >= 100k mutations/s: %.0f/s, %s\n", catch_up,
              catch_up >= 100000 ? "met" : "not met");
  a.store.reset();
  b.store.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace globaltable::replication

int main(int argc, char** argv) { return globaltable::replication::Main(argc, argv); }
