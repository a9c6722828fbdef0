// The table catalog: one entry per table name (a live table or a deleted-table marker), the
// LWW rules that order creates, updates and deletes coming from different regions, and the
// in-memory copy the store reads on every request. Internal to storage/.
//
// An entry's incarnation is the version of the CreateTable that made the table,
// (created_hlc, created_region); its version is the newest create/update/delete applied. Table
// mutations are ordered so that every region ends in the same state whatever the arrival order:
//
//   state version := version of the delete for a marker, the incarnation for a live table
//   CREATE/UPDATE of incarnation I at v: install I        if no entry or state version < I
//                                        replace schema   if live I and version < v
//                                        stale otherwise
//   DELETE of incarnation I at v:        mark deleted (v)  if no entry or state version < v
//                                        stale otherwise
//
// So the final state is that of the create or delete with the greatest key (a create's key is
// its incarnation, a delete's its version), with the newest update of that incarnation: the
// result is the same for every order. An UPDATE carries the full schema (incarnation included),
// so it can install the table when it overtakes the CREATE.
//
// Stored value grammar (meta CF, key "catalog/" name; integers big-endian):
//   entry := format:u8(=1) table_id:u32 deleted:u8 inc_hlc:u64 inc_region:u32
//            ver_hlc:u64 ver_region:u32 schema:proto::TableSchema
//
// Thread-safety: CatalogEntry is a value. Catalog is thread-safe; entries it hands out are
// immutable snapshots.
#ifndef GLOBALTABLE_STORAGE_CATALOG_H_
#define GLOBALTABLE_STORAGE_CATALOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "clock/version.h"
#include "proto/globaltable.pb.h"

namespace globaltable::storage {

struct CatalogEntry {
  uint32_t table_id = 0;  // local; items live under this prefix (0 for markers)
  bool deleted = false;
  clock::Version incarnation;
  clock::Version version;
  proto::TableSchema schema;  // markers keep the deleted incarnation's schema

  clock::Version StateVersion() const { return deleted ? version : incarnation; }
};

std::string EncodeCatalogEntry(const CatalogEntry& entry);
absl::StatusOr<CatalogEntry> DecodeCatalogEntry(absl::string_view bytes);

// The incarnation named by a schema.
inline clock::Version IncarnationOf(const proto::TableSchema& schema) {
  return {schema.created_hlc(), schema.created_region()};
}

enum class TableDecision {
  kInstall,  // a new incarnation becomes the live table (drops a previous one's items)
  kUpdate,   // same incarnation, newer schema
  kDelete,   // the table (or nothing) becomes a deleted marker at this version
  kStale,    // older than what is stored: no effect
};

// What a table mutation (CREATE_TABLE, UPDATE_TABLE or DELETE_TABLE) does given the stored
// entry (nullptr when the name was never seen). See the rules above.
TableDecision DecideTableMutation(const CatalogEntry* stored, const proto::Mutation& mutation);

// Checks a schema given to CreateTable: a name of 1-255 characters [A-Za-z0-9_.-], a
// partition key and an optional sort key with names and types S, N or B. kInvalidArgument.
absl::Status ValidateNewSchema(const proto::TableSchema& schema);

// The in-memory catalog. Every change is made after the matching RocksDB commit, by the one
// thread that commits (see StoreImpl).
class Catalog {
 public:
  Catalog() = default;
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // The entry for `name` (live or marker); nullptr when never seen.
  std::shared_ptr<const CatalogEntry> Find(absl::string_view name) const;
  // The live table named `name`; nullptr when absent or deleted.
  std::shared_ptr<const CatalogEntry> FindLive(absl::string_view name) const;
  // Whether `table_id` is a live table right now.
  bool IsLive(uint32_t table_id) const;
  // Inserts or replaces the entry for entry.schema.name().
  void Put(CatalogEntry entry);
  // Live tables, sorted by name.
  std::vector<std::shared_ptr<const CatalogEntry>> Live() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const CatalogEntry>> by_name_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, std::string> live_ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace globaltable::storage

#endif  // GLOBALTABLE_STORAGE_CATALOG_H_
