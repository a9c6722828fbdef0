// Metrics: every Prometheus metric globaltabled exports, in one registry.
//
// The names, types and labels are the catalog in docs/metrics.md; dashboards and alert rules
// depend on them. Every series carries the constant label region="<this region>".
//
//   Metrics metrics("us-east-1");
//   metrics.ReplicationLag("eu-west-1").Observe(0.004);        // cache the reference on hot paths
//   metrics.AddCollectHook([&] { metrics.SetStoreGauges(...); });  // refreshed at scrape time
//   std::string body = metrics.Serialize();                     // text exposition for /metrics
//
// Modules report what happens (counters, histograms) through the accessors; values that are
// cheaper to read than to track (store sizes, pending counts) are set by collect hooks that run
// at the start of each Serialize().
//
// Thread-safety: all methods are thread-safe. The accessors take a lock inside prometheus-cpp
// to find or create a series: call them once and keep the reference where it matters.
// Collect hooks run on the scraping thread and must not call Serialize().
#ifndef GLOBALTABLE_COMMON_METRICS_H_
#define GLOBALTABLE_COMMON_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace globaltable {

class Metrics {
 public:
  explicit Metrics(std::string region);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  const std::string& region() const { return region_; }

  // Text exposition format (version 0.0.4), after running the collect hooks.
  std::string Serialize();
  void AddCollectHook(std::function<void()> hook);

  // ---- Replication (source_region: where a mutation came from).
  prometheus::Histogram& ReplicationLag(absl::string_view source_region);
  prometheus::Gauge& PendingMutations(absl::string_view source_region);
  prometheus::Gauge& OldestUnreplicated(absl::string_view source_region);
  prometheus::Counter& PublishedMutations();
  prometheus::Counter& PublishedBytes();
  prometheus::Gauge& ChangeLogMutations();
  prometheus::Counter& AppliedMutations(absl::string_view source_region);
  prometheus::Counter& AppliedBytes(absl::string_view source_region);
  // reason: decode, oversized, unknown_region, own_region, gap, clock_offset, invalid
  prometheus::Counter& RejectedBatches(absl::string_view source_region, absl::string_view reason);
  prometheus::Counter& DeadLetterBatches(absl::string_view source_region);
  prometheus::Gauge& LinkUp(absl::string_view source_region);
  prometheus::Gauge& ResyncRequired(absl::string_view source_region);
  prometheus::Gauge& ClockWritesRefused();
  prometheus::Gauge& ClockPeerOffset(absl::string_view peer_region);
  prometheus::Gauge& StalledPartitions(absl::string_view source_region);
  prometheus::Gauge& BlockedPartitions(absl::string_view source_region);
  prometheus::Counter& GapFills(absl::string_view source_region);
  prometheus::Counter& Conflicts(absl::string_view source_region, absl::string_view table);
  prometheus::Gauge& NatsConnected();

  // ---- Clock.
  prometheus::Gauge& ClockRemoteOffset(absl::string_view source_region);
  prometheus::Gauge& ClockMaxOffset();
  prometheus::Counter& ClockRejectedTimestamps();
  prometheus::Counter& ClockBackwardJumps();

  // ---- Write mode and roles: sets the current one to 1 and the others to 0.
  void SetWriteMode(absl::string_view mode);  // active | read_only | fenced
  void SetTableRole(absl::string_view table, absl::string_view role);  // active_active|primary|secondary

  // ---- API.
  prometheus::Counter& ApiRequests(absl::string_view operation, absl::string_view outcome);
  prometheus::Histogram& ApiRequestDuration(absl::string_view operation);
  prometheus::Counter& ApiShedRequests();

  // ---- HTTP connections (listener: api | admin).
  prometheus::Gauge& HttpConnections(absl::string_view listener);
  prometheus::Gauge& HttpMaxConnections(absl::string_view listener);
  prometheus::Counter& HttpConnectionsAccepted(absl::string_view listener);
  // reason: limit (over max_connections) | accept_error (EMFILE, ENFILE, ...)
  prometheus::Counter& HttpConnectionsRefused(absl::string_view listener,
                                              absl::string_view reason);
  // phase: idle | header | body | response
  prometheus::Counter& HttpConnectionsTimedOut(absl::string_view listener,
                                               absl::string_view phase);
  // status: 400 | 431
  prometheus::Counter& HttpMalformedRequests(absl::string_view listener,
                                             absl::string_view status);

  // ---- Store.
  prometheus::Gauge& StoreLiveItems(absl::string_view table);
  prometheus::Gauge& StoreTombstones(absl::string_view table);
  prometheus::Counter& TombstonesPurged();
  prometheus::Counter& TtlDeletedItems(absl::string_view table);
  // Seconds the purge horizon trails this region's clock; -1 while it is unknown.
  prometheus::Gauge& TombstoneHorizonAge();
  prometheus::Gauge& StoreSstBytes();
  prometheus::Gauge& StorePendingCompactionBytes();
  prometheus::Gauge& StoreWritable();
  prometheus::Counter& StoreDiskFullErrors();

  // ---- Drills (kind: planned | unplanned).
  void RecordDrill(absl::string_view kind, bool success, double rto_seconds, double rpo_mutations,
                   double rpo_seconds, double end_unix_seconds);

 private:
  const std::string region_;
  std::shared_ptr<prometheus::Registry> registry_;

  prometheus::Family<prometheus::Histogram>& replication_lag_;
  prometheus::Family<prometheus::Gauge>& pending_;
  prometheus::Family<prometheus::Gauge>& oldest_unreplicated_;
  prometheus::Family<prometheus::Counter>& published_mutations_;
  prometheus::Family<prometheus::Counter>& published_bytes_;
  prometheus::Family<prometheus::Counter>& applied_mutations_;
  prometheus::Family<prometheus::Counter>& applied_bytes_;
  prometheus::Family<prometheus::Counter>& rejected_batches_;
  prometheus::Family<prometheus::Counter>& dead_letter_batches_;
  prometheus::Family<prometheus::Gauge>& link_up_;
  prometheus::Family<prometheus::Gauge>& resync_required_;
  prometheus::Family<prometheus::Gauge>& clock_writes_refused_;
  prometheus::Family<prometheus::Gauge>& clock_peer_offset_;
  prometheus::Family<prometheus::Gauge>& stalled_partitions_;
  prometheus::Family<prometheus::Gauge>& blocked_partitions_;
  prometheus::Family<prometheus::Counter>& gap_fills_;
  prometheus::Family<prometheus::Counter>& conflicts_;
  prometheus::Family<prometheus::Gauge>& nats_connected_;
  prometheus::Family<prometheus::Gauge>& changelog_mutations_;
  prometheus::Family<prometheus::Gauge>& clock_remote_offset_;
  prometheus::Family<prometheus::Gauge>& clock_max_offset_;
  prometheus::Family<prometheus::Counter>& clock_rejected_;
  prometheus::Family<prometheus::Counter>& clock_backward_jumps_;
  prometheus::Family<prometheus::Gauge>& write_mode_;
  prometheus::Family<prometheus::Gauge>& table_role_;
  prometheus::Family<prometheus::Counter>& api_requests_;
  prometheus::Family<prometheus::Histogram>& api_duration_;
  prometheus::Family<prometheus::Counter>& api_shed_;
  prometheus::Family<prometheus::Gauge>& http_connections_;
  prometheus::Family<prometheus::Gauge>& http_max_connections_;
  prometheus::Family<prometheus::Counter>& http_accepted_;
  prometheus::Family<prometheus::Counter>& http_refused_;
  prometheus::Family<prometheus::Counter>& http_timed_out_;
  prometheus::Family<prometheus::Counter>& http_malformed_;
  prometheus::Family<prometheus::Gauge>& store_live_items_;
  prometheus::Family<prometheus::Gauge>& store_tombstones_;
  prometheus::Family<prometheus::Counter>& tombstones_purged_;
  prometheus::Family<prometheus::Counter>& ttl_deleted_;
  prometheus::Family<prometheus::Gauge>& tombstone_horizon_age_;
  prometheus::Family<prometheus::Gauge>& store_sst_bytes_;
  prometheus::Family<prometheus::Gauge>& store_writable_;
  prometheus::Family<prometheus::Counter>& store_disk_full_errors_;
  prometheus::Family<prometheus::Gauge>& store_pending_compaction_;
  prometheus::Family<prometheus::Gauge>& drill_rto_;
  prometheus::Family<prometheus::Gauge>& drill_rpo_mutations_;
  prometheus::Family<prometheus::Gauge>& drill_rpo_seconds_;
  prometheus::Family<prometheus::Gauge>& drill_success_;
  prometheus::Family<prometheus::Gauge>& drill_timestamp_;
  prometheus::Family<prometheus::Counter>& drills_total_;

  absl::Mutex hooks_mu_;
  std::vector<std::function<void()>> hooks_ ABSL_GUARDED_BY(hooks_mu_);
  absl::Mutex serialize_mu_;  // one scrape at a time: hooks are not reentrant
};

}  // namespace globaltable

#endif  // GLOBALTABLE_COMMON_METRICS_H_
