// TombstoneCollector: keeps this region's change log closing while it is idle (heartbeats) and
// purges tombstones that no region can still need.
//
// A delete leaves a tombstone so that an older write of the same item, still on its way from
// another region, loses to it instead of bringing the item back. Once every other region has
// closed past the tombstone's hlc (Store::ClosedHlc: this region has applied everything each
// of them wrote below it) no such write can arrive any more, and after the grace period the
// tombstone goes. The horizon is the smallest ClosedHlc over the other regions of the
// deployment; with no other region it is the clock's now. It is unknown until every other
// region has delivered from each of its partitions since this daemon started (heartbeats make
// that happen within a second or so of a region being up), and a region that is down or cut
// off holds it back: tombstones then accumulate (globaltable_tombstone_horizon_age_seconds).
//
//   TombstoneCollector c(store, &clock, {.peers = {2, 3}}, &metrics);
//   c.Start();   // thread "gt-tombstones": Heartbeat() every second, Purge() every interval
//
// A region without replication (one region, no NATS) also trims its change log here, since no
// publisher does.
//
// Thread-safety: Heartbeat, Horizon and Purge may be called from any thread (tests call them
// directly, without Start); TrimChangeLog from one thread at a time (the thread, or a test without
// Start); Start/Stop from one owner thread.
#ifndef GLOBALTABLE_DAEMON_TOMBSTONE_COLLECTOR_H_
#define GLOBALTABLE_DAEMON_TOMBSTONE_COLLECTOR_H_

#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/hlc.h"
#include "common/metrics.h"
#include "common/periodic_thread.h"
#include "storage/store.h"

namespace globaltable::daemon {

struct TombstoneCollectorOptions {
  std::vector<clock::RegionId> peers;  // every other region of the deployment
  // No replication at all (one region, no NATS): nothing reads the change log, so every round
  // trims it to each partition's last record (which the store keeps for its sequence).
  bool trim_change_log = false;
  absl::Duration heartbeat_interval = absl::Seconds(1);
  absl::Duration purge_interval = absl::Minutes(10);
};

class TombstoneCollector {
 public:
  TombstoneCollector(storage::Store* store, clock::HybridClock* clock,
                     TombstoneCollectorOptions options, Metrics* metrics);
  ~TombstoneCollector();
  TombstoneCollector(const TombstoneCollector&) = delete;
  TombstoneCollector& operator=(const TombstoneCollector&) = delete;

  void Start();
  void Stop();  // idempotent

  // Heartbeats for this region's idle partitions (Store::WriteHeartbeats); none without peers.
  absl::Status Heartbeat();
  // With trim_change_log: trims every partition that grew since the last call.
  absl::Status TrimChangeLog();
  // Smallest ClosedHlc over the peers, the clock's now without peers; nullopt while a peer
  // has not closed any partition since this store opened. Also sets the horizon-age gauge.
  std::optional<clock::Timestamp> Horizon();
  // Horizon() as the seconds it trails the clock; -1 while unknown.
  double HorizonAgeSeconds();
  // Purges the tombstones below the horizon that are past the grace period (none while the
  // horizon is unknown). Returns how many went.
  absl::StatusOr<uint64_t> Purge();

 private:
  void Tick();  // one round of the thread
  std::pair<std::optional<clock::Timestamp>, double> HorizonAndAge();

  storage::Store* const store_;
  clock::HybridClock* const clock_;
  const TombstoneCollectorOptions options_;
  Metrics* const metrics_;
  std::vector<uint64_t> trimmed_;  // per partition, the sequence the last trim kept (Tick only)
  absl::Time next_purge_;          // Tick only
  // Tick only: the last status of each step. A distinct error is logged once per step, not
  // once a tick while it lasts (a full disk fails every heartbeat until space is freed; one
  // status shared by the steps let an OK step re-arm the next step's error every tick).
  absl::Status last_heartbeat_, last_trim_, last_purge_;
  PeriodicThread thread_;
};

}  // namespace globaltable::daemon

#endif  // GLOBALTABLE_DAEMON_TOMBSTONE_COLLECTOR_H_
