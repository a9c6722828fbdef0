// TombstoneCollector (see tombstone_collector.h).
#include "daemon/tombstone_collector.h"

#include <algorithm>
#include <utility>

#include "common/log.h"
#include "common/status_macros.h"

namespace globaltable::daemon {

TombstoneCollector::TombstoneCollector(storage::Store* store, clock::HybridClock* clock,
                                       TombstoneCollectorOptions options, Metrics* metrics)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics),
      thread_("gt-tombstones", options_.heartbeat_interval, [this] { Tick(); }) {}

TombstoneCollector::~TombstoneCollector() { Stop(); }

void TombstoneCollector::Start() {
  next_purge_ = absl::Now() + options_.purge_interval;
  thread_.Start();
}

void TombstoneCollector::Stop() { thread_.Stop(); }

absl::Status TombstoneCollector::Heartbeat() {
  // Heartbeats are for the other regions; alone, nothing reads (or trims) them.
  if (options_.peers.empty()) return absl::OkStatus();
  return store_->WriteHeartbeats().status();
}

absl::Status TombstoneCollector::TrimChangeLog() {
  if (!options_.trim_change_log) return absl::OkStatus();
  trimmed_.resize(store_->num_partitions(), 0);
  for (uint32_t p = 0; p < store_->num_partitions(); ++p) {
    const uint64_t last = store_->LastSequence(p);
    if (last <= trimmed_[p]) continue;
    RETURN_IF_ERROR(store_->TrimChangeLog(p, last));
    trimmed_[p] = last;
  }
  return absl::OkStatus();
}

std::optional<clock::Timestamp> TombstoneCollector::Horizon() {
  return HorizonAndAge().first;
}

double TombstoneCollector::HorizonAgeSeconds() { return HorizonAndAge().second; }

std::pair<std::optional<clock::Timestamp>, double> TombstoneCollector::HorizonAndAge() {
  const clock::Timestamp now = clock_->Now();
  std::optional<clock::Timestamp> horizon = now;
  for (clock::RegionId peer : options_.peers) {
    std::optional<clock::Timestamp> closed = store_->ClosedHlc(peer);
    if (!closed.has_value()) {
      horizon.reset();
      break;
    }
    horizon = std::min(*horizon, *closed);
  }
  const uint64_t now_ms = clock::PhysicalMillis(now);
  const double age =
      horizon.has_value()
          ? static_cast<double>(now_ms - std::min(now_ms, clock::PhysicalMillis(*horizon))) / 1e3
          : -1.0;
  if (metrics_ != nullptr) metrics_->TombstoneHorizonAge().Set(age);
  return {horizon, age};
}

absl::StatusOr<uint64_t> TombstoneCollector::Purge() {
  std::optional<clock::Timestamp> horizon = Horizon();
  if (!horizon.has_value()) return 0;
  absl::StatusOr<uint64_t> purged = store_->PurgeTombstones(*horizon);
  if (purged.ok() && metrics_ != nullptr) {
    metrics_->TombstonesPurged().Increment(static_cast<double>(*purged));
  }
  return purged;
}

void TombstoneCollector::Tick() {
  auto report = [](const absl::Status& s, const char* what, absl::Status* last) {
    if (!s.ok() && s != *last) {
      GT_LOG(WARNING) << "tombstones: " << what << ": " << s;
    }
    *last = s;
  };
  report(Heartbeat(), "heartbeat", &last_heartbeat_);
  report(TrimChangeLog(), "change-log trim", &last_trim_);
  if (absl::Now() < next_purge_) {
    Horizon();  // keeps the horizon-age gauge current between purges
    return;
  }
  next_purge_ = absl::Now() + options_.purge_interval;
  absl::StatusOr<uint64_t> purged = Purge();
  report(purged.status(), "purge", &last_purge_);
  if (purged.ok() && *purged > 0) {
    GT_LOG(INFO) << "tombstones: purged " << *purged;
  }
}

}  // namespace globaltable::daemon
