// AdminClient: typed calls to one region's admin API, used by globaltablectl and drills.
//
// The admin API (served by globaltabled on its admin listener; JSON bodies):
//   GET  /v1/status                       -> RegionStatus (below)
//   POST /v1/mode {"mode": M}             -> RegionStatus after the change; M is active,
//                                            read_only or fenced. The reply comes after writes
//                                            in flight have committed, so its change-log
//                                            sequences are the fence point.
//   POST /v1/replication/cut {"cut": B}   -> RegionStatus; cut=true stops publishing and
//                                            consuming (the region is cut off both ways)
//   POST /v1/tables/{t}/primary {"region": R}  -> single-primary table moves to R ("" for
//                                            active-active); replicated to every region
//   GET  /v1/tables/{t}/digest            -> {"table", "items", "tombstones", "digest"}
//   POST /v1/drills <report JSON>          -> records a drill in history and metrics
//
//   AdminClient c(RegionEndpoint{"us-east-1", 1, "127.0.0.1:8001", "127.0.0.1:9001"});
//   ASSIGN_OR_RETURN(RegionStatus s, c.Status());
//
// Errors: kUnavailable when the region cannot be reached; kInternal with the server's message
// for non-2xx replies; kInvalidArgument for a reply that is not the expected JSON.
// Thread-safety: immutable after construction; calls are independent.
#ifndef GLOBALTABLE_DAEMON_CTL_ADMIN_CLIENT_H_
#define GLOBALTABLE_DAEMON_CTL_ADMIN_CLIENT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace globaltable::daemon::ctl {

struct RegionEndpoint {
  std::string name;
  uint32_t id = 0;
  std::string api;    // HOST:PORT
  std::string admin;  // HOST:PORT
};

struct PeerStatus {
  std::string source_region;
  uint32_t source_id = 0;
  bool link_up = false;
  double lag_seconds = 0;
  uint64_t pending = 0;
  uint64_t applied = 0;
  uint64_t conflicts = 0;
  bool resync_required = false;
  std::string note;  // replication::PeerNote: what the NOTE column shows
};

struct TableStatus {
  std::string name;
  std::string primary_region;  // empty: active-active
  uint64_t items = 0;
  uint64_t tombstones = 0;
};

// Whether the region's store takes writes ("storage" in /v1/status).
struct StorageStatus {
  bool writable = true;  // a daemon that does not report it is taken as writable
  bool disk_full = false;
  std::string reason;  // why not writable; empty while writable
  double read_only_since_unix = 0;
  uint64_t disk_full_errors = 0;
};

struct RegionStatus {
  std::string region;
  uint32_t region_id = 0;
  std::string mode;                  // active | read_only | fenced
  bool cut = false;
  StorageStatus storage;
  std::vector<TableStatus> tables;
  std::vector<uint64_t> changelog;   // last sequence per partition of this region's log
  uint64_t last_local_hlc = 0;       // newest local write's HLC
  // How far the tombstone purge horizon trails the region's clock; -1: unknown (or a daemon
  // that does not report it).
  double tombstone_horizon_age_s = -1;
  // Applied watermarks: origin region id -> last applied sequence per partition.
  std::map<uint32_t, std::vector<uint64_t>> applied;
  std::map<uint32_t, uint64_t> applied_hlc;  // origin region id -> newest applied HLC
  std::vector<PeerStatus> peers;
  uint64_t conflicts_total = 0;
  std::vector<std::string> drills;   // recent drill reports (JSON), newest first
};

struct Digest {
  std::string table;
  uint64_t items = 0;
  uint64_t tombstones = 0;
  std::string digest;
};

// Parses the JSON of GET /v1/status (exposed for tests and for the server's own tests).
absl::StatusOr<RegionStatus> ParseRegionStatus(absl::string_view json);

class AdminClient {
 public:
  explicit AdminClient(RegionEndpoint endpoint) : endpoint_(std::move(endpoint)) {}
  const RegionEndpoint& endpoint() const { return endpoint_; }

  absl::StatusOr<RegionStatus> Status() const;
  absl::StatusOr<RegionStatus> SetMode(absl::string_view mode) const;
  absl::StatusOr<RegionStatus> SetCut(bool cut) const;
  absl::Status SetPrimary(absl::string_view table, absl::string_view region) const;
  // In this region, moves `source`'s `partition` past sequence `through` without applying what
  // it skips (POST /v1/replication/skip). Returns the daemon's JSON answer.
  absl::StatusOr<std::string> SkipSequences(absl::string_view source, uint32_t partition,
                                            uint64_t through) const;
  absl::StatusOr<Digest> TableDigest(absl::string_view table) const;
  absl::Status RecordDrill(absl::string_view report_json) const;

 private:
  absl::StatusOr<std::string> Call(absl::string_view method, const std::string& target,
                                   absl::string_view body) const;
  RegionEndpoint endpoint_;
};

}  // namespace globaltable::daemon::ctl

#endif  // GLOBALTABLE_DAEMON_CTL_ADMIN_CLIENT_H_
