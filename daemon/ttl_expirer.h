// TtlExpirer: DynamoDB's Time to Live. For every table with a TTL attribute
// (UpdateTimeToLive), deletes the items whose attribute holds a Number of epoch seconds that
// has passed.
//
// Like DynamoDB: the attribute must be a Number (seconds since the epoch; other types and
// absent attributes never expire), items expired more than five years ago are left alone, and
// expired items stay readable until a pass deletes them (filter on the attribute to hide
// them). A deletion is an ordinary delete of this region: it replicates, so every region
// converges on the same tombstone or, when two regions expire an item at once, on one of two
// equivalent ones (last writer wins). Each deletion re-checks the item under its key lock, so
// an item written again with a later expiry in the meantime is kept. A region whose write
// mode refuses the write (fenced, read-only, or a single-primary table's secondary) skips the
// table; the region that may write expires it.
//
//   TtlExpirer ttl(store, control, {.interval = absl::Seconds(60)}, &metrics);
//   ttl.Start();   // thread "gt-ttl": RunOnce(now) every interval
//
// Thread-safety: RunOnce may run on any thread (tests call it directly, without Start);
// Start/Stop from one owner thread.
#ifndef GLOBALTABLE_DAEMON_TTL_EXPIRER_H_
#define GLOBALTABLE_DAEMON_TTL_EXPIRER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "common/periodic_thread.h"
#include "daemon/control/region_control.h"
#include "storage/store.h"

namespace globaltable::daemon {

struct TtlExpirerOptions {
  absl::Duration interval = absl::Seconds(60);
  size_t max_per_table_pass = 10000;  // deletions per table per pass; the next pass goes on
};

class TtlExpirer {
 public:
  // `control` and `metrics` may be null.
  TtlExpirer(storage::Store* store, RegionControl* control, TtlExpirerOptions options,
             Metrics* metrics);
  ~TtlExpirer();
  TtlExpirer(const TtlExpirer&) = delete;
  TtlExpirer& operator=(const TtlExpirer&) = delete;

  void Start();
  void Stop();  // idempotent

  // One pass over every table with TTL enabled, at `now`. Returns how many items it deleted.
  absl::StatusOr<uint64_t> RunOnce(absl::Time now);

 private:
  absl::StatusOr<uint64_t> ExpireTable(const proto::TableSchema& schema, absl::Time now);
  void Tick();  // one pass of the thread

  storage::Store* const store_;
  RegionControl* const control_;
  const TtlExpirerOptions options_;
  Metrics* const metrics_;
  absl::Status last_error_;  // Tick only: each distinct error is logged once
  PeriodicThread thread_;
};

// Whether an item whose TTL attribute is `value` has expired at `now` (DynamoDB's rules).
bool TtlExpired(const proto::AttributeValue* value, absl::Time now);

}  // namespace globaltable::daemon

#endif  // GLOBALTABLE_DAEMON_TTL_EXPIRER_H_
