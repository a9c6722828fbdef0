// storage_bench: the store's throughput against raw RocksDB, measured in the same run on the
// same items, so the ratios hold on a noisy shared machine. Method and results:
// docs/benchmarks.md ("Storage").
//
//   storage_bench [--runs=5] [--items=200000] [--dir=$TMPDIR] [--sync]
//
// Each run uses fresh directories (removed afterwards) and measures, in order:
//   raw_batch      RocksDB WriteBatch of 100 puts, WAL on, no fsync (the items' exact bytes)
//   raw_single     RocksDB single puts of the same kind of items
//   local_write    Store::Write, one thread, one new item each
//   local_write_4t Store::Write from 4 threads (group commit)
//   local_write_many Store::WriteMany of 25 new items per call, one thread
//   remote_apply   Store::ApplyBatch, 100-mutation batches from another region
//   point_get      Store::GetItem of random existing items
//   scan           Store::Scan of the whole table (items visited per second)
// and prints the median, min and max of each over the runs, and the two target ratios.
// --sync turns on fsync per write (raw) and per commit group (store) everywhere.
//
// Thread-safety: a single-threaded tool (the 4-thread figure starts its own threads).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/key_codec.h"
#include "storage/store.h"
#include "storage/value.h"

namespace globaltable::storage {
namespace {

bool sync_writes = false;

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void Die(const std::string& what) {
  std::fprintf(stderr, "storage_bench: %s\n", what.c_str());
  std::exit(1);
}

proto::TableSchema Schema() {
  proto::TableSchema s;
  s.set_name("bench");
  s.mutable_partition_key()->set_name("pk");
  s.mutable_partition_key()->set_type(proto::S);
  s.mutable_sort_key()->set_name("sk");
  s.mutable_sort_key()->set_type(proto::N);
  return s;
}

// An item of about 120 bytes: 1000 partition keys with sort keys under each.
proto::Item MakeItem(uint64_t i, const std::string& tag) {
  proto::Item item;
  auto add = [&](const std::string& name) {
    proto::Attribute* a = item.add_attributes();
    a->set_name(name);
    return a->mutable_value();
  };
  add("n")->set_n(std::to_string(i * 3 + 1));
  add("pk")->set_s("user-" + std::to_string(i % 1000));
  add("sk")->set_n(std::to_string(i / 1000));
  add("v")->set_s(tag + std::string(80, 'x'));
  return item;
}

proto::Item KeyOf(const proto::Item& item) {
  proto::Item key;
  for (const proto::Attribute& a : item.attributes()) {
    if (a.name() == "pk" || a.name() == "sk") *key.add_attributes() = a;
  }
  return key;
}

struct Dir {
  explicit Dir(const std::string& base) {
    std::string tmpl = base + "/gt_storage_bench_XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp failed under " + base);
    path = tmpl;
  }
  ~Dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

StoreOptions Options(const std::string& dir, clock::RegionId region) {
  StoreOptions o;
  o.dir = dir;
  o.region_id = region;
  o.sync = sync_writes;
  return o;  // defaults otherwise: what the daemon runs with
}

std::unique_ptr<Store> OpenStore(const std::string& dir, clock::RegionId region,
                                 clock::HybridClock* hlc) {
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(Options(dir, region), hlc);
  if (!s.ok()) Die(s.status().ToString());
  return std::move(*s);
}

// Raw RocksDB with the store's memory settings, writing the bytes the store would write.
std::map<std::string, double> RawFigures(const std::string& dir, uint64_t items, uint64_t singles) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.write_buffer_size = 16 << 20;
  o.max_write_buffer_number = 2;
  o.max_background_jobs = 2;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(o, dir, &raw).ok()) Die("raw open");
  std::unique_ptr<rocksdb::DB> db(raw);
  const proto::TableSchema schema = Schema();
  auto entry = [&](uint64_t i, std::string* key, std::string* value) {
    proto::StoredItem stored;
    stored.set_hlc(i + 1);
    stored.set_origin_region(1);
    *stored.mutable_item() = MakeItem(i, "raw");
    *key = std::string(4, '\0') + EncodeKeySuffix(schema, KeyOf(stored.item()));
    *value = stored.SerializeAsString();
  };
  std::map<std::string, double> out;
  rocksdb::WriteOptions wo;
  wo.sync = sync_writes;
  std::string key, value;
  Clock::time_point start = Clock::now();
  for (uint64_t i = 0; i < items; i += 100) {
    rocksdb::WriteBatch batch;
    for (uint64_t j = i; j < std::min(items, i + 100); ++j) {
      entry(j, &key, &value);
      batch.Put(key, value);
    }
    if (!db->Write(wo, &batch).ok()) Die("raw batch write");
  }
  out["raw_batch"] = static_cast<double>(items) / Seconds(start);
  start = Clock::now();
  for (uint64_t i = items; i < items + singles; ++i) {
    entry(i, &key, &value);
    if (!db->Put(wo, key, value).ok()) Die("raw put");
  }
  out["raw_single"] = static_cast<double>(singles) / Seconds(start);
  db->Close();
  return out;
}

std::map<std::string, double> StoreFigures(const std::string& local_dir,
                                           const std::string& remote_dir, uint64_t items,
                                           uint64_t singles) {
  std::map<std::string, double> out;
  clock::HybridClock hlc(clock::SystemClock::Default());
  std::unique_ptr<Store> store = OpenStore(local_dir, 1, &hlc);
  if (!store->CreateTable(Schema()).ok()) Die("create table");
  auto put = [&](uint64_t i) {
    const proto::Item item = MakeItem(i, "local");
    absl::StatusOr<WriteResult> w = store->Write(
        "bench", KeyOf(item), [&](const proto::Item*) -> absl::StatusOr<WriteDecision> {
          return WriteDecision::Put(item);
        });
    if (!w.ok()) Die(w.status().ToString());
  };
  Clock::time_point start = Clock::now();
  for (uint64_t i = 0; i < singles; ++i) put(i);
  out["local_write"] = static_cast<double>(singles) / Seconds(start);

  start = Clock::now();
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = singles + t; i < 2 * singles; i += 4) put(i);
    });
  }
  for (std::thread& t : threads) t.join();
  out["local_write_4t"] = static_cast<double>(singles) / Seconds(start);

  // Point reads of the items just written.
  std::mt19937_64 rng(1);
  start = Clock::now();
  for (uint64_t n = 0; n < singles; ++n) {
    absl::StatusOr<std::optional<proto::Item>> got =
        store->GetItem("bench", KeyOf(MakeItem(rng() % (2 * singles), "")));
    if (!got.ok() || !got->has_value()) Die("point read missed");
  }
  out["point_get"] = static_cast<double>(singles) / Seconds(start);

  // As many new items again, 25 per Store::WriteMany (one commit each, like a BatchWriteItem).
  start = Clock::now();
  for (uint64_t first = 2 * singles; first < 3 * singles; first += 25) {
    std::vector<proto::Item> batch;
    for (uint64_t i = first; i < std::min(first + 25, 3 * singles); ++i) {
      batch.push_back(MakeItem(i, "local"));
    }
    std::vector<WriteOp> ops;
    for (const proto::Item& item : batch) {
      WriteOp op;
      op.key = KeyOf(item);
      op.decide = [&item](const proto::Item*) -> absl::StatusOr<WriteDecision> {
        return WriteDecision::Put(item);
      };
      ops.push_back(std::move(op));
    }
    if (!store->WriteMany("bench", ops).ok()) Die("write many");
  }
  out["local_write_many"] = static_cast<double>(singles) / Seconds(start);

  // Remote batches: a second store learns the table, then applies another region's items
  // for it. Mutations are built up front: the figure is the apply, not the building.
  clock::HybridClock remote_hlc(clock::SystemClock::Default());
  std::unique_ptr<Store> remote = OpenStore(remote_dir, 2, &remote_hlc);
  const proto::TableSchema schema = *store->DescribeTable("bench");
  {
    absl::StatusOr<std::vector<proto::Mutation>> create = store->ReadChangeLog(0, 1, 1, 1 << 20);
    if (!create.ok() || create->empty()) Die("no create record");
    for (uint32_t p = 0; p < store->num_partitions(); ++p) {
      proto::MutationBatch b;
      b.set_origin_region(1);
      b.set_partition(p);
      b.set_first_sequence(1);
      b.set_last_sequence(1);
      *b.add_mutations() = (*create)[0];
      b.mutable_mutations(0)->set_sequence(1);
      if (!remote->ApplyBatch(b).ok()) Die("apply create");
    }
  }
  const uint32_t partitions = remote->num_partitions();
  std::vector<std::vector<proto::Mutation>> per_partition(partitions);
  const uint64_t base_hlc = hlc.Now();
  for (uint64_t i = 0; i < items; ++i) {
    proto::Mutation m;
    m.set_kind(proto::Mutation::PUT);
    m.set_table("bench");
    m.set_table_created_hlc(schema.created_hlc());
    m.set_table_created_region(schema.created_region());
    *m.mutable_item() = MakeItem(i, "remote");
    const proto::AttributeValue* pk = FindAttribute(m.item(), "pk");
    const uint32_t p = PartitionOf("bench", *pk, partitions);
    m.set_partition_key(EncodePartitionPrefix(schema, *pk));
    m.set_hlc(base_hlc + i);
    m.set_origin_region(1);
    m.set_sequence(per_partition[p].size() + 2);  // 1 is the CREATE_TABLE record
    per_partition[p].push_back(std::move(m));
  }
  std::vector<proto::MutationBatch> batches;
  for (uint32_t p = 0; p < partitions; ++p) {
    const auto& ms = per_partition[p];
    for (size_t i = 0; i < ms.size(); i += 100) {
      proto::MutationBatch b;
      b.set_origin_region(1);
      b.set_partition(p);
      for (size_t j = i; j < std::min(ms.size(), i + 100); ++j) *b.add_mutations() = ms[j];
      b.set_first_sequence(b.mutations(0).sequence());
      b.set_last_sequence(b.mutations(b.mutations_size() - 1).sequence());
      batches.push_back(std::move(b));
    }
  }
  start = Clock::now();
  uint64_t applied = 0;
  for (const proto::MutationBatch& b : batches) {
    absl::StatusOr<ApplyResult> r = remote->ApplyBatch(b);
    if (!r.ok()) Die(r.status().ToString());
    applied += r->applied;
  }
  out["remote_apply"] = static_cast<double>(applied) / Seconds(start);
  if (applied != items) Die("not every mutation applied");

  ScanSpec all;
  all.table = "bench";
  uint64_t visited = 0;
  start = Clock::now();
  if (!remote->Scan(all, [&](const proto::Item&, size_t) { return ++visited > 0; }).ok()) {
    Die("scan");
  }
  out["scan"] = static_cast<double>(visited) / Seconds(start);
  if (visited != items) Die("scan missed items");
  return out;
}

int Main(int argc, char** argv) {
  int runs = 5;
  uint64_t items = 200'000;
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--runs=") && absl::SimpleAtoi(arg, &runs) && runs > 0) continue;
    if (absl::ConsumePrefix(&arg, "--items=") && absl::SimpleAtoi(arg, &items) && items >= 1000) {
      continue;
    }
    if (arg == "--sync") {
      sync_writes = true;
      continue;
    }
    if (absl::ConsumePrefix(&arg, "--dir=") && !arg.empty()) {
      base = std::string(arg);
      continue;
    }
    Die(absl::StrCat("bad argument ", argv[i], " (--runs=N --items=N>=1000 --dir=PATH --sync)"));
  }
  const uint64_t singles = items / 4;
  std::map<std::string, std::vector<double>> figures;
  for (int run = 0; run < runs; ++run) {
    Dir raw(base), local(base), remote(base);
    for (const auto& [name, v] : RawFigures(raw.path, items, singles)) figures[name].push_back(v);
    for (const auto& [name, v] : StoreFigures(local.path, remote.path, items, singles)) {
      figures[name].push_back(v);
    }
    std::fprintf(stderr, "run %d/%d done\n", run + 1, runs);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  std::printf("storage_bench: %d runs, %llu items (%llu for single-item figures), %s, ops/s\n",
              runs, static_cast<unsigned long long>(items),
              static_cast<unsigned long long>(singles), sync_writes ? "fsync" : "no fsync");
  std::printf("%-16s %12s %12s %12s\n", "figure", "median", "min", "max");
  for (const char* name : {"raw_batch", "raw_single", "local_write", "local_write_4t",
                           "local_write_many", "remote_apply", "point_get", "scan"}) {
    const std::vector<double>& v = figures[name];
    std::printf("%-16s %12.0f %12.0f %12.0f\n", name, median(v),
                *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
  }
  // Ratios per run (same run, same machine state), then their median.
  std::vector<double> apply_ratio, local_ratio;
  for (int r = 0; r < runs; ++r) {
    apply_ratio.push_back(figures["remote_apply"][r] / figures["raw_batch"][r]);
    local_ratio.push_back(figures["local_write"][r] / figures["raw_single"][r]);
  }
  std::printf("remote_apply / raw_batch  = %.2f (target >= 0.50)\n", median(apply_ratio));
  std::printf("local_write  / raw_single = %.2f (target >= 0.33)\n", median(local_ratio));
  return 0;
}

}  // namespace
}  // namespace globaltable::storage

int main(int argc, char** argv) { return globaltable::storage::Main(argc, argv); }
