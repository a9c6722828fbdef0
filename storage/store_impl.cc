// StoreImpl: open and recovery, the group-commit path, the catalog, local item writes and
// settings. Thread-safe; the concurrency design is in store_impl.h.
#include "storage/store_impl.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/sst_file_manager.h"
#include "rocksdb/table.h"
#include "storage/key_codec.h"
#include "storage/layout.h"
#include "storage/number.h"
#include "storage/rocksdb_log.h"
#include "storage/value.h"

namespace globaltable::storage {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  return absl::InternalError(msg);
}

namespace {

// The ERROR line of a read-only store, and what brings writes back.
void LogReadOnly(WriteHealth* health, absl::string_view dir, size_t resume_free_bytes,
                 absl::string_view detail) {
  const StorageHealth h = health->Get();
  const uint64_t more = health->TakeUnlogged();
  if (h.disk_full) {
    GT_LOG(ERROR) << "the store at " << dir << " is read-only: the disk is full (" << detail
                  << "). Writes are refused with a retryable error and reads go on; writes "
                  << "resume by themselves once " << (resume_free_bytes >> 20)
                  << " MiB are free on its filesystem (checked every 5 s). " << h.disk_full_errors
                  << " writes refused so far"
                  << (more > 0 ? absl::StrCat(", ", more, " since the last line") : "");
  } else {
    GT_LOG(ERROR) << "the store at " << dir << " stopped taking writes after an unrecoverable "
                  << "storage error (" << detail << "); reads go on. Restart the daemon.";
  }
}

}  // namespace

// Follows RocksDB's background errors and recoveries into the store's WriteHealth. RocksDB
// calls it on its own threads with its mutex released; it only updates WriteHealth and logs.
class StoreImpl::HealthListener final : public rocksdb::EventListener {
 public:
  HealthListener(std::shared_ptr<WriteHealth> health, std::string dir, size_t resume_free_bytes)
      : health_(std::move(health)), dir_(std::move(dir)), resume_free_bytes_(resume_free_bytes) {}

  void OnBackgroundError(rocksdb::BackgroundErrorReason /*reason*/,
                         rocksdb::Status* bg_error) noexcept override {
    const std::string detail = bg_error->ToString();
    if (health_->OnBackgroundError(ClassifyWriteError(*bg_error), detail, absl::Now())) {
      LogReadOnly(health_.get(), dir_, resume_free_bytes_, detail);
    }
  }

  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) noexcept override {
    if (!info.new_bg_error.ok()) return;
    if (health_->OnRecovered()) {
      GT_LOG(WARNING) << "the store at " << dir_
                      << " takes writes again (recovered from: " << info.old_bg_error.ToString()
                      << ")";
    }
  }

 private:
  const std::shared_ptr<WriteHealth> health_;
  const std::string dir_;
  const size_t resume_free_bytes_;
};

absl::Status StoreImpl::CheckWrite(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) {
    if (health_->OnWriteSucceeded()) {
      GT_LOG(WARNING) << "the store at " << options_.dir << " takes writes again";
    }
    return absl::OkStatus();
  }
  const WriteFault fault = ClassifyWriteError(s);
  if (fault == WriteFault::kOther) return FromRocks(s, what);
  const std::string detail = s.ToString();
  if (health_->OnWriteFailed(fault, detail, absl::Now())) {
    LogReadOnly(health_.get(), options_.dir, options_.write_buffer_bytes, detail);
  }
  return WriteFaultStatus(fault, what, detail);
}

// ---------------------------------------------------------------------------------------------
// Commit requests for table changes (local item writes: local_write.cc).

// CreateTable / DeleteTable / UpdateTable: one catalog entry plus a record in every partition.
class StoreImpl::TableChange final : public StoreImpl::CommitRequest {
 public:
  TableChange(proto::Mutation::Kind kind, CatalogEntry entry)
      : CommitRequest(/*exclusive=*/true), kind_(kind), entry_(std::move(entry)) {}

  void Build(StoreImpl* store, GroupContext* ctx) override {
    const clock::Version v{store->clock_->Now(), store->options_.region_id};
    entry_.version = v;
    if (kind_ == proto::Mutation::CREATE_TABLE) {
      entry_.incarnation = v;
      entry_.schema.set_created_hlc(v.hlc);
      entry_.schema.set_created_region(v.region);
      ctx->batch.Put(store->meta_cf_, layout::kNextTableIdKey,
                     layout::EncodeU32(entry_.table_id + 1));
      ctx->batch.Put(store->meta_cf_, layout::TableStatsKey(entry_.table_id),
                     layout::EncodeTableStats(0, 0, 0));
    } else if (kind_ == proto::Mutation::DELETE_TABLE) {
      entry_.deleted = true;
      ctx->batch.DeleteRange(store->items_cf_, layout::TablePrefix(entry_.table_id),
                             layout::TablePrefix(entry_.table_id + 1));
      ctx->batch.Delete(store->meta_cf_, layout::TableStatsKey(entry_.table_id));
      ctx->dropped.insert(entry_.table_id);
    }
    ctx->batch.Put(store->meta_cf_, layout::CatalogKey(entry_.schema.name()),
                   EncodeCatalogEntry(entry_));
    proto::Mutation m;
    m.set_kind(kind_);
    m.set_table(entry_.schema.name());
    m.set_table_created_hlc(entry_.incarnation.hlc);
    m.set_table_created_region(entry_.incarnation.region);
    m.set_hlc(v.hlc);
    m.set_origin_region(v.region);
    if (kind_ != proto::Mutation::DELETE_TABLE) *m.mutable_schema() = entry_.schema;
    for (uint32_t p = 0; p < store->num_partitions_; ++p) {
      m.set_sequence(ctx->NextSequence(*store, p));
      ctx->batch.Put(store->changelog_cf_, layout::ChangeLogKey(p, m.sequence()),
                     m.SerializeAsString());
    }
  }

  void Publish(StoreImpl* store) override {
    {
      absl::MutexLock lock(&store->stats_mu_);
      if (kind_ == proto::Mutation::CREATE_TABLE) store->table_stats_[entry_.table_id] = {};
      if (kind_ == proto::Mutation::DELETE_TABLE) store->table_stats_.erase(entry_.table_id);
    }
    store->catalog_.Put(entry_);
  }

  const CatalogEntry& entry() const { return entry_; }

 private:
  const proto::Mutation::Kind kind_;
  CatalogEntry entry_;
};

// HEARTBEAT records for the partitions that got none since the previous round. Built by the
// leader like any record, so its hlc is above every record before it in its partition and
// below every record after it.
class StoreImpl::Heartbeats final : public StoreImpl::CommitRequest {
 public:
  void Build(StoreImpl* store, GroupContext* ctx) override {
    std::vector<uint64_t>& seen = store->heartbeat_seen_;
    seen.resize(store->num_partitions_, kNeverLooked);
    proto::Mutation m;
    m.set_kind(proto::Mutation::HEARTBEAT);
    m.set_origin_region(store->options_.region_id);
    m.set_origin_partitions(store->num_partitions_);
    for (uint32_t p = 0; p < store->num_partitions_; ++p) {
      auto in_group = ctx->sequences.find(p);
      const uint64_t last = in_group != ctx->sequences.end()
                                ? in_group->second
                                : store->last_sequence_[p].load(std::memory_order_relaxed);
      if (seen[p] != kNeverLooked && seen[p] != last) {
        seen[p] = last;  // records went out since the last round: they close the partition
        continue;
      }
      m.set_hlc(store->clock_->Now());
      m.set_sequence(ctx->NextSequence(*store, p));
      ctx->batch.Put(store->changelog_cf_, layout::ChangeLogKey(p, m.sequence()),
                     m.SerializeAsString());
      seen[p] = m.sequence();
      ++written;
    }
  }
  void Publish(StoreImpl*) override {}

  uint32_t written = 0;
};

absl::StatusOr<uint32_t> StoreImpl::WriteHeartbeats() {
  Heartbeats request;
  RETURN_IF_ERROR(queue_.Submit(&request));
  return request.written;
}

// ---------------------------------------------------------------------------------------------
// Open and recovery.

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options,
                                                   clock::HybridClock* clock) {
  ASSIGN_OR_RETURN(std::unique_ptr<StoreImpl> store, StoreImpl::Create(options, clock));
  return std::unique_ptr<Store>(std::move(store));
}

StoreImpl::StoreImpl(const StoreOptions& options, clock::HybridClock* clock)
    : options_(options),
      num_partitions_(options.num_partitions),
      clock_(clock),
      queue_([this](absl::Span<WriterQueue::Request* const> group) { return CommitGroup(group); }),
      stripes_(new std::mutex[kStripes]),
      conflicts_(options.conflict_log_capacity),
      health_(std::make_shared<WriteHealth>()) {
  write_options_.sync = options.sync;
}

StoreImpl::~StoreImpl() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
  rocksdb::Status s = db_->Close();
  if (!s.ok()) {
    GT_LOG(WARNING) << "closing the store: " << s.ToString();
  }
}

absl::StatusOr<std::unique_ptr<StoreImpl>> StoreImpl::Create(const StoreOptions& options,
                                                             clock::HybridClock* clock) {
  if (clock == nullptr) return absl::InvalidArgumentError("Store::Open needs a clock");
  if (options.dir.empty()) return absl::InvalidArgumentError("StoreOptions.dir is empty");
  if (options.region_id == 0) return absl::InvalidArgumentError("region_id must not be 0");
  if (options.num_partitions > 4096) {
    return absl::InvalidArgumentError("num_partitions must be in [1, 4096] (0: the store's)");
  }
  std::unique_ptr<StoreImpl> store(new StoreImpl(options, clock));
  RETURN_IF_ERROR(store->OpenDb());
  RETURN_IF_ERROR(store->Recover());
  return store;
}

absl::Status StoreImpl::OpenDb() {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot create ", options_.dir, ": ", ec.message()));
  }
  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.max_background_jobs = 2;
  db_opts.max_open_files = 512;
  // RocksDB's warnings go to the daemon's log, not to a LOG file on the data disk: on a full
  // disk, that file's writer aborted the process (storage/rocksdb_log.h).
  db_opts.info_log = std::make_shared<RocksDbLog>(rocksdb::InfoLogLevel::WARN_LEVEL);
  // The WAL can only be recycled once every family's memtable holding it is flushed: bound it
  // so a quiet family (meta) does not pin old logs.
  db_opts.max_total_wal_size = 4 * options_.write_buffer_bytes;
  // Required by in-place updates (meta family). Commits come from one writer-queue leader at a
  // time, so concurrent memtable inserts were not used anyway.
  db_opts.allow_concurrent_memtable_write = false;
  // A full disk stops RocksDB's writes (a hard background error: every write returns it
  // without touching the files). Its SstFileManager clears that by itself once the largest
  // memtable's size is free again, polling every 5 s (RocksDB makes a default one; it is named
  // here because recovery depends on it); the listener follows both into health_.
  db_opts.sst_file_manager.reset(rocksdb::NewSstFileManager(rocksdb::Env::Default()));
  db_opts.listeners.push_back(
      std::make_shared<HealthListener>(health_, options_.dir, options_.write_buffer_bytes));

  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  const bool lz4 =
      std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end();
  auto family = [&](size_t write_buffer, bool bloom) {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;  // one cache for every family: one memory bound
    table.cache_index_and_filter_blocks = true;
    if (bloom) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::ColumnFamilyOptions cf;
    cf.write_buffer_size = write_buffer;
    cf.max_write_buffer_number = std::max(2, options_.max_write_buffers);
    cf.compression = lz4 ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    if (bloom) {
      // A bloom filter over each memtable's whole keys: a lookup of a key the memtable does not
      // hold (a new item, the usual case for puts and remote applies) skips the skiplist search.
      cf.memtable_whole_key_filtering = true;
      cf.memtable_prefix_bloom_size_ratio = 0.02;
    }
    return cf;
  };
  const size_t small_buffer = std::min<size_t>(options_.write_buffer_bytes, 4 << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, family(small_buffer, false)},
      {layout::kItemsFamily, family(options_.write_buffer_bytes, true)},
      {layout::kChangeLogFamily, family(options_.write_buffer_bytes, false)},
      {layout::kMetaFamily, family(small_buffer, true)},
  };
  // The meta family holds a few hot keys rewritten by every commit (the clock bound, table
  // counters, watermarks): updated in place in the memtable instead of one new skiplist entry
  // per commit, its memtable stays as small as its key set, and so do its inserts.
  families[3].options.inplace_update_support = true;
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_opts, options_.dir, families, &handles_, &raw),
                            absl::StrCat("opening the store at ", options_.dir)));
  db_.reset(raw);
  items_cf_ = handles_[1];
  changelog_cf_ = handles_[2];
  meta_cf_ = handles_[3];
  return absl::OkStatus();
}

absl::Status StoreImpl::Recover() {
  const rocksdb::ReadOptions ro;
  std::string value;
  // Identity: a store belongs to one region and has a fixed number of partitions.
  rocksdb::WriteBatch init;
  if (num_partitions_ == 0) {
    rocksdb::Status s = db_->Get(ro, meta_cf_, layout::kNumPartitionsKey, &value);
    if (s.IsNotFound()) {
      num_partitions_ = kDefaultPartitions;
    } else {
      RETURN_IF_ERROR(FromRocks(s, "reading store identity"));
      if (!layout::DecodeU32(value, &num_partitions_) || num_partitions_ == 0) {
        return absl::DataLossError("bad store identity");
      }
    }
  }
  last_sequence_.reset(new std::atomic<uint64_t>[num_partitions_]);
  for (uint32_t p = 0; p < num_partitions_; ++p) last_sequence_[p].store(0);
  for (const auto& [key, want, what] :
       {std::make_tuple(layout::kRegionIdKey, options_.region_id, "region_id"),
        std::make_tuple(layout::kNumPartitionsKey, num_partitions_, "num_partitions")}) {
    rocksdb::Status s = db_->Get(ro, meta_cf_, key, &value);
    if (s.IsNotFound()) {
      init.Put(meta_cf_, key, layout::EncodeU32(want));
      continue;
    }
    RETURN_IF_ERROR(FromRocks(s, "reading store identity"));
    uint32_t have = 0;
    if (!layout::DecodeU32(value, &have)) return absl::DataLossError("bad store identity");
    if (have != want) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the store at ", options_.dir, " was created with ", what, "=", have, ", not ", want));
    }
  }
  if (init.Count() > 0) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    RETURN_IF_ERROR(CheckWrite(db_->Write(wo, &init), "initializing the store"));
  }

  rocksdb::Status s = db_->Get(ro, meta_cf_, layout::kClockKey, &value);
  if (s.ok()) {
    uint64_t bound = 0;
    if (!layout::DecodeU64(value, &bound)) return absl::DataLossError("bad clock bound");
    clock_->Restore(bound);
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "reading the clock bound");
  }

  s = db_->Get(ro, meta_cf_, layout::kNextTableIdKey, &value);
  uint32_t next_id = 1;
  if (s.ok() && !layout::DecodeU32(value, &next_id)) {
    return absl::DataLossError("bad table id");
  }
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading the next table id");
  {
    absl::MutexLock lock(&table_mu_);
    next_table_id_ = next_id;
  }

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_cf_));
  for (it->Seek(layout::kCatalogPrefix);
       it->Valid() && it->key().starts_with(layout::kCatalogPrefix); it->Next()) {
    ASSIGN_OR_RETURN(CatalogEntry entry, DecodeCatalogEntry(View(it->value())));
    if (!entry.deleted) {
      absl::MutexLock lock(&stats_mu_);
      table_stats_[entry.table_id] = {};
    }
    catalog_.Put(std::move(entry));
  }
  {
    absl::MutexLock lock(&watermark_mu_);
    for (it->Seek(layout::kWatermarkPrefix);
         it->Valid() && it->key().starts_with(layout::kWatermarkPrefix); it->Next()) {
      absl::string_view k = View(it->key()).substr(strlen(layout::kWatermarkPrefix));
      uint32_t origin = 0, partition = 0;
      uint64_t seq = 0;
      if (!layout::DecodeU32(k, &origin) || !layout::DecodeU32(k.substr(4), &partition) ||
          !layout::DecodeU64(View(it->value()), &seq)) {
        return absl::DataLossError("bad watermark");
      }
      watermarks_[(uint64_t{origin} << 32) | partition] = seq;
    }
    for (it->Seek(layout::kAppliedHlcPrefix);
         it->Valid() && it->key().starts_with(layout::kAppliedHlcPrefix); it->Next()) {
      absl::string_view k = View(it->key()).substr(strlen(layout::kAppliedHlcPrefix));
      uint32_t origin = 0;
      uint64_t hlc = 0;
      if (!layout::DecodeU32(k, &origin) || !layout::DecodeU64(View(it->value()), &hlc)) {
        return absl::DataLossError("bad applied hlc");
      }
      applied_hlc_[origin] = hlc;
    }
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading meta"));

  // The last record of each partition is never trimmed (TrimChangeLog keeps it), so it gives
  // the partition's last sequence.
  std::unique_ptr<rocksdb::Iterator> log(db_->NewIterator(ro, changelog_cf_));
  for (uint32_t p = 0; p < num_partitions_; ++p) {
    log->SeekForPrev(layout::ChangeLogKey(p, UINT64_MAX));
    uint32_t got = 0;
    uint64_t seq = 0;
    if (log->Valid() && layout::DecodeU32(View(log->key()), &got) && got == p &&
        layout::DecodeU64(View(log->key()).substr(4), &seq)) {
      last_sequence_[p].store(seq);
    }
  }
  RETURN_IF_ERROR(FromRocks(log->status(), "reading the change log"));

  // Table counters are persisted (written by every commit's WriteBatch). A live table without
  // them (a store written before they were persisted) is counted once by a scan of its items,
  // and the result saved.
  absl::MutexLock lock(&stats_mu_);
  std::vector<uint32_t> uncounted;
  for (auto& [table_id, stats] : table_stats_) {
    s = db_->Get(ro, meta_cf_, layout::TableStatsKey(table_id), &value);
    if (s.IsNotFound()) {
      uncounted.push_back(table_id);
      continue;
    }
    RETURN_IF_ERROR(FromRocks(s, "reading table counters"));
    if (!layout::DecodeTableStats(value, &stats.live_items, &stats.tombstones,
                                  &stats.live_bytes)) {
      return absl::DataLossError("bad table counters");
    }
  }
  if (uncounted.empty()) return absl::OkStatus();
  rocksdb::WriteBatch counted;
  proto::StoredItem stored;
  for (uint32_t table_id : uncounted) {
    TableStats& st = table_stats_[table_id];
    const std::string upper = layout::TablePrefix(table_id + 1);
    const rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions scan_ro;
    scan_ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> items(db_->NewIterator(scan_ro, items_cf_));
    for (items->Seek(layout::TablePrefix(table_id)); items->Valid(); items->Next()) {
      if (!stored.ParseFromArray(items->value().data(),
                                 static_cast<int>(items->value().size()))) {
        return absl::DataLossError("bad stored item");
      }
      if (stored.tombstone()) {
        ++st.tombstones;
      } else {
        ++st.live_items;
        st.live_bytes += ItemSize(stored.item());
      }
    }
    RETURN_IF_ERROR(FromRocks(items->status(), "reading items"));
    counted.Put(meta_cf_, layout::TableStatsKey(table_id),
                layout::EncodeTableStats(st.live_items, st.tombstones, st.live_bytes));
  }
  tables_counted_at_open_ = uncounted.size();
  GT_LOG(INFO) << "counted the items of " << uncounted.size()
               << " tables once; their counters are kept from now on";
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return CheckWrite(db_->Write(wo, &counted), "saving table counters");
}

// ---------------------------------------------------------------------------------------------
// The commit path.

uint64_t StoreImpl::GroupContext::NextSequence(const StoreImpl& store, uint32_t partition) {
  auto [it, inserted] = sequences.try_emplace(partition, 0);
  if (inserted) it->second = store.last_sequence_[partition].load(std::memory_order_relaxed);
  return ++it->second;
}

absl::Status StoreImpl::CommitGroup(absl::Span<WriterQueue::Request* const> group) {
  GroupContext ctx;
  size_t accepted = 0;
  for (WriterQueue::Request* r : group) {
    auto* request = static_cast<CommitRequest*>(r);
    request->Build(this, &ctx);
    if (!request->rejected()) ++accepted;
  }
  if (accepted == 0) return absl::OkStatus();
  // Tables' counters as this group leaves them, in the same batch. Groups commit one at a time
  // and publish their stats before the next group is built, so the in-memory counters plus this
  // group's changes are exact. (Absolute values, not a RocksDB merge operator: a tool opening
  // the store without our merge operator would stop its WAL recovery at the first merge.)
  if (!ctx.stats.empty()) {
    absl::MutexLock lock(&stats_mu_);
    for (const auto& [table_id, d] : ctx.stats) {
      if (ctx.dropped.contains(table_id)) continue;
      TableStats base;
      auto it = table_stats_.find(table_id);
      if (it != table_stats_.end()) {
        base = it->second;
      } else if (!ctx.installed.contains(table_id)) {
        continue;  // dropped before this group
      }
      ctx.batch.Put(meta_cf_, layout::TableStatsKey(table_id),
                    layout::EncodeTableStats(base.live_items + static_cast<uint64_t>(d.live_items),
                                             base.tombstones + static_cast<uint64_t>(d.tombstones),
                                             base.live_bytes + static_cast<uint64_t>(d.live_bytes)));
    }
  }
  // The clock bound rides in every batch, after every stamp of the group (see architecture.md).
  ctx.batch.Put(meta_cf_, layout::kClockKey, layout::EncodeU64(clock_->Current()));
  RETURN_IF_ERROR(CheckWrite(db_->Write(write_options_, &ctx.batch), "committing writes"));

  for (const auto& [partition, seq] : ctx.sequences) {
    last_sequence_[partition].store(seq, std::memory_order_release);
  }
  for (WriterQueue::Request* r : group) {
    auto* request = static_cast<CommitRequest*>(r);
    if (!request->rejected()) request->Publish(this);
  }
  if (!ctx.sequences.empty()) {
    std::function<void(uint32_t, uint64_t)> listener;
    {
      absl::MutexLock lock(&listener_mu_);
      listener = listener_;
    }
    if (listener) {
      for (const auto& [partition, seq] : ctx.sequences) listener(partition, seq);
    }
  }
  return absl::OkStatus();
}

void StoreImpl::SetCommitListener(
    std::function<void(uint32_t partition, uint64_t last_sequence)> listener) {
  absl::MutexLock lock(&listener_mu_);
  listener_ = std::move(listener);
}

size_t StoreImpl::StripeIndex(absl::string_view item_key) const {
  return layout::Hash64(item_key, 0x5eed) % kStripes;
}

std::mutex& StoreImpl::StripeFor(absl::string_view item_key) const {
  return stripes_[StripeIndex(item_key)];
}

absl::StatusOr<std::optional<proto::StoredItem>> StoreImpl::ReadStored(
    absl::string_view item_key) const {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), items_cf_, ToSlice(item_key), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "reading an item"));
  proto::StoredItem stored;
  if (!stored.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError("bad stored item");
  }
  return stored;
}

absl::Status StoreImpl::ReadStoredMany(absl::Span<const rocksdb::Slice> keys,
                                       std::vector<std::optional<proto::StoredItem>>* out,
                                       const rocksdb::Snapshot* snapshot) const {
  out->assign(keys.size(), std::nullopt);
  if (keys.empty()) return absl::OkStatus();
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  db_->MultiGet(ro, items_cf_, keys.size(), keys.data(), values.data(), statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    RETURN_IF_ERROR(FromRocks(statuses[i], "reading items"));
    proto::StoredItem& stored = (*out)[i].emplace();
    if (!stored.ParseFromArray(values[i].data(), static_cast<int>(values[i].size()))) {
      return absl::DataLossError("bad stored item");
    }
  }
  return absl::OkStatus();
}

StoreImpl::StatsDelta StoreImpl::DeltaOf(const std::optional<proto::StoredItem>& before,
                                         bool written, std::optional<size_t> live_size) {
  StatsDelta d;
  if (before.has_value()) {
    if (before->tombstone()) {
      --d.tombstones;
    } else {
      --d.live_items;
      d.live_bytes -= static_cast<int64_t>(ItemSize(before->item()));
    }
  }
  if (written) {
    if (!live_size.has_value()) {
      ++d.tombstones;
    } else {
      ++d.live_items;
      d.live_bytes += static_cast<int64_t>(*live_size);
    }
  }
  return d;
}

void StoreImpl::ApplyStats(uint32_t table_id, const StatsDelta& d) {
  absl::MutexLock lock(&stats_mu_);
  auto it = table_stats_.find(table_id);
  if (it == table_stats_.end()) return;
  it->second.live_items += static_cast<uint64_t>(d.live_items);
  it->second.tombstones += static_cast<uint64_t>(d.tombstones);
  it->second.live_bytes += static_cast<uint64_t>(d.live_bytes);
}

// ---------------------------------------------------------------------------------------------
// Catalog.

absl::StatusOr<proto::TableSchema> StoreImpl::CreateTable(proto::TableSchema schema) {
  RETURN_IF_ERROR(ValidateNewSchema(schema));
  if (schema.has_sort_key() && schema.sort_key().name().empty()) schema.clear_sort_key();
  absl::MutexLock lock(&table_mu_);
  if (catalog_.FindLive(schema.name()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("Table already exists: ", schema.name()));
  }
  if (next_table_id_ == UINT32_MAX) return absl::ResourceExhaustedError("table ids exhausted");
  CatalogEntry entry;
  entry.table_id = next_table_id_;
  entry.schema = std::move(schema);
  TableChange change(proto::Mutation::CREATE_TABLE, std::move(entry));
  RETURN_IF_ERROR(queue_.Submit(&change));
  ++next_table_id_;
  return change.entry().schema;
}

absl::Status StoreImpl::DeleteTable(absl::string_view name) {
  absl::MutexLock lock(&table_mu_);
  std::shared_ptr<const CatalogEntry> live = catalog_.FindLive(name);
  if (live == nullptr) {
    return absl::NotFoundError(absl::StrCat("Requested resource not found: Table: ", name));
  }
  TableChange change(proto::Mutation::DELETE_TABLE, *live);
  return queue_.Submit(&change);
}

absl::StatusOr<proto::TableSchema> StoreImpl::DescribeTable(absl::string_view name) const {
  std::shared_ptr<const CatalogEntry> live = catalog_.FindLive(name);
  if (live == nullptr) {
    return absl::NotFoundError(absl::StrCat("Requested resource not found: Table: ", name));
  }
  return live->schema;
}

absl::StatusOr<std::shared_ptr<const proto::TableSchema>> StoreImpl::GetSchema(
    absl::string_view name) const {
  std::shared_ptr<const CatalogEntry> live = catalog_.FindLive(name);
  if (live == nullptr) {
    return absl::NotFoundError(absl::StrCat("Requested resource not found: Table: ", name));
  }
  // Shares the catalog entry (immutable once published), pointing at its schema.
  return std::shared_ptr<const proto::TableSchema>(live, &live->schema);
}

absl::StatusOr<proto::TableSchema> StoreImpl::UpdateTable(proto::TableSchema schema) {
  absl::MutexLock lock(&table_mu_);
  std::shared_ptr<const CatalogEntry> live = catalog_.FindLive(schema.name());
  if (live == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("Requested resource not found: Table: ", schema.name()));
  }
  CatalogEntry entry = *live;
  entry.schema.set_billing_mode(schema.billing_mode());
  entry.schema.set_read_capacity_units(schema.read_capacity_units());
  entry.schema.set_write_capacity_units(schema.write_capacity_units());
  entry.schema.set_primary_region(schema.primary_region());
  entry.schema.set_ttl_attribute(schema.ttl_attribute());
  *entry.schema.mutable_tags() = schema.tags();
  TableChange change(proto::Mutation::UPDATE_TABLE, std::move(entry));
  RETURN_IF_ERROR(queue_.Submit(&change));
  return change.entry().schema;
}

std::vector<std::string> StoreImpl::ListTables() const {
  std::vector<std::string> names;
  for (const auto& e : catalog_.Live()) names.push_back(e->schema.name());
  return names;
}

absl::StatusOr<TableStats> StoreImpl::GetTableStats(absl::string_view name) const {
  std::shared_ptr<const CatalogEntry> live = catalog_.FindLive(name);
  if (live == nullptr) {
    return absl::NotFoundError(absl::StrCat("Requested resource not found: Table: ", name));
  }
  absl::MutexLock lock(&stats_mu_);
  auto it = table_stats_.find(live->table_id);
  return it == table_stats_.end() ? TableStats{} : it->second;
}

// ---------------------------------------------------------------------------------------------
// Settings.

absl::Status StoreImpl::PutSetting(absl::string_view name, absl::string_view value) {
  if (name.empty() || name.size() > 256) {
    return absl::InvalidArgumentError("a setting name must be 1-256 bytes");
  }
  if (value.size() > (1 << 20)) return absl::InvalidArgumentError("a setting is at most 1 MiB");
  return CheckWrite(db_->Put(write_options_, meta_cf_, layout::SettingKey(name),
                             rocksdb::Slice(value.data(), value.size())),
                    "writing a setting");
}

absl::StatusOr<std::optional<std::string>> StoreImpl::GetSetting(absl::string_view name) const {
  if (name.empty() || name.size() > 256) {
    return absl::InvalidArgumentError("a setting name must be 1-256 bytes");
  }
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_cf_, layout::SettingKey(name), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "reading a setting"));
  return value;
}

// ---------------------------------------------------------------------------------------------

uint32_t PartitionOf(absl::string_view table, const proto::AttributeValue& partition_key,
                     uint32_t num_partitions) {
  if (num_partitions <= 1) return 0;
  const uint64_t h = layout::Mix64(layout::Hash64(table, 0x7ab1e) ^ KeyHash(partition_key));
  return static_cast<uint32_t>(h % num_partitions);
}

}  // namespace globaltable::storage
