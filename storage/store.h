// Store: one region's copy of every global table, in RocksDB.
//
// The store owns the table catalog, the items (one current version per key: an item image or a
// tombstone, stamped with (hlc, origin region)), the change log that replication publishes, the
// per-origin applied watermarks, and the conflict log. RocksDB is hidden behind this interface.
//
//   StoreOptions opts;
//   opts.dir = "/var/lib/globaltable/us-east-1";
//   opts.region_id = 1;
//   ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(opts, &hlc));
//   ASSIGN_OR_RETURN(WriteResult r, store->Write("orders", key, [](const proto::Item* current)
//       -> absl::StatusOr<WriteDecision> { return WriteDecision::Put(new_image); }));
//
// Local writes: Write() runs the caller's decision function on the current item under a
// per-key lock, then commits the new version and its change-log record in one RocksDB
// WriteBatch. Concurrent writes are group-committed (one WriteBatch, one WAL write, one fsync
// when `sync` is set); Write() returns only after its group is durable. Each change-log record
// gets the next sequence number of its logical partition; within a partition, sequence order
// equals commit order and HLC order, and sequences have no holes.
//
// Remote mutations: ApplyBatch() keeps each mutation only if its (hlc, origin) is greater than
// the stored version, and advances the origin's applied watermark for the batch's partition in
// the same WriteBatch. Applying a batch twice changes nothing.
//
// Table changes are replicated too: CreateTable, UpdateTable and DeleteTable each write one
// record (CREATE_TABLE, UPDATE_TABLE, DELETE_TABLE) into EVERY partition of the change log, in
// one WriteBatch, so in every partition a table's creation precedes its items. Concurrent
// table changes from different regions are ordered by LWW (storage/catalog.h).
//
// Error codes: kInvalidArgument (bad input; nothing written), kNotFound (no such table),
// kAlreadyExists (table exists), kAborted (the decision function refused, e.g. a failed
// condition; nothing written), kFailedPrecondition (a replication gap), kUnavailable (remote
// HLC beyond max offset, or the disk is full: nothing written, retry later), kInternal
// (RocksDB failure).
//
// A full disk makes the store read-only, not broken: writes fail with kUnavailable (nothing of
// them is kept), reads go on, and writes are taken again by themselves once space is freed
// (health() says which; storage/write_health.h has how).
//
// Thread-safety: all methods are safe to call concurrently. The decision function runs on the
// calling thread while that key's lock is held: it must not call back into the Store.
#ifndef GLOBALTABLE_STORAGE_STORE_H_
#define GLOBALTABLE_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "clock/hlc.h"
#include "clock/version.h"
#include "proto/globaltable.pb.h"

namespace globaltable::storage {

// Partitions of a new store when StoreOptions leaves the number open. One: a region's changes
// then travel as one ordered sequence, cut into as few messages as the publisher can make,
// which is what replication throughput and lag depend on while a peer applies with one thread
// (docs/architecture.md, "Partitions").
inline constexpr uint32_t kDefaultPartitions = 1;
// The most partitions a store can have. Regions may differ in their number (each store keeps
// the one it was created with), so a peer's batch may name any partition below this.
inline constexpr uint32_t kMaxPartitions = 4096;

// A change-log record as stored: a serialized proto::Mutation and its sequence.
struct ChangeLogRecord {
  uint64_t sequence = 0;
  std::string bytes;
};

struct StoreOptions {
  std::string dir;                  // created if missing
  clock::RegionId region_id = 1;
  std::string region_name = "local";
  // Logical partitions of the region's change log, fixed at creation of the store. 0: the
  // number the store was created with, or kDefaultPartitions for a new store. A number other
  // than the store's is refused at open.
  uint32_t num_partitions = 0;
  // false: a write is acknowledged once in the WAL (survives a killed process).
  // true: also fsync'ed per commit group (survives a machine crash).
  bool sync = false;
  size_t block_cache_bytes = 64 << 20;
  size_t write_buffer_bytes = 16 << 20;   // per column family memtable
  int max_write_buffers = 2;
  size_t conflict_log_capacity = 1000;
  absl::Duration tombstone_grace = absl::Hours(24);
};

// What a local write does, decided from the current item.
struct WriteDecision {
  enum class Kind { kPut, kDelete, kNoop };
  Kind kind = Kind::kNoop;
  proto::Item item;  // kPut: the full new image, canonical, key attributes included

  static WriteDecision Put(proto::Item item) { return {Kind::kPut, std::move(item)}; }
  static WriteDecision Delete() { return {Kind::kDelete, {}}; }
  static WriteDecision Noop() { return {Kind::kNoop, {}}; }
};

// Sees the current live item (nullptr when absent or deleted). Returning an error aborts the
// write with that error and writes nothing. Called once per Write (once per op of a WriteMany),
// so a decision may move what it captured into its result.
using DecisionFn = std::function<absl::StatusOr<WriteDecision>(const proto::Item* current)>;

// One item of a WriteMany.
struct WriteOp {
  proto::Item key;
  DecisionFn decide;
};

// One item of a WriteTransaction: items of several tables.
struct TransactionWrite {
  std::string table;
  proto::Item key;
  DecisionFn decide;
};

// One item of a GetItems.
struct ItemRef {
  std::string table;
  proto::Item key;
};

struct WriteResult {
  std::optional<proto::Item> old_item;  // the live item before the write, if any
  std::optional<proto::Item> new_item;  // the live item after the write, if any
  clock::Version version;               // zero for kNoop
  uint32_t partition = 0;
  uint64_t sequence = 0;                // change-log sequence; 0 for kNoop
};

// A sort key condition for Query, in DynamoDB's KeyConditionExpression terms.
struct SortKeyCondition {
  enum class Op { kNone, kEq, kLt, kLe, kGt, kGe, kBetween, kBeginsWith };
  Op op = Op::kNone;
  proto::AttributeValue value;   // kBetween: lower bound
  proto::AttributeValue value2;  // kBetween: upper bound
};

struct ScanSpec {
  std::string table;
  // Query: the partition key value (required) and an optional sort key condition.
  std::optional<proto::AttributeValue> partition_key;
  SortKeyCondition sort_key;
  bool forward = true;                       // Query only; Scan is always forward
  std::optional<proto::Item> exclusive_start_key;  // key attributes, as LastEvaluatedKey
  // Parallel scan: this reader's segment of total_segments (hash ranges of partition keys).
  uint32_t segment = 0;
  uint32_t total_segments = 1;
};

// Receives items in order; return false to stop. `item_size` is ItemSize(item).
using ScanVisitor = std::function<bool(const proto::Item& item, size_t item_size)>;

struct TableStats {
  uint64_t live_items = 0;
  uint64_t tombstones = 0;
  uint64_t live_bytes = 0;  // sum of ItemSize over live items
};

struct TableDigest {
  std::string table;
  uint64_t items = 0;       // live items
  uint64_t tombstones = 0;
  std::string digest;       // lower-case hex, order-independent over the live items
                            // (key, version, item bytes); tombstones are not in it
};

struct ConflictRecord {
  std::string table;
  std::string key;                // readable key, e.g. pk="a" sk=3
  clock::Version winner;
  clock::Version loser;
  clock::RegionId loser_region = 0;
  bool local_write_lost = false;  // the loser was this region's write
  absl::Time when;
};

// Every conflict recorded since the store opened, by the losing write's region and table.
struct ConflictCount {
  clock::RegionId loser_region = 0;
  std::string table;
  uint64_t count = 0;
};

struct ApplyResult {
  uint64_t applied = 0;      // mutations that became the stored version
  uint64_t superseded = 0;   // mutations older than the stored version (LWW losers)
  uint64_t duplicates = 0;   // already applied (at or below the watermark)
  uint64_t stale_table = 0;  // for a table incarnation that no longer exists
  uint64_t conflicts = 0;    // concurrent writes this batch revealed (see RecentConflicts)
};

// Whether the store takes writes, for status and metrics (Store::health()).
struct StorageHealth {
  bool writable = true;
  bool disk_full = false;  // not writable because the disk is full (it recovers by itself)
  std::string reason;      // why not writable, for operators; empty while writable
  absl::Time since = absl::InfinitePast();  // when the store became read-only
  uint64_t disk_full_errors = 0;            // writes refused because the disk was full, since open
  uint64_t read_only_episodes = 0;          // times the store became read-only, since open
};

struct StoreStats {
  uint64_t conflicts = 0;
  uint64_t local_writes = 0;
  uint64_t remote_applied = 0;
  uint64_t commit_groups = 0;  // RocksDB writes of local writes, applies and table changes
  // Tables whose counters had to be rebuilt by a scan at open (a store written before table
  // counters were persisted); 0 otherwise.
  uint64_t tables_counted_at_open = 0;
  uint64_t sst_bytes = 0;
  uint64_t pending_compaction_bytes = 0;
};

class Store {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options,
                                                     clock::HybridClock* clock);
  virtual ~Store() = default;

  // ---- Catalog. Table creation and deletion are replicated through the change log.
  // Stamps created_hlc/created_region. kAlreadyExists if a live table has the name;
  // kInvalidArgument for a bad name (1-255 of [A-Za-z0-9_.-]) or key schema.
  virtual absl::StatusOr<proto::TableSchema> CreateTable(proto::TableSchema schema) = 0;
  // Deletes the table and its items. kNotFound if absent.
  virtual absl::Status DeleteTable(absl::string_view name) = 0;
  virtual absl::StatusOr<proto::TableSchema> DescribeTable(absl::string_view name) const = 0;
  // The same schema, shared instead of copied, for callers that read it on every request. The
  // schema never changes; a table change makes a new one. This default copies DescribeTable's.
  virtual absl::StatusOr<std::shared_ptr<const proto::TableSchema>> GetSchema(
      absl::string_view name) const {
    absl::StatusOr<proto::TableSchema> schema = DescribeTable(name);
    if (!schema.ok()) return schema.status();
    return std::make_shared<const proto::TableSchema>(std::move(*schema));
  }
  // Replaces mutable schema fields (billing mode, capacity, primary region). Replicated.
  virtual absl::StatusOr<proto::TableSchema> UpdateTable(proto::TableSchema schema) = 0;
  // Sorted by name.
  virtual std::vector<std::string> ListTables() const = 0;
  // In-memory counters kept by every commit and persisted with it (read back at Open, no
  // scan): cheap enough to read on every metrics scrape.
  virtual absl::StatusOr<TableStats> GetTableStats(absl::string_view name) const = 0;

  // ---- Items. `key` holds exactly the key attributes (see ValidateKey).
  virtual absl::StatusOr<std::optional<proto::Item>> GetItem(absl::string_view table,
                                                             const proto::Item& key) const = 0;
  virtual absl::StatusOr<WriteResult> Write(absl::string_view table, const proto::Item& key,
                                            const DecisionFn& decide) = 0;
  // Several items of one table as one commit (BatchWriteItem, bulk loads): every decision runs
  // under its key's lock, all locks are held until the commit, and all versions and change-log
  // records go into one WriteBatch, so the group costs one WAL write. All or nothing: an error
  // from any key or decision writes nothing. Keys must be distinct (kInvalidArgument).
  // Results are in the order of `ops`.
  virtual absl::StatusOr<std::vector<WriteResult>> WriteMany(absl::string_view table,
                                                             absl::Span<const WriteOp> ops) = 0;
  // The same across tables (TransactWriteItems), with one difference: every decision runs,
  // even after one has failed, so that each caller's decision learns the current item (and can
  // report why it refused); then, if any failed, the first error is returned and nothing is
  // written. Items must be distinct (kInvalidArgument); every table must be live (kNotFound).
  // This default refuses (kUnimplemented).
  virtual absl::StatusOr<std::vector<WriteResult>> WriteTransaction(
      absl::Span<const TransactionWrite> ops) {
    (void)ops;
    return absl::UnimplementedError("transactions are not supported by this store");
  }
  // Several items, possibly of several tables, read from one consistent view of the store (no
  // commit group is seen in part). In the order of `refs`; nullopt for an absent item. This
  // default reads them one by one (not one view).
  virtual absl::StatusOr<std::vector<std::optional<proto::Item>>> GetItems(
      absl::Span<const ItemRef> refs) const {
    std::vector<std::optional<proto::Item>> out;
    for (const ItemRef& r : refs) {
      absl::StatusOr<std::optional<proto::Item>> item = GetItem(r.table, r.key);
      if (!item.ok()) return item.status();
      out.push_back(*std::move(item));
    }
    return out;
  }
  // Visits live items: a Query when spec.partition_key is set, else a Scan.
  virtual absl::Status Scan(const ScanSpec& spec, const ScanVisitor& visit) const = 0;

  // ---- Change log (this region's local writes and table changes).
  virtual uint32_t num_partitions() const = 0;
  // Last sequence committed in `partition`; 0 when empty.
  virtual uint64_t LastSequence(uint32_t partition) const = 0;
  // Records with sequence >= from, in order, at most max_records and about max_bytes.
  virtual absl::StatusOr<std::vector<proto::Mutation>> ReadChangeLog(uint32_t partition,
                                                                     uint64_t from,
                                                                     size_t max_records,
                                                                     size_t max_bytes) const = 0;
  // The same records as stored (each a serialized proto::Mutation), with their sequences, for
  // a reader that copies them into a message without parsing them (the publisher). This
  // default serializes ReadChangeLog's.
  virtual absl::StatusOr<std::vector<ChangeLogRecord>> ReadChangeLogRecords(
      uint32_t partition, uint64_t from, size_t max_records, size_t max_bytes) const {
    absl::StatusOr<std::vector<proto::Mutation>> parsed =
        ReadChangeLog(partition, from, max_records, max_bytes);
    if (!parsed.ok()) return parsed.status();
    std::vector<ChangeLogRecord> out;
    out.reserve(parsed->size());
    for (const proto::Mutation& m : *parsed) out.push_back({m.sequence(), m.SerializeAsString()});
    return out;
  }
  // Drops records with sequence < below, except the partition's last record, which is always
  // kept (it carries LastSequence across restarts). Reads from a trimmed sequence start at the
  // first record kept.
  virtual absl::Status TrimChangeLog(uint32_t partition, uint64_t below) = 0;
  // Appends a HEARTBEAT record (hlc = now, no data) to every partition that got no record
  // since the previous call, and to every partition on the first call after open. Peers learn
  // from them how far an idle partition is closed (ClosedHlc). Returns how many were written.
  virtual absl::StatusOr<uint32_t> WriteHeartbeats() = 0;
  // Called after each commit with the partitions that got new records. Must be cheap, must not
  // block and must not call back into the Store (hand off to another thread).
  virtual void SetCommitListener(std::function<void(uint32_t partition, uint64_t last_sequence)>
                                     listener) = 0;

  // ---- Remote mutations.
  // Applies a batch from another region. Duplicates (sequences at or below the watermark) are
  // skipped; a batch starting beyond watermark+1 is a gap: kFailedPrecondition, nothing
  // applied. A mutation whose HLC is beyond the clock's max offset: kUnavailable, nothing
  // applied. Malformed batches (including origin == this region): kInvalidArgument, nothing
  // applied. Items of a table incarnation whose creation has not arrived here yet (it travels
  // in the creating region's stream): kUnavailable, nothing applied, retry later. Items of a
  // deleted or replaced incarnation are dropped and counted as stale_table.
  virtual absl::StatusOr<ApplyResult> ApplyBatch(const proto::MutationBatch& batch) = 0;
  // Last sequence of `origin`'s `partition` applied here; 0 when none.
  virtual uint64_t AppliedWatermark(clock::RegionId origin, uint32_t partition) const = 0;
  // The operator's way past records of `origin`'s `partition` that cannot be applied here:
  // advances the watermark to `through` without applying anything, so the records after it
  // apply again. The skipped mutations are missing from this region until it is resynced.
  // Returns the watermark it replaced. kFailedPrecondition when `through` is not beyond the
  // watermark; kInvalidArgument for this region's own id or a partition out of range.
  virtual absl::StatusOr<uint64_t> SkipSequences(clock::RegionId origin, uint32_t partition,
                                                 uint64_t through) = 0;
  // Largest HLC applied from `origin` (for lag and status); 0 when none.
  virtual clock::Timestamp AppliedHlc(clock::RegionId origin) const = 0;
  // An HLC below which this region has applied every mutation `origin` has written or will
  // write: the smallest, over the origin's partitions, of the hlc of the last record applied
  // from each (a partition's records have non-decreasing hlcs in sequence order, and its
  // next record has an hlc above every record before it). nullopt until a HEARTBEAT from
  // `origin` has said how many partitions it has and each of them has delivered a record
  // since this store opened.
  virtual std::optional<clock::Timestamp> ClosedHlc(clock::RegionId origin) const = 0;

  // ---- Maintenance and verification.
  // Removes tombstones with hlc < safe_hlc whose delete is older than the grace period.
  // safe_hlc must be one below which no mutation of any region can still arrive here (the
  // smallest ClosedHlc over every other region): a purged tombstone can no longer win against
  // an older write that arrives late. Returns how many were purged.
  virtual absl::StatusOr<uint64_t> PurgeTombstones(clock::Timestamp safe_hlc) = 0;
  virtual absl::StatusOr<TableDigest> Digest(absl::string_view table) const = 0;
  // Newest first, at most the configured capacity. A conflict is two concurrent writes to one
  // item (neither writer had seen the other's version; Mutation.prev_hlc says what a writer
  // had seen); it is recorded when the second of them arrives here, with the loser: the
  // arriving mutation when it is older than the stored version, or the stored version (with
  // local_write_lost if it was written here) when a concurrent newer write replaces it.
  virtual std::vector<ConflictRecord> RecentConflicts() const = 0;
  // Totals since open per (loser region, table), for the conflicts metric. Sorted.
  virtual std::vector<ConflictCount> ConflictCounts() const = 0;
  virtual StoreStats stats() const = 0;
  // Whether writes are taken now, and why not. This default: always writable.
  virtual StorageHealth health() const { return {}; }

  // ---- Small persistent settings (write mode, drill history, ...), in the metadata family.
  virtual absl::Status PutSetting(absl::string_view name, absl::string_view value) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetSetting(absl::string_view name) const = 0;
};

// The logical partition of a partition key value (canonical) in a store with n partitions.
// Stable across regions and releases.
uint32_t PartitionOf(absl::string_view table, const proto::AttributeValue& partition_key,
                     uint32_t num_partitions);

}  // namespace globaltable::storage

#endif  // GLOBALTABLE_STORAGE_STORE_H_
