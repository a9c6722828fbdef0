// libFuzzer target: a MutationBatch from bytes, as it arrives from a peer's outbox, through the
// batch check (replication/batch_check.h) and Store::ApplyBatch (storage/store.h) on a real
// RocksDB store opened once per process in a temporary directory. Checks that a batch is never
// applied in part: when the check or the store refuses it, every table's digest, the origin's
// watermark for the batch's partition and its applied HLC are what they were before; when it is
// applied, the watermark reaches its last sequence, and applying it again changes nothing.
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "clock/hlc.h"
#include "replication/batch_check.h"
#include "storage/store.h"

namespace {

namespace clock = globaltable::clock;
namespace proto = globaltable::proto;
namespace replication = globaltable::replication;
namespace storage = globaltable::storage;

// The store's clock stands still here; tests/fuzz/seeds/batch/*.txtpb use HLCs just below it.
constexpr uint64_t kNowMillis = 1'800'000'000'000;

void Check(bool ok) {
  if (!ok) std::abort();
}

// GT_FUZZ_VERBOSE=1: say what became of each input (to check that seeds get applied).
void Say(const std::string& what) {
  static const bool verbose = std::getenv("GT_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "fuzz_batch_apply: %s\n", what.c_str());
}

struct Fixture {
  std::string dir;
  clock::ManualClock physical{kNowMillis};
  clock::HybridClock hlc{&physical};
  std::unique_ptr<storage::Store> store;
  std::vector<replication::PeerRegion> peers = {{"eu-west-1", 2, ""}, {"ap-south-1", 3, ""}};
};

Fixture* Get() {
  static Fixture* f = [] {
    auto* f = new Fixture;
    std::string pattern =
        (std::filesystem::temp_directory_path() / "gt-fuzz-batch-XXXXXX").string();
    Check(mkdtemp(pattern.data()) != nullptr);
    f->dir = pattern;
    storage::StoreOptions options;
    options.dir = f->dir;
    options.region_id = 1;
    options.region_name = "us-east-1";
    options.block_cache_bytes = 8 << 20;
    options.write_buffer_bytes = 4 << 20;
    absl::StatusOr<std::unique_ptr<storage::Store>> store =
        storage::Store::Open(options, &f->hlc);
    Check(store.ok());
    f->store = std::move(*store);
    std::atexit([] {
      Fixture* f = Get();
      const std::string dir = f->dir;
      f->store.reset();
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    });
    return f;
  }();
  return f;
}

struct Snapshot {
  std::vector<std::string> digests;
  uint64_t watermark = 0;
  clock::Timestamp applied_hlc = 0;

  bool operator==(const Snapshot& o) const {
    return digests == o.digests && watermark == o.watermark && applied_hlc == o.applied_hlc;
  }
};

Snapshot Take(const storage::Store& store, const proto::MutationBatch& batch) {
  Snapshot s;
  for (const std::string& table : store.ListTables()) {
    absl::StatusOr<storage::TableDigest> d = store.Digest(table);
    s.digests.push_back(d.ok() ? table + " " + d->digest + " " + std::to_string(d->items) + " " +
                                     std::to_string(d->tombstones)
                               : table + " " + d.status().ToString());
  }
  s.watermark = store.AppliedWatermark(batch.origin_region(), batch.partition());
  s.applied_hlc = store.AppliedHlc(batch.origin_region());
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture* f = Get();
  proto::MutationBatch batch;
  replication::BatchCheckContext ctx;
  ctx.self_id = 1;
  ctx.self_name = "us-east-1";
  ctx.peers = &f->peers;
  ctx.stream_owner = &f->peers[0];
  replication::BatchVerdict verdict = replication::CheckBatch(data, size, ctx, &batch);
  if (verdict.reject && *verdict.reject == replication::RejectReason::kWrongStream) {
    ctx.stream_owner = &f->peers[1];
    verdict = replication::CheckBatch(data, size, ctx, &batch);
  }
  if (verdict.reject) {
    Check(!verdict.detail.empty());
    Say("refused by the check: " + verdict.detail);
    return 0;
  }
  const Snapshot before = Take(*f->store, batch);
  absl::StatusOr<storage::ApplyResult> applied = f->store->ApplyBatch(batch);
  const Snapshot after = Take(*f->store, batch);
  if (!applied.ok()) {
    Say("refused by the store: " + applied.status().ToString());
    Check(after == before);
    return 0;
  }
  Say("applied " + std::to_string(applied->applied) + ", duplicates " +
      std::to_string(applied->duplicates) + ", watermark " + std::to_string(after.watermark));
  Check(after.watermark == std::max(before.watermark, batch.last_sequence()));
  absl::StatusOr<storage::ApplyResult> again = f->store->ApplyBatch(batch);
  Check(again.ok());
  Check(again->applied == 0);
  Check(Take(*f->store, batch) == after);
  return 0;
}
