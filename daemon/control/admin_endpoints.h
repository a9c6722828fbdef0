// ControlEndpoints: the admin API routes behind globaltablectl (see daemon/ctl/admin_client.h
// for the protocol):
//   GET  /v1/status
//   POST /v1/mode {"mode": "active"|"read_only"|"fenced"}
//   POST /v1/replication/cut {"cut": true|false}
//   POST /v1/tables/{table}/primary {"region": "<region>" or ""}
//   POST /v1/drills <report JSON>
//
//   ControlEndpoints control(store, region_control, regions, peers_fn);
//   if (auto r = control.Handle(method, target, body)) return *r;   // else: not a control route
//
// Errors are JSON {"error": "..."} with 400 (bad request), 404 (unknown table or region),
// 409 (refused in the current mode) or 500.
// Thread-safety: Handle may be called concurrently; it only reads the shared objects' thread-
// safe interfaces.
#ifndef GLOBALTABLE_DAEMON_CONTROL_ADMIN_ENDPOINTS_H_
#define GLOBALTABLE_DAEMON_CONTROL_ADMIN_ENDPOINTS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/metrics.h"
#include "daemon/control/region_control.h"
#include "daemon/ctl/admin_client.h"
#include "storage/store.h"

namespace globaltable::daemon {

// What this region knows about its replication from one peer, for /v1/status: the same record
// globaltablectl decodes from the reply, so the two sides cannot drift apart.
using PeerSummary = ctl::PeerStatus;

struct RegionRef {
  std::string name;
  uint32_t id = 0;
};

struct ControlResponse {
  int status = 200;
  std::string body;  // JSON
};

class ControlEndpoints {
 public:
  // `regions`: every region of the deployment (this one included). `peers` may be empty when
  // the region runs without replication. Pointers must outlive this object.
  ControlEndpoints(storage::Store* store, RegionControl* control, Metrics* metrics,
                   RegionRef self, std::vector<RegionRef> regions,
                   std::function<std::vector<PeerSummary>()> peers);

  // nullopt when `target` is not a control route.
  std::optional<ControlResponse> Handle(absl::string_view method, absl::string_view target,
                                        absl::string_view body) const;

  // The JSON of GET /v1/status.
  std::string StatusJson() const;

  // How far the tombstone purge horizon trails the clock, in seconds (-1: unknown), reported
  // by /v1/status as tombstone_horizon_age_s. Set before serving; unset, the field is left out.
  void SetTombstoneHorizon(std::function<double()> age_seconds) {
    tombstone_horizon_ = std::move(age_seconds);
  }

 private:
  ControlResponse SetMode(absl::string_view body) const;
  ControlResponse SetCut(absl::string_view body) const;
  ControlResponse SkipSequences(absl::string_view body) const;
  ControlResponse SetPrimary(absl::string_view table, absl::string_view body) const;
  ControlResponse RecordDrill(absl::string_view body) const;

  storage::Store* const store_;
  RegionControl* const control_;
  Metrics* const metrics_;
  const RegionRef self_;
  const std::vector<RegionRef> regions_;
  const std::function<std::vector<PeerSummary>()> peers_;
  std::function<double()> tombstone_horizon_;
};

}  // namespace globaltable::daemon

#endif  // GLOBALTABLE_DAEMON_CONTROL_ADMIN_ENDPOINTS_H_
