// The deployment file and the command line of globaltabled.
//
// One YAML file describes the whole deployment; every region's daemon (and globaltablectl) reads
// the same file and picks its own region with --region:
//
//   nats:
//     topology: single            # single | supercluster | domains
//     urls: [nats://127.0.0.1:4222]
//   clock:                        # optional
//     max_offset_ms: 500          # remote HLCs further ahead are held (1..60000)
//   replication:                  # optional
//     outbox_max_age_s: 86400     # the outbox keeps unapplied mutations at most this long
//     outbox_max_bytes: 0         # and at most this many bytes (0: no size bound)
//     tombstone_grace_s: 86400    # deleted items' tombstones are kept at least this long
//     tombstone_purge_interval_s: 600  # how often each region purges older ones
//   daemon:                       # optional; defaults for every region
//     workers: 16
//   regions:
//     - name: us-east-1
//       id: 1
//       api: 127.0.0.1:8001
//       admin: 127.0.0.1:9001
//       data_dir: /var/lib/globaltable/us-east-1
//       nats_urls: [nats://127.0.0.1:4222]   # optional: overrides nats.urls for this region
//       max_inflight: 512                    # optional: any `daemon` key, for this region only
//
// Unknown keys, duplicate keys, duplicate region names, ids or listen addresses, missing fields
// and malformed values are rejected with kInvalidArgument and a message that names the file and
// the line ("deploy.yaml:7: region 'eu-west-1': missing field 'admin'").
//
// Resolution (ResolveConfig): flags override the file. With no --config, the process runs one
// region on the defaults (name "local", id 1, API 127.0.0.1:8000, admin 127.0.0.1:9464, data
// dir ./globaltable-data). With --config, --region picks the region (optional when the file has
// exactly one).
//
//   ASSIGN_OR_RETURN(CommandLine cl, ParseCommandLine(args));
//   ASSIGN_OR_RETURN(Config config, ResolveConfig(cl));
//   for (const RegionConfig& peer : config.deployment.regions) { ... }   // replication peers
//
// Thread-safety: plain values and pure functions (the Load* functions read a file).
#ifndef GLOBALTABLE_DAEMON_CONFIG_H_
#define GLOBALTABLE_DAEMON_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "clock/version.h"

namespace globaltable::daemon {

enum class NatsTopology { kSingle, kSupercluster, kDomains };

// "single", "supercluster", "domains".
absl::string_view TopologyName(NatsTopology topology);

struct NatsConfig {
  NatsTopology topology = NatsTopology::kSingle;
  std::vector<std::string> urls;  // empty only when the deployment has no NATS (one region)
};

// The hybrid logical clock of every daemon. Deployment-wide: every region must refuse the same
// skew, or a batch one region holds would be applied by another.
struct ClockConfig {
  int64_t max_offset_ms = 500;  // remote timestamps further ahead of local time are held
};

// Retention of every region's outbox stream. Deployment-wide: a peer's backlog is bounded the
// same way whichever region it reads. A peer that falls behind it needs a resync.
struct ReplicationConfig {
  int64_t outbox_max_age_s = 24 * 3600;  // like DynamoDB Streams' 24 hours
  int64_t outbox_max_bytes = 0;          // 0: no size bound (the disk is)
  // A delete leaves a tombstone; each region purges it once it is older than the grace period
  // and below the region's purge horizon (every other region has closed past it, see
  // docs/architecture.md, "Tombstones"), checking every purge interval.
  int64_t tombstone_grace_s = 24 * 3600;
  int64_t tombstone_purge_interval_s = 600;
};

// Tuning of one daemon. Keys in the file: the field names.
struct DaemonSettings {
  int io_threads = 2;       // threads that run HTTP I/O (accept, read, write) and point reads
  int workers = 16;         // threads that run API operations (blocking store calls)
  int max_inflight = 1024;  // requests admitted and not yet answered; more are shed
  // BatchWriteItem returns members in UnprocessedItems while this many API writes are in the
  // store (at most `workers` can be); 0: no bound.
  int max_pending_writes = 0;
  bool sync = false;         // fsync each store commit group
  // Change-log partitions, fixed when the store is created; 0: the store's own number, or
  // storage::kDefaultPartitions for a new store.
  uint32_t partitions = 0;
  // Seconds between Time to Live passes (each scans the tables that have TTL enabled).
  int ttl_interval_s = 60;
  // Connections the API listener keeps open at once; more are answered 503 and closed.
  // 0: derived from the descriptor limit at start (see globaltabled_main.cc).
  int max_connections = 0;
  // A request's header must arrive within header_timeout_s (from the connection's accept, or
  // from the request's first byte), its body within body_timeout_s (which also bounds the
  // writing of the answer); a keep-alive connection waits idle_timeout_s for its next request.
  // Past any of them the connection is closed. Both listeners.
  int header_timeout_s = 10;
  int body_timeout_s = 60;
  int idle_timeout_s = 60;
};

struct RegionConfig {
  std::string name;
  clock::RegionId id = 0;  // 1..65535, unique in the deployment
  std::string api;         // HOST:PORT of the DynamoDB API
  std::string admin;       // HOST:PORT of the admin API
  std::string data_dir;
  std::vector<std::string> nats_urls;  // resolved: the region's override, else nats.urls
  DaemonSettings settings;             // resolved: file defaults, region overrides
  int line = 0;                        // 1-based line of the entry in the file; 0 if none
};

struct DeploymentConfig {
  std::string source;  // file name, for messages
  NatsConfig nats;
  ClockConfig clock;
  ReplicationConfig replication;
  DaemonSettings defaults;
  std::vector<RegionConfig> regions;

  const RegionConfig* FindRegion(absl::string_view name) const;
  const RegionConfig* FindRegion(clock::RegionId id) const;
};

// Parses and validates a deployment file's text. `source` names the file in messages.
absl::StatusOr<DeploymentConfig> ParseDeployment(absl::string_view yaml, absl::string_view source);
absl::StatusOr<DeploymentConfig> LoadDeploymentFile(const std::string& path);

// The command line. Every field is optional; unset means "from the file or the default".
struct CommandLine {
  std::optional<std::string> region;
  std::optional<clock::RegionId> region_id;
  std::optional<std::string> data_dir;
  std::optional<std::string> api_listen;
  std::optional<std::string> admin_listen;
  std::optional<std::string> config;
  std::optional<std::string> check_config;
  std::optional<int> io_threads;
  std::optional<int> workers;
  std::optional<int> max_inflight;
  std::optional<int> max_pending_writes;
  std::optional<int> ttl_interval_s;
  std::optional<int> max_connections;
  std::optional<int> header_timeout_s;
  std::optional<int> body_timeout_s;
  std::optional<int> idle_timeout_s;
  std::optional<bool> sync;
  bool version = false;
  bool help = false;
};

// Accepts "--flag value" and "--flag=value"; `args` excludes argv[0].
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);
std::string Usage();

// What this process runs.
struct Config {
  DeploymentConfig deployment;  // regions empty when started without --config
  RegionConfig self;            // this region, flags applied
};

// Applies flags over the file (read from cl.config) or the defaults.
absl::StatusOr<Config> ResolveConfig(const CommandLine& cl);
// Same, with the file's contents already parsed (tests).
absl::StatusOr<Config> ResolveConfig(const CommandLine& cl,
                                     const std::optional<DeploymentConfig>& deployment);

// Descriptors kept out of the API listener's connection budget: the store's RocksDB files (it
// keeps at most 512 open), NATS, logs and the like; and the admin listener's own connections,
// so /healthz and /metrics answer while the API port is flooded.
inline constexpr int64_t kReservedDescriptors = 640;
inline constexpr int kAdminMaxConnections = 64;
// The derived API connection limit stops here: each idle connection holds ~7 KB of the
// daemon's memory (5,000 idle connections: +33 MB RSS), plus the kernel's socket buffers.
inline constexpr int kDefaultMaxConnectionsCap = 65536;

// The API listener's connection limit under a descriptor limit (RLIMIT_NOFILE's soft limit):
// `configured` if it fits under the limit with the reserves, else kInvalidArgument; with
// `configured` 0, what fits (at most kDefaultMaxConnectionsCap), or kInvalidArgument when that
// is under 64 (the limit is too low to run).
absl::StatusOr<int> ApiMaxConnections(int64_t descriptor_limit, int configured);

// Splits "HOST:PORT" (HOST may be "[::1]"); kInvalidArgument when malformed.
absl::Status SplitHostPort(absl::string_view hostport, std::string* host, uint16_t* port);

inline constexpr char kDefaultApiListen[] = "127.0.0.1:8000";
inline constexpr char kDefaultAdminListen[] = "127.0.0.1:9464";
inline constexpr char kDefaultDataDir[] = "./globaltable-data";
inline constexpr char kDefaultRegionName[] = "local";

}  // namespace globaltable::daemon

#endif  // GLOBALTABLE_DAEMON_CONFIG_H_
