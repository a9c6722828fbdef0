// Table catalog: entry coding, table-mutation LWW rules, in-memory copy. See catalog.h.
#include "storage/catalog.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "storage/layout.h"

namespace globaltable::storage {
namespace {

constexpr uint8_t kEntryFormat = 1;
constexpr size_t kEntryHeaderBytes = 1 + 4 + 1 + 8 + 4 + 8 + 4;

bool ValidTableName(absl::string_view name) {
  if (name.size() < 1 || name.size() > 255) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool ValidKeyElement(const proto::KeyElement& e) {
  return !e.name().empty() && e.name().size() <= 255 &&
         (e.type() == proto::S || e.type() == proto::N || e.type() == proto::B);
}

}  // namespace

std::string EncodeCatalogEntry(const CatalogEntry& entry) {
  std::string out;
  out.push_back(static_cast<char>(kEntryFormat));
  layout::AppendU32(entry.table_id, &out);
  out.push_back(entry.deleted ? 1 : 0);
  layout::AppendU64(entry.incarnation.hlc, &out);
  layout::AppendU32(entry.incarnation.region, &out);
  layout::AppendU64(entry.version.hlc, &out);
  layout::AppendU32(entry.version.region, &out);
  entry.schema.AppendToString(&out);
  return out;
}

absl::StatusOr<CatalogEntry> DecodeCatalogEntry(absl::string_view bytes) {
  if (bytes.size() < kEntryHeaderBytes || static_cast<uint8_t>(bytes[0]) != kEntryFormat) {
    return absl::DataLossError("catalog entry: bad header");
  }
  CatalogEntry e;
  absl::string_view in = bytes.substr(1);
  layout::DecodeU32(in, &e.table_id);
  in.remove_prefix(4);
  e.deleted = in[0] != 0;
  in.remove_prefix(1);
  layout::DecodeU64(in, &e.incarnation.hlc);
  in.remove_prefix(8);
  layout::DecodeU32(in, &e.incarnation.region);
  in.remove_prefix(4);
  layout::DecodeU64(in, &e.version.hlc);
  in.remove_prefix(8);
  layout::DecodeU32(in, &e.version.region);
  in.remove_prefix(4);
  if (!e.schema.ParseFromArray(in.data(), static_cast<int>(in.size()))) {
    return absl::DataLossError("catalog entry: bad schema");
  }
  return e;
}

TableDecision DecideTableMutation(const CatalogEntry* stored, const proto::Mutation& m) {
  const clock::Version v{m.hlc(), m.origin_region()};
  if (m.kind() == proto::Mutation::DELETE_TABLE) {
    if (stored == nullptr || stored->StateVersion() < v) return TableDecision::kDelete;
    return TableDecision::kStale;
  }
  const clock::Version inc = IncarnationOf(m.schema());
  if (stored == nullptr || stored->StateVersion() < inc) return TableDecision::kInstall;
  if (!stored->deleted && stored->incarnation == inc && stored->version < v) {
    return TableDecision::kUpdate;
  }
  return TableDecision::kStale;
}

absl::Status ValidateNewSchema(const proto::TableSchema& schema) {
  if (!ValidTableName(schema.name())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TableName must be 1-255 characters of [a-zA-Z0-9_.-]: '", schema.name(), "'"));
  }
  if (!ValidKeyElement(schema.partition_key())) {
    return absl::InvalidArgumentError("the partition key needs a name and a type of S, N or B");
  }
  if (schema.has_sort_key() && !schema.sort_key().name().empty()) {
    if (!ValidKeyElement(schema.sort_key())) {
      return absl::InvalidArgumentError("the sort key needs a type of S, N or B");
    }
    if (schema.sort_key().name() == schema.partition_key().name()) {
      return absl::InvalidArgumentError("the partition key and the sort key must differ");
    }
  }
  return absl::OkStatus();
}

std::shared_ptr<const CatalogEntry> Catalog::Find(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::shared_ptr<const CatalogEntry> Catalog::FindLive(absl::string_view name) const {
  std::shared_ptr<const CatalogEntry> e = Find(name);
  return e != nullptr && !e->deleted ? e : nullptr;
}

bool Catalog::IsLive(uint32_t table_id) const {
  absl::MutexLock lock(&mu_);
  return live_ids_.contains(table_id);
}

void Catalog::Put(CatalogEntry entry) {
  auto shared = std::make_shared<const CatalogEntry>(std::move(entry));
  absl::MutexLock lock(&mu_);
  auto& slot = by_name_[shared->schema.name()];
  if (slot != nullptr && !slot->deleted) live_ids_.erase(slot->table_id);
  if (!shared->deleted) live_ids_[shared->table_id] = shared->schema.name();
  slot = std::move(shared);
}

std::vector<std::shared_ptr<const CatalogEntry>> Catalog::Live() const {
  std::vector<std::shared_ptr<const CatalogEntry>> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, e] : by_name_) {
      if (!e->deleted) out.push_back(e);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a->schema.name() < b->schema.name(); });
  return out;
}

}  // namespace globaltable::storage
