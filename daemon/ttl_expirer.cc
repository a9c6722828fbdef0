// TtlExpirer (see ttl_expirer.h).
#include "daemon/ttl_expirer.h"

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/status_macros.h"
#include "storage/value.h"

namespace globaltable::daemon {

bool TtlExpired(const proto::AttributeValue* value, absl::Time now) {
  if (value == nullptr || value->value_case() != proto::AttributeValue::kN) return false;
  // Normalized decimals; a fraction of a second makes no difference here.
  const double at = std::strtod(value->n().c_str(), nullptr);
  const double now_s = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  constexpr double kFiveYears = 5 * 365.25 * 24 * 3600;
  return at <= now_s && at >= now_s - kFiveYears;
}

TtlExpirer::TtlExpirer(storage::Store* store, RegionControl* control, TtlExpirerOptions options,
                       Metrics* metrics)
    : store_(store),
      control_(control),
      options_(std::move(options)),
      metrics_(metrics),
      thread_("gt-ttl", options_.interval, [this] { Tick(); }) {}

TtlExpirer::~TtlExpirer() { Stop(); }

void TtlExpirer::Start() { thread_.Start(); }

void TtlExpirer::Stop() { thread_.Stop(); }

absl::StatusOr<uint64_t> TtlExpirer::RunOnce(absl::Time now) {
  uint64_t deleted = 0;
  for (const std::string& name : store_->ListTables()) {
    absl::StatusOr<proto::TableSchema> schema = store_->DescribeTable(name);
    if (!schema.ok() || schema->ttl_attribute().empty()) continue;  // gone, or no TTL
    ASSIGN_OR_RETURN(uint64_t n, ExpireTable(*schema, now));
    deleted += n;
  }
  return deleted;
}

absl::StatusOr<uint64_t> TtlExpirer::ExpireTable(const proto::TableSchema& schema,
                                                 absl::Time now) {
  const std::string& attribute = schema.ttl_attribute();
  std::vector<proto::Item> keys;
  storage::ScanSpec spec;
  spec.table = schema.name();
  absl::Status extract_error;
  absl::Status scanned = store_->Scan(spec, [&](const proto::Item& item, size_t) {
    if (!TtlExpired(storage::FindAttribute(item, attribute), now)) return true;
    absl::StatusOr<proto::Item> key = storage::ExtractKey(schema, item);
    if (!key.ok()) {
      extract_error = key.status();
      return false;
    }
    keys.push_back(*std::move(key));
    return keys.size() < options_.max_per_table_pass;
  });
  if (absl::IsNotFound(scanned)) return 0;  // deleted meanwhile
  RETURN_IF_ERROR(scanned);
  RETURN_IF_ERROR(extract_error);

  uint64_t deleted = 0;
  for (const proto::Item& key : keys) {
    std::optional<RegionControl::WriteTicket> ticket;
    if (control_ != nullptr) {
      absl::StatusOr<RegionControl::WriteTicket> t = control_->BeginWrite(schema);
      if (!t.ok()) return deleted;  // this region may not write the table now
      ticket.emplace(*std::move(t));
    }
    absl::StatusOr<storage::WriteResult> r = store_->Write(
        schema.name(), key, [&](const proto::Item* current) -> absl::StatusOr<storage::WriteDecision> {
          // Re-checked under the key's lock: written again with a later expiry, it stays.
          if (current == nullptr || !TtlExpired(storage::FindAttribute(*current, attribute), now)) {
            return storage::WriteDecision::Noop();
          }
          return storage::WriteDecision::Delete();
        });
    if (absl::IsNotFound(r.status())) return deleted;  // the table went
    RETURN_IF_ERROR(r.status());
    if (r->old_item.has_value() && !r->new_item.has_value()) ++deleted;
  }
  if (metrics_ != nullptr && deleted > 0) {
    metrics_->TtlDeletedItems(schema.name()).Increment(static_cast<double>(deleted));
  }
  return deleted;
}

void TtlExpirer::Tick() {
  absl::StatusOr<uint64_t> deleted = RunOnce(absl::Now());
  if (!deleted.ok() && deleted.status() != last_error_) {
    GT_LOG(WARNING) << "ttl: " << deleted.status();
  }
  last_error_ = deleted.status();
  if (deleted.ok() && *deleted > 0) {
    GT_LOG(INFO) << "ttl: deleted " << *deleted << " expired items";
  }
}

}  // namespace globaltable::daemon
