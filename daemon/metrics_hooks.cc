// Scrape-time metrics from the store, the clock and replication. See metrics_hooks.h.
#include "daemon/metrics_hooks.h"

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace globaltable::daemon {
namespace {

// State carried between scrapes (scrapes never overlap: Metrics serializes them).
struct HookState {
  std::map<std::pair<clock::RegionId, std::string>, uint64_t> conflicts_exported;
  uint64_t backward_jumps_exported = 0;
  uint64_t rejected_exported = 0;
  uint64_t disk_full_exported = 0;
};

}  // namespace

void InstallCollectHooks(
    Metrics* metrics, storage::Store* store, clock::HybridClock* clock, const Config& config,
    std::function<std::optional<replication::ReplicationStatus>()> replication) {
  auto state = std::make_shared<HookState>();
  const RegionConfig self = config.self;
  const DeploymentConfig deployment = config.deployment;
  metrics->ClockMaxOffset().Set(absl::ToDoubleSeconds(clock->max_offset()));

  metrics->AddCollectHook([=] {
    // Conflicts, by the losing write's region and table.
    for (const storage::ConflictCount& c : store->ConflictCounts()) {
      uint64_t& seen = state->conflicts_exported[{c.loser_region, c.table}];
      if (c.count <= seen) continue;
      const RegionConfig* r = deployment.FindRegion(c.loser_region);
      const std::string source = c.loser_region == self.id ? self.name
                                 : r != nullptr            ? r->name
                                                           : absl::StrCat("id-", c.loser_region);
      metrics->Conflicts(source, c.table).Increment(static_cast<double>(c.count - seen));
      seen = c.count;
    }

    // Clock counters kept by the HLC itself.
    const clock::ClockStats cs = clock->stats();
    if (cs.backward_jumps > state->backward_jumps_exported) {
      metrics->ClockBackwardJumps().Increment(
          static_cast<double>(cs.backward_jumps - state->backward_jumps_exported));
      state->backward_jumps_exported = cs.backward_jumps;
    }
    if (cs.rejected_remote > state->rejected_exported) {
      metrics->ClockRejectedTimestamps().Increment(
          static_cast<double>(cs.rejected_remote - state->rejected_exported));
      state->rejected_exported = cs.rejected_remote;
    }

    // Tables: items, tombstones and this region's role.
    for (const std::string& table : store->ListTables()) {
      absl::StatusOr<storage::TableStats> stats = store->GetTableStats(table);
      if (stats.ok()) {
        metrics->StoreLiveItems(table).Set(static_cast<double>(stats->live_items));
        metrics->StoreTombstones(table).Set(static_cast<double>(stats->tombstones));
      }
      absl::StatusOr<proto::TableSchema> schema = store->DescribeTable(table);
      if (schema.ok()) {
        const std::string& primary = schema->primary_region();
        metrics->SetTableRole(table, primary.empty()       ? "active_active"
                                     : primary == self.name ? "primary"
                                                            : "secondary");
      }
    }
    const storage::StoreStats ss = store->stats();
    metrics->StoreSstBytes().Set(static_cast<double>(ss.sst_bytes));
    metrics->StorePendingCompactionBytes().Set(static_cast<double>(ss.pending_compaction_bytes));
    const storage::StorageHealth health = store->health();
    metrics->StoreWritable().Set(health.writable ? 1 : 0);
    if (health.disk_full_errors > state->disk_full_exported) {
      metrics->StoreDiskFullErrors().Increment(
          static_cast<double>(health.disk_full_errors - state->disk_full_exported));
      state->disk_full_exported = health.disk_full_errors;
    }

    // Replication, as seen where it lands.
    if (!replication) return;
    std::optional<replication::ReplicationStatus> rs = replication();
    if (!rs.has_value()) return;
    metrics->NatsConnected().Set(rs->nats_connected ? 1 : 0);
    metrics->ChangeLogMutations().Set(static_cast<double>(rs->publisher.changelog_mutations));
    for (const replication::PeerStatus& p : rs->peers) {
      // From the readers' status at every scrape, so a reader that cannot refresh (NATS down)
      // never leaves a healthy-looking value behind.
      metrics->LinkUp(p.region).Set(p.link_up ? 1 : 0);
      metrics->ResyncRequired(p.region).Set(p.needs_resync ? 1 : 0);
      metrics->PendingMutations(p.region).Set(static_cast<double>(p.pending_mutations));
      metrics->OldestUnreplicated(p.region).Set(p.lag_seconds);
      metrics->ClockRemoteOffset(p.region).Set(
          p.clock_skew_hold ? static_cast<double>(p.clock_skew_ms) / 1000.0 : -p.lag_seconds);
    }
  });
}

void InstallHttpServerHooks(Metrics* metrics,
                            std::vector<std::pair<std::string, const HttpServer*>> servers) {
  struct Listener {
    std::string name;
    const HttpServer* server;
    HttpServerStats exported;  // what the counters already hold
  };
  auto listeners = std::make_shared<std::vector<Listener>>();
  for (auto& [name, server] : servers) {
    listeners->push_back({name, server, {}});
    // Every series from the start, so alerts and dashboards see zeros rather than gaps.
    metrics->HttpConnections(name).Set(0);
    metrics->HttpMaxConnections(name).Set(server->max_connections());
    metrics->HttpConnectionsAccepted(name);
    for (const char* reason : {"limit", "accept_error"}) {
      metrics->HttpConnectionsRefused(name, reason);
    }
    for (const char* phase : {"idle", "header", "body", "response"}) {
      metrics->HttpConnectionsTimedOut(name, phase);
    }
    for (const char* status : {"400", "431"}) metrics->HttpMalformedRequests(name, status);
  }
  metrics->AddCollectHook([metrics, listeners] {
    for (Listener& l : *listeners) {
      const HttpServerStats now = l.server->stats();
      HttpServerStats& was = l.exported;
      auto advance = [](prometheus::Counter& c, uint64_t now, uint64_t* was) {
        if (now > *was) c.Increment(static_cast<double>(now - *was));
        *was = now;
      };
      metrics->HttpConnections(l.name).Set(static_cast<double>(now.open_connections));
      advance(metrics->HttpConnectionsAccepted(l.name), now.accepted, &was.accepted);
      advance(metrics->HttpConnectionsRefused(l.name, "limit"), now.refused_limit,
              &was.refused_limit);
      advance(metrics->HttpConnectionsRefused(l.name, "accept_error"), now.accept_errors,
              &was.accept_errors);
      advance(metrics->HttpConnectionsTimedOut(l.name, "idle"), now.timed_out_idle,
              &was.timed_out_idle);
      advance(metrics->HttpConnectionsTimedOut(l.name, "header"), now.timed_out_header,
              &was.timed_out_header);
      advance(metrics->HttpConnectionsTimedOut(l.name, "body"), now.timed_out_body,
              &was.timed_out_body);
      advance(metrics->HttpConnectionsTimedOut(l.name, "response"), now.timed_out_response,
              &was.timed_out_response);
      advance(metrics->HttpMalformedRequests(l.name, "400"), now.bad_requests,
              &was.bad_requests);
      advance(metrics->HttpMalformedRequests(l.name, "431"), now.header_too_large,
              &was.header_too_large);
    }
  });
}

}  // namespace globaltable::daemon
