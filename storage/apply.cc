// StoreImpl::ApplyBatch: remote mutation batches with continuity checks and last-writer-wins.
// Thread-safe; the concurrency design is in store_impl.h.
//
// Steps (nothing is written unless every step before the commit succeeds):
//   1. Shape: origin, partition, sequence range and every mutation's fields (kInvalidArgument).
//   2. Continuity against the (origin, partition) watermark, under that stream's lock:
//      all at or below it -> duplicates; starting beyond watermark+1 -> kFailedPrecondition.
//   3. clock->Update(largest hlc) (kUnavailable when beyond the max offset).
//   4. Plan: table mutations decided on a private overlay of the catalog (under table_mu_),
//      item mutations matched to their table incarnation and keyed.
//   5. Take the key stripes (sorted, deduplicated), read the stored versions, decide LWW.
//   6. Commit through the writer queue with the new watermark and applied hlc.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/key_codec.h"
#include "storage/layout.h"
#include "storage/store_impl.h"
#include "storage/value.h"

namespace globaltable::storage {
namespace {

bool IsTableKind(proto::Mutation::Kind k) {
  return k == proto::Mutation::CREATE_TABLE || k == proto::Mutation::UPDATE_TABLE ||
         k == proto::Mutation::DELETE_TABLE;
}

absl::Status Malformed(const proto::MutationBatch& batch, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed batch from region ",
                                                 batch.origin_region(), " partition ",
                                                 batch.partition(), ": ", why));
}

// Every check that needs no stored state.
// The origin's number of partitions: the batch says so (stores keep the number they were
// created with, so regions may differ); batches from publishers that predate the field: ours.
uint32_t OriginPartitions(const proto::MutationBatch& batch, uint32_t own_partitions) {
  return batch.origin_partitions() != 0 ? batch.origin_partitions() : own_partitions;
}

absl::Status CheckShape(const proto::MutationBatch& batch, clock::RegionId own,
                        uint32_t own_partitions) {
  const uint32_t origin_partitions = OriginPartitions(batch, own_partitions);
  if (batch.origin_region() == 0) return Malformed(batch, "origin region 0");
  if (batch.origin_region() == own) return Malformed(batch, "origin is this region");
  if (origin_partitions > kMaxPartitions) return Malformed(batch, "too many partitions");
  if (batch.partition() >= origin_partitions) return Malformed(batch, "partition out of range");
  if (batch.mutations_size() == 0) return Malformed(batch, "no mutations");
  if (batch.first_sequence() == 0) return Malformed(batch, "first sequence 0");
  if (batch.last_sequence() != batch.first_sequence() + batch.mutations_size() - 1) {
    return Malformed(batch, "sequence range does not match the mutations");
  }
  for (int i = 0; i < batch.mutations_size(); ++i) {
    const proto::Mutation& m = batch.mutations(i);
    if (m.sequence() != batch.first_sequence() + static_cast<uint64_t>(i)) {
      return Malformed(batch, absl::StrCat("mutation ", i, " has sequence ", m.sequence()));
    }
    if (m.origin_region() != batch.origin_region()) {
      return Malformed(batch, absl::StrCat("mutation ", i, " has another origin"));
    }
    if (m.hlc() == 0) return Malformed(batch, absl::StrCat("mutation ", i, " has no hlc"));
    // A partition's records have increasing hlcs (ClosedHlc relies on it).
    if (i > 0 && m.hlc() < batch.mutations(i - 1).hlc()) {
      return Malformed(batch, absl::StrCat("mutation ", i, " has an hlc below its predecessor's"));
    }
    if (m.kind() == proto::Mutation::HEARTBEAT) {
      if (m.origin_partitions() != origin_partitions) {
        return Malformed(batch, absl::StrCat("heartbeat ", i, " has ", m.origin_partitions(),
                                             " partitions"));
      }
      continue;
    }
    if (m.table().empty()) return Malformed(batch, absl::StrCat("mutation ", i, " has no table"));
    switch (m.kind()) {
      case proto::Mutation::PUT:
      case proto::Mutation::DELETE:
        if (m.item().attributes_size() == 0 || m.table_created_hlc() == 0) {
          return Malformed(batch, absl::StrCat("mutation ", i, " has no item or table"));
        }
        break;
      case proto::Mutation::CREATE_TABLE:
      case proto::Mutation::UPDATE_TABLE: {
        const proto::TableSchema& s = m.schema();
        absl::Status valid = ValidateNewSchema(s);
        if (!valid.ok()) return Malformed(batch, valid.message());
        const bool create = m.kind() == proto::Mutation::CREATE_TABLE;
        if (s.name() != m.table() || s.created_hlc() == 0 || s.created_region() == 0 ||
            (create && (s.created_hlc() != m.hlc() || s.created_region() != m.origin_region())) ||
            (!create && s.created_hlc() > m.hlc())) {
          return Malformed(batch, absl::StrCat("mutation ", i, " has an inconsistent schema"));
        }
        break;
      }
      case proto::Mutation::DELETE_TABLE:
        if (m.table_created_hlc() == 0) {
          return Malformed(batch, absl::StrCat("mutation ", i, " has no incarnation"));
        }
        break;
      default:
        return Malformed(batch, absl::StrCat("mutation ", i, " has an unknown kind"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// The planned effect of one batch; Build() replays it into the group's WriteBatch.
class StoreImpl::RemoteApply final : public StoreImpl::CommitRequest {
 public:
  struct Op {
    enum class Kind { kItem, kInstallTable, kUpdateTable, kDeleteTable };
    Kind kind = Kind::kItem;
    const proto::Mutation* mutation = nullptr;
    // Items: the table, the key and the new stored version.
    uint32_t table_id = 0;
    std::shared_ptr<const CatalogEntry> table;  // for the key's description in a conflict
    std::string key;
    std::string value;
    StatsDelta delta;
    bool skipped = false;  // the table went away between plan and commit
    // Tables: the new entry (allocated for table ops only: most ops are items), and a live
    // table whose items go (0: none).
    std::unique_ptr<CatalogEntry> entry;
    uint32_t drop_table_id = 0;
  };

  RemoteApply(const proto::MutationBatch& batch, bool exclusive)
      : CommitRequest(exclusive), batch_(batch) {}

  void Build(StoreImpl* store, GroupContext* ctx) override {
    for (Op& op : ops_) {
      switch (op.kind) {
        case Op::Kind::kItem:
          // Exclusive requests hold table_mu_: their plan is exact. Others may have lost
          // their table to a local DeleteTable committed since they planned.
          if (!exclusive() && !store->catalog_.IsLive(op.table_id)) {
            op.skipped = true;
            --result.applied;
            ++result.stale_table;
            continue;
          }
          ctx->batch.Put(store->items_cf_, op.key, op.value);
          ctx->AddStats(op.table_id, op.delta);
          break;
        case Op::Kind::kInstallTable:
          ctx->batch.Put(store->meta_cf_, layout::kNextTableIdKey,
                         layout::EncodeU32(op.entry->table_id + 1));
          ctx->batch.Put(store->meta_cf_, layout::TableStatsKey(op.entry->table_id),
                         layout::EncodeTableStats(0, 0, 0));
          ctx->installed.insert(op.entry->table_id);
          [[fallthrough]];
        case Op::Kind::kUpdateTable:
        case Op::Kind::kDeleteTable:
          if (op.drop_table_id != 0) {
            ctx->batch.DeleteRange(store->items_cf_, layout::TablePrefix(op.drop_table_id),
                                   layout::TablePrefix(op.drop_table_id + 1));
            ctx->batch.Delete(store->meta_cf_, layout::TableStatsKey(op.drop_table_id));
            ctx->dropped.insert(op.drop_table_id);
          }
          ctx->batch.Put(store->meta_cf_, layout::CatalogKey(op.entry->schema.name()),
                         EncodeCatalogEntry(*op.entry));
          break;
      }
    }
    ctx->batch.Put(store->meta_cf_,
                   layout::WatermarkKey(batch_.origin_region(), batch_.partition()),
                   layout::EncodeU64(batch_.last_sequence()));
    ctx->batch.Put(store->meta_cf_, layout::AppliedHlcKey(batch_.origin_region()),
                   layout::EncodeU64(applied_hlc));
  }

  void Publish(StoreImpl* store) override {
    for (const Op& op : ops_) {
      if (op.skipped) continue;
      if (op.kind == Op::Kind::kItem) {
        store->ApplyStats(op.table_id, op.delta);
        continue;
      }
      {
        absl::MutexLock lock(&store->stats_mu_);
        if (op.drop_table_id != 0) store->table_stats_.erase(op.drop_table_id);
        if (op.kind == Op::Kind::kInstallTable) store->table_stats_[op.entry->table_id] = {};
      }
      store->catalog_.Put(*op.entry);
    }
    for (ConflictRecord& c : conflicts) store->conflicts_.Record(std::move(c));
    // CheckShape made every heartbeat's partition count the batch's: one is enough.
    const auto heartbeat =
        std::find_if(batch_.mutations().begin(), batch_.mutations().end(),
                     [](const proto::Mutation& m) { return m.kind() == proto::Mutation::HEARTBEAT; });
    {
      absl::MutexLock lock(&store->watermark_mu_);
      const uint64_t stream = (uint64_t{batch_.origin_region()} << 32) | batch_.partition();
      store->watermarks_[stream] = batch_.last_sequence();
      store->applied_hlc_[batch_.origin_region()] = applied_hlc;
      store->closed_hlc_[stream] = batch_.mutations(batch_.mutations_size() - 1).hlc();
      if (heartbeat != batch_.mutations().end()) {
        store->origin_partitions_[batch_.origin_region()] = heartbeat->origin_partitions();
      }
    }
    store->remote_applied_.fetch_add(result.applied, std::memory_order_relaxed);
  }

  const proto::MutationBatch& batch_;
  std::vector<Op> ops_;
  std::vector<ConflictRecord> conflicts;
  ApplyResult result;
  clock::Timestamp applied_hlc = 0;
};

absl::StatusOr<ApplyResult> StoreImpl::ApplyBatch(const proto::MutationBatch& batch) {
  RETURN_IF_ERROR(CheckShape(batch, options_.region_id, num_partitions_));
  const clock::RegionId origin = batch.origin_region();
  absl::MutexLock stream_lock(StreamLock(origin, batch.partition()));

  const uint64_t watermark = AppliedWatermark(origin, batch.partition());
  ApplyResult result;
  if (batch.last_sequence() <= watermark) {
    result.duplicates = static_cast<uint64_t>(batch.mutations_size());
    return result;
  }
  if (batch.first_sequence() > watermark + 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("replication gap from region ", origin, " partition ", batch.partition(),
                     ": applied up to ", watermark, ", batch starts at ", batch.first_sequence()));
  }
  const int skip = static_cast<int>(watermark + 1 - batch.first_sequence());
  clock::Timestamp max_hlc = 0;
  bool has_table_ops = false;
  for (int i = skip; i < batch.mutations_size(); ++i) {
    max_hlc = std::max(max_hlc, batch.mutations(i).hlc());
    has_table_ops |= IsTableKind(batch.mutations(i).kind());
  }
  RETURN_IF_ERROR(clock_->Update(max_hlc).status());

  std::optional<absl::MutexLock> table_lock;
  if (has_table_ops) table_lock.emplace(&table_mu_);
  RemoteApply request(batch, /*exclusive=*/has_table_ops);
  request.result.duplicates = static_cast<uint64_t>(skip);
  request.applied_hlc = std::max(AppliedHlc(origin), max_hlc);
  RETURN_IF_ERROR(PlanApply(batch, skip, &request));

  // Stripes in increasing index order, each once.
  std::vector<size_t> stripes;
  for (const RemoteApply::Op& op : request.ops_) {
    if (op.kind == RemoteApply::Op::Kind::kItem) stripes.push_back(StripeIndex(op.key));
  }
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  for (size_t s : stripes) stripes_[s].lock();
  absl::Status status = ResolveApply(&request);
  if (status.ok()) status = queue_.Submit(&request);
  for (auto it = stripes.rbegin(); it != stripes.rend(); ++it) stripes_[*it].unlock();
  RETURN_IF_ERROR(status);
  if (has_table_ops) {
    // Installed tables took ids from the counter (persisted in the same commit).
    table_mu_.AssertHeld();
    for (const RemoteApply::Op& op : request.ops_) {
      if (op.kind == RemoteApply::Op::Kind::kInstallTable) {
        next_table_id_ = std::max(next_table_id_, op.entry->table_id + 1);
      }
    }
  }
  return request.result;
}

absl::Status StoreImpl::PlanApply(const proto::MutationBatch& batch, int skip,
                                  RemoteApply* request) {
  using Op = RemoteApply::Op;
  // The catalog as this batch changes it; only this request changes it (table_mu_ is held
  // when the batch has table mutations).
  absl::flat_hash_map<std::string, std::shared_ptr<const CatalogEntry>> overlay;
  auto lookup = [&](const std::string& name) {
    auto it = overlay.find(name);
    return it != overlay.end() ? it->second : catalog_.Find(name);
  };
  uint32_t next_id = 0;
  if (request->exclusive()) {
    table_mu_.AssertHeld();
    next_id = next_table_id_;
  }
  ApplyResult& result = request->result;
  request->ops_.reserve(static_cast<size_t>(batch.mutations_size() - skip));

  for (int i = skip; i < batch.mutations_size(); ++i) {
    const proto::Mutation& m = batch.mutations(i);
    if (m.kind() == proto::Mutation::HEARTBEAT) continue;  // nothing but its hlc (Publish)
    const clock::Version v{m.hlc(), m.origin_region()};
    if (IsTableKind(m.kind())) {
      std::shared_ptr<const CatalogEntry> stored = lookup(m.table());
      const TableDecision decision = DecideTableMutation(stored.get(), m);
      if (decision == TableDecision::kStale) {
        // Table records are written into every partition: the copies after the first are
        // duplicates, not conflict losers.
        const bool duplicate =
            stored->version == v || (m.kind() == proto::Mutation::CREATE_TABLE &&
                                     !stored->deleted && stored->incarnation == v);
        ++(duplicate ? result.duplicates : result.superseded);
        continue;
      }
      Op op;
      op.mutation = &m;
      op.entry = std::make_unique<CatalogEntry>();
      const bool was_live = stored != nullptr && !stored->deleted;
      if (decision == TableDecision::kInstall) {
        if (next_id == UINT32_MAX) return absl::ResourceExhaustedError("table ids exhausted");
        op.kind = Op::Kind::kInstallTable;
        op.entry->table_id = next_id++;
        op.entry->incarnation = IncarnationOf(m.schema());
        op.entry->schema = m.schema();
        if (was_live) op.drop_table_id = stored->table_id;
      } else if (decision == TableDecision::kUpdate) {
        op.kind = Op::Kind::kUpdateTable;
        *op.entry = *stored;
        op.entry->schema = m.schema();
      } else {
        op.kind = Op::Kind::kDeleteTable;
        if (stored != nullptr) *op.entry = *stored;
        if (was_live) op.drop_table_id = stored->table_id;
        op.entry->deleted = true;
        op.entry->incarnation = {m.table_created_hlc(), m.table_created_region()};
        if (stored == nullptr) op.entry->schema.set_name(m.table());
      }
      op.entry->version = v;
      overlay[m.table()] = std::make_shared<const CatalogEntry>(*op.entry);
      ++result.applied;
      request->ops_.push_back(std::move(op));
      continue;
    }

    // An item mutation: it belongs to one incarnation of its table.
    std::shared_ptr<const CatalogEntry> table = lookup(m.table());
    const clock::Version incarnation{m.table_created_hlc(), m.table_created_region()};
    if (table == nullptr || table->StateVersion() < incarnation) {
      // The table's creation has not arrived yet (it travels in the creating region's
      // stream): hold the batch rather than lose the item.
      return absl::UnavailableError(absl::StrCat("table ", m.table(), " incarnation ",
                                                 incarnation.ToString(),
                                                 " is not created here yet; retry later"));
    }
    if (table->deleted || table->incarnation != incarnation) {
      ++result.stale_table;
      continue;
    }
    const proto::TableSchema& schema = table->schema;
    Op op;
    op.mutation = &m;
    op.table_id = table->table_id;
    // A put carries the whole image, a delete the key attributes only; either way the key is
    // read in place (an apply copies nothing out of the image).
    absl::Status valid = m.kind() == proto::Mutation::PUT ? ValidateKeyOf(schema, m.item())
                                                          : ValidateKey(schema, m.item());
    if (!valid.ok()) return Malformed(batch, valid.message());
    const proto::AttributeValue* pk = FindAttribute(m.item(), schema.partition_key().name());
    if (pk == nullptr ||
        PartitionOf(m.table(), *pk, OriginPartitions(batch, num_partitions_)) !=
            batch.partition()) {
      return Malformed(batch, absl::StrCat("mutation ", m.sequence(), " is in another partition"));
    }
    op.key = layout::ItemKey(table->table_id, EncodeKeySuffix(schema, m.item()));
    op.table = std::move(table);
    request->ops_.push_back(std::move(op));
  }
  return absl::OkStatus();
}

absl::Status StoreImpl::ResolveApply(RemoteApply* request) {
  using Op = RemoteApply::Op;
  ApplyResult& result = request->result;
  // Versions as this batch leaves them, starting from what is stored: one MultiGet for all
  // keys (a table installed by this batch has no items to read).
  // Only what LWW, conflict detection and the table counters need of each version: the
  // images themselves are not kept (an incoming image is serialized straight into its record).
  struct Version {
    clock::Version version;
    clock::Version prev;  // what the version's writer had seen
    bool tombstone = false;
    size_t live_size = 0;  // ItemSize of a live version
  };
  absl::flat_hash_map<std::string, std::optional<Version>> current;
  std::vector<rocksdb::Slice> keys;
  for (const Op& op : request->ops_) {
    if (op.kind == Op::Kind::kItem && (!request->exclusive() || catalog_.IsLive(op.table_id)) &&
        current.try_emplace(op.key).second) {
      keys.emplace_back(op.key);
    }
  }
  std::vector<std::optional<proto::StoredItem>> read;
  RETURN_IF_ERROR(ReadStoredMany(keys, &read));
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!read[i].has_value()) continue;
    const proto::StoredItem& s = *read[i];
    current[View(keys[i])] =
        Version{{s.hlc(), s.origin_region()}, {s.prev_hlc(), s.prev_region()}, s.tombstone(),
                s.tombstone() ? 0 : ItemSize(s.item())};
  }
  read.clear();
  std::vector<Op> kept;
  kept.reserve(request->ops_.size());
  for (Op& op : request->ops_) {
    if (op.kind != Op::Kind::kItem) {
      kept.push_back(std::move(op));
      continue;
    }
    const proto::Mutation& m = *op.mutation;
    auto it = current.try_emplace(op.key).first;
    std::optional<Version>& stored = it->second;
    const clock::Version incoming{m.hlc(), m.origin_region()};
    const clock::Version incoming_prev{m.prev_hlc(), m.prev_region()};
    if (stored.has_value()) {
      const clock::Version have = stored->version;
      const clock::Version have_prev = stored->prev;
      auto conflict = [&](clock::Version winner, clock::Version loser) {
        // Two deletes (Time to Live expiring an item in several regions at once, say) lose
        // nothing: the item is gone whichever wins.
        if (stored->tombstone && m.kind() == proto::Mutation::DELETE) return;
        ConflictRecord c;
        c.table = m.table();
        if (m.kind() == proto::Mutation::PUT) {
          absl::StatusOr<proto::Item> key = ExtractKey(op.table->schema, m.item());
          c.key = key.ok() ? DescribeKey(*key) : std::string();
        } else {
          c.key = DescribeKey(m.item());
        }
        c.winner = winner;
        c.loser = loser;
        c.loser_region = loser.region;
        c.local_write_lost = loser.region == options_.region_id;
        c.when = absl::Now();
        request->conflicts.push_back(std::move(c));
        ++result.conflicts;
      };
      if (incoming == have) {
        ++result.duplicates;
        continue;
      }
      if (incoming < have) {
        // Older than what is stored. A conflict, unless the stored write replaced exactly
        // this one at its origin (this one merely arrived late, through another stream).
        ++result.superseded;
        if (have_prev != incoming) conflict(have, incoming);
        continue;
      }
      // Newer: it wins. If its writer had not seen the stored version, the stored write
      // lost to a concurrent one.
      if (incoming_prev != have) conflict(incoming, have);
    }
    // The new stored version, the image spliced in without copying it into a StoredItem.
    const bool tombstone = m.kind() == proto::Mutation::DELETE;
    const size_t live_size = tombstone ? 0 : ItemSize(m.item());
    StatsDelta& d = op.delta;
    if (stored.has_value()) {
      if (stored->tombstone) {
        --d.tombstones;
      } else {
        --d.live_items;
        d.live_bytes -= static_cast<int64_t>(stored->live_size);
      }
    }
    if (tombstone) {
      ++d.tombstones;
    } else {
      ++d.live_items;
      d.live_bytes += static_cast<int64_t>(live_size);
    }
    AppendStoredItem(incoming, incoming_prev, tombstone,
                     tombstone ? std::string() : m.item().SerializeAsString(), &op.value);
    stored = Version{incoming, incoming_prev, tombstone, live_size};
    ++result.applied;
    kept.push_back(std::move(op));
  }
  request->ops_ = std::move(kept);
  return absl::OkStatus();
}

absl::Mutex* StoreImpl::StreamLock(clock::RegionId origin, uint32_t partition) {
  absl::MutexLock lock(&stream_locks_mu_);
  std::unique_ptr<absl::Mutex>& mu = stream_locks_[(uint64_t{origin} << 32) | partition];
  if (mu == nullptr) mu = std::make_unique<absl::Mutex>();
  return mu.get();
}

absl::StatusOr<uint64_t> StoreImpl::SkipSequences(clock::RegionId origin, uint32_t partition,
                                                  uint64_t through) {
  if (origin == 0 || origin == options_.region_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("region ", origin, " is not another region of the deployment"));
  }
  if (partition >= kMaxPartitions) {
    return absl::InvalidArgumentError(absl::StrCat("partition ", partition, " is out of range"));
  }
  absl::MutexLock stream_lock(StreamLock(origin, partition));
  const uint64_t watermark = AppliedWatermark(origin, partition);
  if (through <= watermark) {
    return absl::FailedPreconditionError(absl::StrCat(
        "region ", origin, " partition ", partition, " is applied up to ", watermark,
        " already; nothing to skip through ", through));
  }
  rocksdb::WriteBatch batch;
  batch.Put(meta_cf_, layout::WatermarkKey(origin, partition), layout::EncodeU64(through));
  RETURN_IF_ERROR(FromRocks(db_->Write(write_options_, &batch), "skipping sequences"));
  {
    absl::MutexLock lock(&watermark_mu_);
    watermarks_[(uint64_t{origin} << 32) | partition] = through;
  }
  return watermark;
}

}  // namespace globaltable::storage
