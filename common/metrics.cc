// The metrics registry: family definitions (names, help, buckets) and text exposition.
// Thread-safe: prometheus-cpp families lock internally; hooks are guarded by hooks_mu_.
#include "common/metrics.h"

#include <sstream>
#include <utility>

#include "prometheus/text_serializer.h"

namespace globaltable {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Replication lag spans sub-millisecond loopback hops to minutes-long outages.
const prometheus::Histogram::BucketBoundaries& LagBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 300};
  return *b;
}

const prometheus::Histogram::BucketBoundaries& ApiBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  return *b;
}

std::string S(absl::string_view v) { return std::string(v); }

template <typename Builder>
auto& Make(Builder&& builder, prometheus::Registry& registry, const char* name, const char* help,
           const std::string& region) {
  return builder.Name(name).Help(help).Labels({{"region", region}}).Register(registry);
}

}  // namespace

Metrics::Metrics(std::string region)
    : region_(std::move(region)),
      registry_(std::make_shared<prometheus::Registry>()),
      replication_lag_(Make(BuildHistogram(), *registry_, "globaltable_replication_lag_seconds",
                            "Apply time minus the physical part of the mutation's HLC.", region_)),
      pending_(Make(BuildGauge(), *registry_, "globaltable_replication_pending_mutations",
                    "Mutations in the source's outbox not yet applied here.", region_)),
      oldest_unreplicated_(Make(BuildGauge(), *registry_,
                                "globaltable_replication_oldest_unreplicated_seconds",
                                "Age of the oldest mutation of the source region not yet applied here.",
                                region_)),
      published_mutations_(Make(BuildCounter(), *registry_,
                                "globaltable_replication_published_mutations_total",
                                "Mutations published to this region's outbox.", region_)),
      published_bytes_(Make(BuildCounter(), *registry_,
                            "globaltable_replication_published_bytes_total",
                            "Bytes of mutation batches published.", region_)),
      applied_mutations_(Make(BuildCounter(), *registry_,
                              "globaltable_replication_applied_mutations_total",
                              "Remote mutations applied (winners and losers).", region_)),
      applied_bytes_(Make(BuildCounter(), *registry_,
                          "globaltable_replication_applied_bytes_total",
                          "Bytes of remote mutation batches applied.", region_)),
      rejected_batches_(Make(BuildCounter(), *registry_,
                             "globaltable_replication_rejected_batches_total",
                             "Remote batches refused, by reason.", region_)),
      dead_letter_batches_(Make(BuildCounter(), *registry_,
                                "globaltable_replication_dead_letter_batches_total",
                                "Remote batches set aside in the dead-letter stream.", region_)),
      link_up_(Make(BuildGauge(), *registry_, "globaltable_replication_link_up",
                    "1 while the consumer of the source region is receiving.", region_)),
      resync_required_(Make(BuildGauge(), *registry_, "globaltable_replication_resync_required",
                            "1 when this region fell behind the source's retention.", region_)),
      clock_writes_refused_(Make(BuildGauge(), *registry_, "globaltable_clock_writes_refused",
                                 "1 while this region refuses writes because its clock runs "
                                 "ahead of its peers' beyond the max offset.",
                                 region_)),
      clock_peer_offset_(Make(BuildGauge(), *registry_, "globaltable_clock_peer_offset_seconds",
                              "The peer's wall clock minus this region's, measured over NATS "
                              "request/reply.",
                              region_)),
      stalled_partitions_(Make(BuildGauge(), *registry_,
                               "globaltable_replication_stalled_partitions",
                               "Partitions of the source refusing batches as gaps for longer "
                               "than the stall threshold.",
                               region_)),
      blocked_partitions_(Make(BuildGauge(), *registry_,
                               "globaltable_replication_blocked_partitions",
                               "Partitions of the source held back by a record that cannot be "
                               "applied.",
                               region_)),
      gap_fills_(Make(BuildCounter(), *registry_, "globaltable_replication_gap_fills_total",
                      "Batches read straight from the source's outbox to close a gap.",
                      region_)),
      conflicts_(Make(BuildCounter(), *registry_, "globaltable_conflicts_total",
                      "Last-writer-wins losers, local or remote.", region_)),
      nats_connected_(Make(BuildGauge(), *registry_, "globaltable_nats_connected",
                           "1 while connected to NATS.", region_)),
      changelog_mutations_(Make(BuildGauge(), *registry_,
                                "globaltable_replication_changelog_mutations",
                                "Records kept in this region's change log.", region_)),
      clock_remote_offset_(Make(BuildGauge(), *registry_,
                                "globaltable_clock_remote_offset_seconds",
                                "Remote HLC physical time minus local physical time.", region_)),
      clock_max_offset_(Make(BuildGauge(), *registry_, "globaltable_clock_max_offset_seconds",
                             "Configured maximum clock offset.", region_)),
      clock_rejected_(Make(BuildCounter(), *registry_,
                           "globaltable_clock_rejected_timestamps_total",
                           "Remote timestamps refused for exceeding the max offset.", region_)),
      clock_backward_jumps_(Make(BuildCounter(), *registry_,
                                 "globaltable_clock_backward_jumps_total",
                                 "Physical clock readings lower than the previous one.", region_)),
      write_mode_(Make(BuildGauge(), *registry_, "globaltable_write_mode",
                       "1 for the region's current write mode.", region_)),
      table_role_(Make(BuildGauge(), *registry_, "globaltable_table_role",
                       "1 for the table's current role in this region.", region_)),
      api_requests_(Make(BuildCounter(), *registry_, "globaltable_api_requests_total",
                         "DynamoDB API requests by operation and outcome.", region_)),
      api_duration_(Make(BuildHistogram(), *registry_, "globaltable_api_request_duration_seconds",
                         "DynamoDB API request latency.", region_)),
      api_shed_(Make(BuildCounter(), *registry_, "globaltable_api_shed_requests_total",
                     "Requests refused by the in-flight limit.", region_)),
      http_connections_(Make(BuildGauge(), *registry_, "globaltable_http_connections",
                             "HTTP connections open, by listener.", region_)),
      http_max_connections_(Make(BuildGauge(), *registry_, "globaltable_http_max_connections",
                                 "The listener's connection limit.", region_)),
      http_accepted_(Make(BuildCounter(), *registry_,
                          "globaltable_http_connections_accepted_total",
                          "HTTP connections accepted and served.", region_)),
      http_refused_(Make(BuildCounter(), *registry_, "globaltable_http_connections_refused_total",
                         "HTTP connections refused: over the limit, or accept failed.", region_)),
      http_timed_out_(Make(BuildCounter(), *registry_,
                           "globaltable_http_connections_timed_out_total",
                           "HTTP connections closed by a header, body, idle or response "
                           "timeout.", region_)),
      http_malformed_(Make(BuildCounter(), *registry_, "globaltable_http_malformed_requests_total",
                           "Requests with malformed HTTP framing, answered 400 or 431.", region_)),
      store_live_items_(Make(BuildGauge(), *registry_, "globaltable_store_live_items",
                             "Live items per table.", region_)),
      store_tombstones_(Make(BuildGauge(), *registry_, "globaltable_store_tombstones",
                             "Tombstones not yet purged per table.", region_)),
      tombstones_purged_(Make(BuildCounter(), *registry_, "globaltable_tombstones_purged_total",
                              "Tombstones removed by the purge.", region_)),
      ttl_deleted_(Make(BuildCounter(), *registry_, "globaltable_ttl_deleted_items_total",
                        "Items deleted by Time to Live in this region, per table.", region_)),
      tombstone_horizon_age_(Make(BuildGauge(), *registry_,
                                  "globaltable_tombstone_horizon_age_seconds",
                                  "How far the tombstone purge horizon trails the clock; -1 "
                                  "while unknown.", region_)),
      store_sst_bytes_(Make(BuildGauge(), *registry_, "globaltable_store_sst_bytes",
                            "RocksDB live SST bytes.", region_)),
      store_writable_(Make(BuildGauge(), *registry_, "globaltable_store_writable",
                           "1 while the store takes writes; 0 while it is read-only (the disk "
                           "is full, or an unrecoverable storage error).",
                           region_)),
      store_disk_full_errors_(Make(BuildCounter(), *registry_,
                                   "globaltable_store_disk_full_errors_total",
                                   "Writes refused because the disk was full.", region_)),
      store_pending_compaction_(Make(BuildGauge(), *registry_,
                                     "globaltable_store_pending_compaction_bytes",
                                     "RocksDB estimated pending compaction bytes.", region_)),
      drill_rto_(Make(BuildGauge(), *registry_, "globaltable_drill_last_rto_seconds",
                      "Recovery time of the last drill.", region_)),
      drill_rpo_mutations_(Make(BuildGauge(), *registry_, "globaltable_drill_last_rpo_mutations",
                                "Mutations at risk in the last drill.", region_)),
      drill_rpo_seconds_(Make(BuildGauge(), *registry_, "globaltable_drill_last_rpo_seconds",
                              "Seconds of writes at risk in the last drill.", region_)),
      drill_success_(Make(BuildGauge(), *registry_, "globaltable_drill_last_success",
                          "1 when the last drill converged with the expected RPO.", region_)),
      drill_timestamp_(Make(BuildGauge(), *registry_, "globaltable_drill_last_timestamp_seconds",
                            "Unix time the last drill ended.", region_)),
      drills_total_(Make(BuildCounter(), *registry_, "globaltable_drills_total",
                         "Drills run, by kind and result.", region_)) {
  // Series that exist from the start, so dashboards and alerts see zeros, not gaps.
  NatsConnected().Set(0);
  ClockRejectedTimestamps();
  ClockBackwardJumps();
  ApiShedRequests();
  PublishedMutations();
  PublishedBytes();
  ChangeLogMutations();
  StoreSstBytes();
  TombstonesPurged();
  TombstoneHorizonAge().Set(-1);
  StorePendingCompactionBytes();
  StoreWritable().Set(1);
  StoreDiskFullErrors();
  SetWriteMode("active");
}

std::string Metrics::Serialize() {
  absl::MutexLock scrape(&serialize_mu_);
  std::vector<std::function<void()>> hooks;
  {
    absl::MutexLock lock(&hooks_mu_);
    hooks = hooks_;
  }
  for (auto& hook : hooks) hook();
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

void Metrics::AddCollectHook(std::function<void()> hook) {
  absl::MutexLock lock(&hooks_mu_);
  hooks_.push_back(std::move(hook));
}

prometheus::Histogram& Metrics::ReplicationLag(absl::string_view source_region) {
  return replication_lag_.Add({{"source_region", S(source_region)}}, LagBuckets());
}
prometheus::Gauge& Metrics::PendingMutations(absl::string_view source_region) {
  return pending_.Add({{"source_region", S(source_region)}});
}
prometheus::Gauge& Metrics::OldestUnreplicated(absl::string_view source_region) {
  return oldest_unreplicated_.Add({{"source_region", S(source_region)}});
}
prometheus::Counter& Metrics::PublishedMutations() { return published_mutations_.Add({}); }
prometheus::Counter& Metrics::PublishedBytes() { return published_bytes_.Add({}); }
prometheus::Counter& Metrics::AppliedMutations(absl::string_view source_region) {
  return applied_mutations_.Add({{"source_region", S(source_region)}});
}
prometheus::Counter& Metrics::AppliedBytes(absl::string_view source_region) {
  return applied_bytes_.Add({{"source_region", S(source_region)}});
}
prometheus::Counter& Metrics::RejectedBatches(absl::string_view source_region,
                                              absl::string_view reason) {
  return rejected_batches_.Add({{"source_region", S(source_region)}, {"reason", S(reason)}});
}
prometheus::Counter& Metrics::DeadLetterBatches(absl::string_view source_region) {
  return dead_letter_batches_.Add({{"source_region", S(source_region)}});
}
prometheus::Gauge& Metrics::LinkUp(absl::string_view source_region) {
  return link_up_.Add({{"source_region", S(source_region)}});
}
prometheus::Gauge& Metrics::ResyncRequired(absl::string_view source_region) {
  return resync_required_.Add({{"source_region", S(source_region)}});
}
prometheus::Gauge& Metrics::ClockWritesRefused() { return clock_writes_refused_.Add({}); }
prometheus::Gauge& Metrics::ClockPeerOffset(absl::string_view peer_region) {
  return clock_peer_offset_.Add({{"peer_region", S(peer_region)}});
}
prometheus::Gauge& Metrics::StalledPartitions(absl::string_view source_region) {
  return stalled_partitions_.Add({{"source_region", S(source_region)}});
}
prometheus::Gauge& Metrics::BlockedPartitions(absl::string_view source_region) {
  return blocked_partitions_.Add({{"source_region", S(source_region)}});
}
prometheus::Counter& Metrics::GapFills(absl::string_view source_region) {
  return gap_fills_.Add({{"source_region", S(source_region)}});
}
prometheus::Counter& Metrics::Conflicts(absl::string_view source_region,
                                        absl::string_view table) {
  return conflicts_.Add({{"source_region", S(source_region)}, {"table", S(table)}});
}
prometheus::Gauge& Metrics::NatsConnected() { return nats_connected_.Add({}); }
prometheus::Gauge& Metrics::ChangeLogMutations() { return changelog_mutations_.Add({}); }

prometheus::Gauge& Metrics::ClockRemoteOffset(absl::string_view source_region) {
  return clock_remote_offset_.Add({{"source_region", S(source_region)}});
}
prometheus::Gauge& Metrics::ClockMaxOffset() { return clock_max_offset_.Add({}); }
prometheus::Counter& Metrics::ClockRejectedTimestamps() { return clock_rejected_.Add({}); }
prometheus::Counter& Metrics::ClockBackwardJumps() { return clock_backward_jumps_.Add({}); }

void Metrics::SetWriteMode(absl::string_view mode) {
  for (const char* m : {"active", "read_only", "fenced"}) {
    write_mode_.Add({{"mode", m}}).Set(mode == m ? 1 : 0);
  }
}

void Metrics::SetTableRole(absl::string_view table, absl::string_view role) {
  for (const char* r : {"active_active", "primary", "secondary"}) {
    table_role_.Add({{"table", S(table)}, {"role", r}}).Set(role == r ? 1 : 0);
  }
}

prometheus::Counter& Metrics::ApiRequests(absl::string_view operation, absl::string_view outcome) {
  return api_requests_.Add({{"operation", S(operation)}, {"outcome", S(outcome)}});
}
prometheus::Histogram& Metrics::ApiRequestDuration(absl::string_view operation) {
  return api_duration_.Add({{"operation", S(operation)}}, ApiBuckets());
}
prometheus::Counter& Metrics::ApiShedRequests() { return api_shed_.Add({}); }

prometheus::Gauge& Metrics::HttpConnections(absl::string_view listener) {
  return http_connections_.Add({{"listener", S(listener)}});
}
prometheus::Gauge& Metrics::HttpMaxConnections(absl::string_view listener) {
  return http_max_connections_.Add({{"listener", S(listener)}});
}
prometheus::Counter& Metrics::HttpConnectionsAccepted(absl::string_view listener) {
  return http_accepted_.Add({{"listener", S(listener)}});
}
prometheus::Counter& Metrics::HttpConnectionsRefused(absl::string_view listener,
                                                     absl::string_view reason) {
  return http_refused_.Add({{"listener", S(listener)}, {"reason", S(reason)}});
}
prometheus::Counter& Metrics::HttpConnectionsTimedOut(absl::string_view listener,
                                                      absl::string_view phase) {
  return http_timed_out_.Add({{"listener", S(listener)}, {"phase", S(phase)}});
}
prometheus::Counter& Metrics::HttpMalformedRequests(absl::string_view listener,
                                                    absl::string_view status) {
  return http_malformed_.Add({{"listener", S(listener)}, {"status", S(status)}});
}

prometheus::Gauge& Metrics::StoreLiveItems(absl::string_view table) {
  return store_live_items_.Add({{"table", S(table)}});
}
prometheus::Gauge& Metrics::StoreTombstones(absl::string_view table) {
  return store_tombstones_.Add({{"table", S(table)}});
}

prometheus::Counter& Metrics::TombstonesPurged() { return tombstones_purged_.Add({}); }

prometheus::Counter& Metrics::TtlDeletedItems(absl::string_view table) {
  return ttl_deleted_.Add({{"table", S(table)}});
}

prometheus::Gauge& Metrics::TombstoneHorizonAge() { return tombstone_horizon_age_.Add({}); }
prometheus::Gauge& Metrics::StoreSstBytes() { return store_sst_bytes_.Add({}); }
prometheus::Gauge& Metrics::StorePendingCompactionBytes() {
  return store_pending_compaction_.Add({});
}
prometheus::Gauge& Metrics::StoreWritable() { return store_writable_.Add({}); }
prometheus::Counter& Metrics::StoreDiskFullErrors() { return store_disk_full_errors_.Add({}); }

void Metrics::RecordDrill(absl::string_view kind, bool success, double rto_seconds,
                          double rpo_mutations, double rpo_seconds, double end_unix_seconds) {
  const prometheus::Labels labels{{"kind", S(kind)}};
  drill_rto_.Add(labels).Set(rto_seconds);
  drill_rpo_mutations_.Add(labels).Set(rpo_mutations);
  drill_rpo_seconds_.Add(labels).Set(rpo_seconds);
  drill_success_.Add(labels).Set(success ? 1 : 0);
  drill_timestamp_.Add(labels).Set(end_unix_seconds);
  drills_total_.Add({{"kind", S(kind)}, {"result", success ? "success" : "failure"}}).Increment();
}

}  // namespace globaltable
