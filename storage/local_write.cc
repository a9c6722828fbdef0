// StoreImpl's local item writes and point reads: Write, WriteMany and GetItem, and the commit
// requests (LocalWrite, MultiWrite) the writer queue's leader builds into a group. Thread-safe;
// the concurrency design is in store_impl.h.
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/proto_wire.h"
#include "common/status_macros.h"
#include "storage/key_codec.h"
#include "storage/layout.h"
#include "storage/store_impl.h"
#include "storage/value.h"

namespace globaltable::storage {

// ---------------------------------------------------------------------------------------------
// Commit requests for local writes.

namespace {

constexpr uint32_t kStoredItemItemField = proto::StoredItem::kItemFieldNumber;
constexpr uint32_t kMutationItemField = proto::Mutation::kItemFieldNumber;
static_assert(kStoredItemItemField == 4 && kMutationItemField == 6,
              "AppendStoredItem and LocalWrite::Build splice the image between the fields "
              "around these numbers");

}  // namespace

// One local item write, decided under the key's stripe; the leader stamps it.
class StoreImpl::LocalWrite final : public StoreImpl::CommitRequest {
 public:
  LocalWrite(const CatalogEntry& table, std::string item_key, uint32_t partition,
             std::string partition_key, proto::Item item_or_key, bool tombstone,
             clock::Version prev, StatsDelta delta)
      : table_(table),
        item_key_(std::move(item_key)),
        partition_(partition),
        partition_key_(std::move(partition_key)),
        item_(std::move(item_or_key)),
        tombstone_(tombstone),
        prev_(prev),
        delta_(delta) {}

  void Build(StoreImpl* store, GroupContext* ctx) override {
    if (!store->catalog_.IsLive(table_.table_id)) {
      Reject(absl::NotFoundError(absl::StrCat("Table was deleted: ", table_.schema.name())));
      return;
    }
    version_ = {store->clock_->Now(), store->options_.region_id};
    sequence_ = ctx->NextSequence(*store, partition_);
    // Both records embed the image (the stored version unless it is a tombstone; the change-log
    // record always, the key attributes for a delete). It is serialized once and spliced in:
    // protobuf writes fields in number order, so the fields before the image, the image as a
    // length-delimited field and the fields after it, each part serialized on its own and
    // concatenated, are byte for byte what SerializeAsString of the whole record writes
    // (LocalWriteTest.RecordsAreCanonicalSerializations checks it).
    const std::string image = item_.SerializeAsString();
    std::string value;

    AppendStoredItem(version_, prev_, tombstone_, image, &value);
    ctx->batch.Put(store->items_cf_, item_key_, value);

    value.clear();
    proto::Mutation m;  // fields 1-5, then 7-12
    m.set_kind(tombstone_ ? proto::Mutation::DELETE : proto::Mutation::PUT);
    m.set_table(table_.schema.name());
    m.set_table_created_hlc(table_.incarnation.hlc);
    m.set_table_created_region(table_.incarnation.region);
    m.set_partition_key(partition_key_);
    m.AppendToString(&value);
    AppendLengthDelimited(kMutationItemField, image, &value);
    m.Clear();
    m.set_hlc(version_.hlc);
    m.set_origin_region(version_.region);
    m.set_sequence(sequence_);
    m.set_prev_hlc(prev_.hlc);
    m.set_prev_region(prev_.region);
    m.AppendToString(&value);
    ctx->batch.Put(store->changelog_cf_, layout::ChangeLogKey(partition_, sequence_), value);
    ctx->AddStats(table_.table_id, delta_);
  }

  void Publish(StoreImpl* store) override {
    store->ApplyStats(table_.table_id, delta_);
    store->local_writes_.fetch_add(1, std::memory_order_relaxed);
  }

  clock::Version version() const { return version_; }
  uint64_t sequence() const { return sequence_; }
  const CatalogEntry& table() const { return table_; }
  // The new live item of a put (WriteResult::new_item), moved out; after the commit.
  std::optional<proto::Item> TakeImage() {
    if (tombstone_) return std::nullopt;
    return std::move(item_);
  }

 private:
  const CatalogEntry& table_;
  const std::string item_key_;
  const uint32_t partition_;
  const std::string partition_key_;
  proto::Item item_;
  const bool tombstone_;
  const clock::Version prev_;
  const StatsDelta delta_;
  clock::Version version_;
  uint64_t sequence_ = 0;
};

// Several local writes committed as one request (WriteMany, WriteTransaction). A table change
// is exclusive, so each table is either live for every part or for none; if any part's table
// is gone, the whole request is refused.
class StoreImpl::MultiWrite final : public StoreImpl::CommitRequest {
 public:
  explicit MultiWrite(std::vector<LocalWrite*> parts) : parts_(std::move(parts)) {}

  void Build(StoreImpl* store, GroupContext* ctx) override {
    for (LocalWrite* part : parts_) {
      if (!store->catalog_.IsLive(part->table().table_id)) {
        Reject(absl::NotFoundError(
            absl::StrCat("Table was deleted: ", part->table().schema.name())));
        return;
      }
    }
    for (LocalWrite* part : parts_) part->Build(store, ctx);
  }

  void Publish(StoreImpl* store) override {
    for (LocalWrite* part : parts_) part->Publish(store);
  }

 private:
  const std::vector<LocalWrite*> parts_;
};

// ---------------------------------------------------------------------------------------------
// Items.

absl::StatusOr<proto::Item> CanonicalKey(const proto::TableSchema& schema, const proto::Item& key) {
  proto::Item canonical = key;
  RETURN_IF_ERROR(CanonicalizeItem(&canonical));
  RETURN_IF_ERROR(ValidateKey(schema, canonical));
  return canonical;
}

void AppendStoredItem(clock::Version version, clock::Version prev, bool tombstone,
                      absl::string_view image, std::string* out) {
  proto::StoredItem head;  // fields 1-3
  head.set_hlc(version.hlc);
  head.set_origin_region(version.region);
  head.set_tombstone(tombstone);
  head.AppendToString(out);
  if (!tombstone) AppendLengthDelimited(kStoredItemItemField, image, out);
  proto::StoredItem tail;  // fields 5-7
  if (tombstone) tail.set_tombstone_purge_after_ms(clock::PhysicalMillis(version.hlc));
  tail.set_prev_hlc(prev.hlc);
  tail.set_prev_region(prev.region);
  tail.AppendToString(out);
}

bool SameKey(const proto::TableSchema& schema, const proto::Item& key, const proto::Item& item) {
  for (const proto::KeyElement* element : {&schema.partition_key(), &schema.sort_key()}) {
    if (element->name().empty()) continue;  // no sort key
    const proto::AttributeValue* k = FindAttribute(key, element->name());
    const proto::AttributeValue* v = FindAttribute(item, element->name());
    if (k == nullptr || v == nullptr || !ValuesEqual(*k, *v)) return false;
  }
  return true;
}

absl::StatusOr<std::optional<proto::Item>> StoreImpl::GetItem(absl::string_view table,
                                                              const proto::Item& key) const {
  std::shared_ptr<const CatalogEntry> live = catalog_.FindLive(table);
  if (live == nullptr) {
    return absl::NotFoundError(absl::StrCat("Requested resource not found: Table: ", table));
  }
  ASSIGN_OR_RETURN(proto::Item canonical, CanonicalKey(live->schema, key));
  ASSIGN_OR_RETURN(
      std::optional<proto::StoredItem> stored,
      ReadStored(layout::ItemKey(live->table_id, EncodeKeySuffix(live->schema, canonical))));
  if (!stored.has_value() || stored->tombstone()) return std::nullopt;
  return std::move(*stored->mutable_item());
}

absl::StatusOr<StoreImpl::PreparedKey> StoreImpl::PrepareKey(const CatalogEntry& table,
                                                              const proto::Item& key) const {
  const proto::TableSchema& schema = table.schema;
  PreparedKey k;
  ASSIGN_OR_RETURN(k.canonical, CanonicalKey(schema, key));
  k.suffix = EncodeKeySuffix(schema, k.canonical);
  const proto::AttributeValue* pk = FindAttribute(k.canonical, schema.partition_key().name());
  k.partition = PartitionOf(schema.name(), *pk, num_partitions_);
  k.item_key = layout::ItemKey(table.table_id, k.suffix);
  k.partition_prefix = EncodePartitionPrefix(schema, *pk);
  return k;
}

absl::StatusOr<std::unique_ptr<StoreImpl::LocalWrite>> StoreImpl::DecideLocalWrite(
    const CatalogEntry& table, PreparedKey key, std::optional<proto::StoredItem> current,
    const DecisionFn& decide, WriteResult* result) {
  const proto::TableSchema& schema = table.schema;
  result->partition = key.partition;
  const bool was_live = current.has_value() && !current->tombstone();
  absl::StatusOr<WriteDecision> decision = decide(was_live ? &current->item() : nullptr);
  if (!decision.ok()) return decision.status();
  if (decision->kind == WriteDecision::Kind::kNoop) {
    if (was_live) {
      result->old_item = std::move(*current->mutable_item());
      result->new_item = result->old_item;
    }
    return nullptr;
  }
  const bool tombstone = decision->kind == WriteDecision::Kind::kDelete;
  proto::Item image;
  std::optional<size_t> live_size;
  if (tombstone) {
    image = std::move(key.canonical);
  } else {
    image = std::move(decision->item);
    RETURN_IF_ERROR(ValidateItemForWrite(schema, image));
    if (!SameKey(schema, key.canonical, image)) {
      return absl::InvalidArgumentError("the new item's key attributes differ from the key");
    }
    live_size = ItemSize(image);
  }
  const StatsDelta delta = DeltaOf(current, /*written=*/true, live_size);
  const clock::Version prev = current.has_value()
                                  ? clock::Version{current->hlc(), current->origin_region()}
                                  : clock::Version{};
  // new_item is filled after the commit, from the request (LocalWrite::TakeImage).
  if (was_live) result->old_item = std::move(*current->mutable_item());
  return std::make_unique<LocalWrite>(table, std::move(key.item_key), key.partition,
                                      std::move(key.partition_prefix), std::move(image),
                                      tombstone, prev, delta);
}

absl::StatusOr<WriteResult> StoreImpl::Write(absl::string_view table, const proto::Item& key,
                                             const DecisionFn& decide) {
  std::shared_ptr<const CatalogEntry> live = catalog_.FindLive(table);
  if (live == nullptr) {
    return absl::NotFoundError(absl::StrCat("Requested resource not found: Table: ", table));
  }
  ASSIGN_OR_RETURN(PreparedKey prepared, PrepareKey(*live, key));
  WriteResult result;
  std::lock_guard<std::mutex> stripe(StripeFor(prepared.item_key));
  ASSIGN_OR_RETURN(std::optional<proto::StoredItem> current, ReadStored(prepared.item_key));
  ASSIGN_OR_RETURN(std::unique_ptr<LocalWrite> request,
                   DecideLocalWrite(*live, std::move(prepared), std::move(current), decide,
                                    &result));
  if (request == nullptr) return result;
  RETURN_IF_ERROR(queue_.Submit(request.get()));
  result.version = request->version();
  result.sequence = request->sequence();
  result.new_item = request->TakeImage();
  return result;
}

absl::StatusOr<std::vector<WriteResult>> StoreImpl::WriteMany(absl::string_view table,
                                                              absl::Span<const WriteOp> ops) {
  if (ops.empty()) return std::vector<WriteResult>();
  std::shared_ptr<const CatalogEntry> live = catalog_.FindLive(table);
  if (live == nullptr) {
    return absl::NotFoundError(absl::StrCat("Requested resource not found: Table: ", table));
  }
  std::vector<ItemWrite> writes;
  writes.reserve(ops.size());
  for (const WriteOp& op : ops) writes.push_back({live.get(), &op.key, &op.decide});
  return WriteItems(writes, /*evaluate_all=*/false);
}

absl::StatusOr<std::vector<WriteResult>> StoreImpl::WriteTransaction(
    absl::Span<const TransactionWrite> ops) {
  if (ops.empty()) return std::vector<WriteResult>();
  std::vector<std::shared_ptr<const CatalogEntry>> tables;  // keeps the entries alive
  std::vector<ItemWrite> writes;
  writes.reserve(ops.size());
  for (const TransactionWrite& op : ops) {
    std::shared_ptr<const CatalogEntry> live = catalog_.FindLive(op.table);
    if (live == nullptr) {
      return absl::NotFoundError(absl::StrCat("Requested resource not found: Table: ", op.table));
    }
    writes.push_back({live.get(), &op.key, &op.decide});
    tables.push_back(std::move(live));
  }
  return WriteItems(writes, /*evaluate_all=*/true);
}

absl::StatusOr<std::vector<WriteResult>> StoreImpl::WriteItems(absl::Span<const ItemWrite> writes,
                                                               bool evaluate_all) {
  std::vector<WriteResult> results(writes.size());
  std::vector<PreparedKey> keys;
  keys.reserve(writes.size());
  for (const ItemWrite& w : writes) {
    ASSIGN_OR_RETURN(PreparedKey k, PrepareKey(*w.table, *w.key));
    keys.push_back(std::move(k));
  }
  std::vector<size_t> stripes;
  stripes.reserve(keys.size());
  {
    absl::flat_hash_set<absl::string_view> seen;
    for (const PreparedKey& k : keys) {
      if (!seen.insert(k.item_key).second) {
        return absl::InvalidArgumentError("Provided list of item keys contains duplicates");
      }
      stripes.push_back(StripeIndex(k.item_key));
    }
  }
  // Every key's stripe, in increasing index order (the order rule of ApplyBatch), each once.
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  for (size_t i : stripes) stripes_[i].lock();
  struct Unlock {
    std::mutex* stripes;
    const std::vector<size_t>& held;
    ~Unlock() {
      for (auto it = held.rbegin(); it != held.rend(); ++it) stripes[*it].unlock();
    }
  } unlock{stripes_.get(), stripes};

  // The stored versions, read under the stripes with one MultiGet.
  std::vector<std::optional<proto::StoredItem>> current;
  {
    std::vector<rocksdb::Slice> slices;
    slices.reserve(keys.size());
    for (const PreparedKey& k : keys) slices.emplace_back(k.item_key);
    RETURN_IF_ERROR(ReadStoredMany(slices, &current));
  }
  std::vector<std::unique_ptr<LocalWrite>> requests(writes.size());
  std::vector<LocalWrite*> parts;
  absl::Status first_error;
  for (size_t i = 0; i < writes.size(); ++i) {
    absl::StatusOr<std::unique_ptr<LocalWrite>> request =
        DecideLocalWrite(*writes[i].table, std::move(keys[i]), std::move(current[i]),
                         *writes[i].decide, &results[i]);
    if (!request.ok()) {
      if (!evaluate_all) return request.status();
      if (first_error.ok()) first_error = request.status();
      continue;
    }
    requests[i] = *std::move(request);
    if (requests[i] != nullptr) parts.push_back(requests[i].get());
  }
  RETURN_IF_ERROR(first_error);
  if (parts.empty()) return results;
  MultiWrite request(std::move(parts));
  RETURN_IF_ERROR(queue_.Submit(&request));
  for (size_t i = 0; i < writes.size(); ++i) {
    if (requests[i] == nullptr) continue;
    results[i].version = requests[i]->version();
    results[i].sequence = requests[i]->sequence();
    results[i].new_item = requests[i]->TakeImage();
  }
  return results;
}

absl::StatusOr<std::vector<std::optional<proto::Item>>> StoreImpl::GetItems(
    absl::Span<const ItemRef> refs) const {
  std::vector<std::string> item_keys;
  item_keys.reserve(refs.size());
  for (const ItemRef& r : refs) {
    std::shared_ptr<const CatalogEntry> live = catalog_.FindLive(r.table);
    if (live == nullptr) {
      return absl::NotFoundError(absl::StrCat("Requested resource not found: Table: ", r.table));
    }
    ASSIGN_OR_RETURN(proto::Item canonical, CanonicalKey(live->schema, r.key));
    item_keys.push_back(layout::ItemKey(live->table_id, EncodeKeySuffix(live->schema, canonical)));
  }
  std::vector<rocksdb::Slice> slices(item_keys.begin(), item_keys.end());
  // One snapshot for every key: a commit group is one WriteBatch, so none is seen in part.
  struct Snapshot {
    rocksdb::DB* db;
    const rocksdb::Snapshot* snapshot;
    ~Snapshot() { db->ReleaseSnapshot(snapshot); }
  } snapshot{db_.get(), db_->GetSnapshot()};
  std::vector<std::optional<proto::StoredItem>> stored;
  RETURN_IF_ERROR(ReadStoredMany(slices, &stored, snapshot.snapshot));
  std::vector<std::optional<proto::Item>> out(refs.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    if (stored[i].has_value() && !stored[i]->tombstone()) {
      out[i] = std::move(*stored[i]->mutable_item());
    }
  }
  return out;
}

}  // namespace globaltable::storage
