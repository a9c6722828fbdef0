// Collect hooks: metrics read from the store, the clock and replication at scrape time.
//
// Counters that modules cannot increment themselves (conflicts are found inside the store) are
// advanced by the difference since the previous scrape; gauges are set from current state.
//
//   InstallCollectHooks(&metrics, store.get(), &hlc, config, [&] { return repl->Status(); });
//
// Thread-safety: the hooks run on the scraping thread, one scrape at a time (Metrics
// serializes scrapes); the objects passed in must outlive `metrics`' last scrape.
#ifndef GLOBALTABLE_DAEMON_METRICS_HOOKS_H_
#define GLOBALTABLE_DAEMON_METRICS_HOOKS_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "clock/hlc.h"
#include "common/metrics.h"
#include "daemon/config.h"
#include "daemon/http_server.h"
#include "replication/status.h"
#include "storage/store.h"

namespace globaltable::daemon {

// `replication` may be empty (no NATS configured).
void InstallCollectHooks(Metrics* metrics, storage::Store* store, clock::HybridClock* clock,
                         const Config& config,
                         std::function<std::optional<replication::ReplicationStatus>()> replication);

// The connection counters each HttpServer keeps, as the globaltable_http_* series with the
// listener label given here ("api", "admin"). The servers must outlive `metrics`' last scrape.
void InstallHttpServerHooks(Metrics* metrics,
                            std::vector<std::pair<std::string, const HttpServer*>> servers);

}  // namespace globaltable::daemon

#endif  // GLOBALTABLE_DAEMON_METRICS_HOOKS_H_
