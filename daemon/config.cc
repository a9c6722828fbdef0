// The deployment file parser and the command line. Pure functions; thread-safe.
#include "daemon/config.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace globaltable::daemon {
namespace {

constexpr clock::RegionId kMaxRegionId = 65535;
// A clock more than a minute off is broken, not skewed: refuse to configure a window that wide.
constexpr int64_t kMaxClockOffsetMs = 60000;
constexpr int64_t kMaxOutboxAgeS = 366 * 24 * 3600;
constexpr int64_t kMinOutboxBytes = 1 << 20;  // below that a peer falls behind at once
constexpr int64_t kMaxOutboxBytes = int64_t{1} << 50;
constexpr int kMaxConnections = 1 << 20;
constexpr int kMaxHeaderTimeoutS = 3600;
constexpr int kMaxBodyTimeoutS = 3600;
constexpr int kMaxIdleTimeoutS = 24 * 3600;

// Builds messages that name the file and line of a node.
class Where {
 public:
  explicit Where(std::string source) : source_(std::move(source)) {}
  absl::Status Error(const YAML::Node& node, absl::string_view message) const {
    return Error(node.Mark(), message);
  }
  absl::Status Error(const YAML::Mark& mark, absl::string_view message) const {
    if (mark.line < 0) return absl::InvalidArgumentError(absl::StrCat(source_, ": ", message));
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", mark.line + 1, ": ", message));
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

// The entries of a YAML map, with duplicate and unknown keys rejected.
absl::StatusOr<std::map<std::string, YAML::Node>> MapEntries(const Where& where,
                                                             const YAML::Node& node,
                                                             absl::string_view what,
                                                             const std::set<std::string>& allowed) {
  if (!node.IsMap()) return where.Error(node, absl::StrCat(what, ": expected a mapping"));
  std::map<std::string, YAML::Node> entries;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) return where.Error(it->first, absl::StrCat(what, ": bad key"));
    std::string key = it->first.Scalar();
    if (allowed.count(key) == 0) {
      return where.Error(it->first,
                         absl::StrCat(what, ": unknown key '", key, "' (expected one of ",
                                      absl::StrJoin(allowed, ", "), ")"));
    }
    if (!entries.emplace(key, it->second).second) {
      return where.Error(it->first, absl::StrCat(what, ": duplicate key '", key, "'"));
    }
  }
  return entries;
}

absl::StatusOr<std::string> ScalarString(const Where& where, const YAML::Node& node,
                                         absl::string_view what) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    return where.Error(node, absl::StrCat(what, ": expected a non-empty string"));
  }
  return node.Scalar();
}

absl::StatusOr<int64_t> ScalarInt(const Where& where, const YAML::Node& node,
                                  absl::string_view what, int64_t min, int64_t max) {
  int64_t v = 0;
  if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &v) || v < min || v > max) {
    return where.Error(node, absl::StrCat(what, ": expected an integer in [", min, ", ", max, "]"));
  }
  return v;
}

absl::StatusOr<bool> ScalarBool(const Where& where, const YAML::Node& node,
                                absl::string_view what) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  return where.Error(node, absl::StrCat(what, ": expected true or false"));
}

absl::StatusOr<std::vector<std::string>> UrlList(const Where& where, const YAML::Node& node,
                                                 absl::string_view what) {
  if (!node.IsSequence() || node.size() == 0) {
    return where.Error(node, absl::StrCat(what, ": expected a non-empty list of nats:// URLs"));
  }
  std::vector<std::string> urls;
  for (const YAML::Node& item : node) {
    ASSIGN_OR_RETURN(std::string url, ScalarString(where, item, what));
    if (!absl::StartsWith(url, "nats://") && !absl::StartsWith(url, "tls://")) {
      return where.Error(item, absl::StrCat(what, ": '", url, "' is not a nats:// URL"));
    }
    urls.push_back(std::move(url));
  }
  return urls;
}

const std::set<std::string>& SettingKeys() {
  static const auto* keys = new std::set<std::string>{
      "io_threads", "workers", "max_inflight", "max_pending_writes", "sync", "partitions",
      "ttl_interval_s", "max_connections", "header_timeout_s", "body_timeout_s",
      "idle_timeout_s"};
  return *keys;
}

// Applies the DaemonSettings keys present in `entries` over `settings`.
absl::Status ApplySettings(const Where& where, const std::map<std::string, YAML::Node>& entries,
                           absl::string_view what, DaemonSettings* settings) {
  for (const auto& [key, node] : entries) {
    if (SettingKeys().count(key) == 0) continue;
    std::string field = absl::StrCat(what, ".", key);
    if (key == "io_threads") {
      ASSIGN_OR_RETURN(settings->io_threads, ScalarInt(where, node, field, 1, 64));
    } else if (key == "workers") {
      ASSIGN_OR_RETURN(settings->workers, ScalarInt(where, node, field, 1, 1024));
    } else if (key == "max_inflight") {
      ASSIGN_OR_RETURN(settings->max_inflight, ScalarInt(where, node, field, 1, 1 << 20));
    } else if (key == "max_pending_writes") {
      ASSIGN_OR_RETURN(settings->max_pending_writes, ScalarInt(where, node, field, 0, 1 << 20));
    } else if (key == "ttl_interval_s") {
      ASSIGN_OR_RETURN(settings->ttl_interval_s, ScalarInt(where, node, field, 1, 24 * 3600));
    } else if (key == "sync") {
      ASSIGN_OR_RETURN(settings->sync, ScalarBool(where, node, field));
    } else if (key == "partitions") {
      ASSIGN_OR_RETURN(settings->partitions, ScalarInt(where, node, field, 1, 4096));
    } else if (key == "max_connections") {
      ASSIGN_OR_RETURN(settings->max_connections,
                       ScalarInt(where, node, field, 0, kMaxConnections));
    } else if (key == "header_timeout_s") {
      ASSIGN_OR_RETURN(settings->header_timeout_s,
                       ScalarInt(where, node, field, 1, kMaxHeaderTimeoutS));
    } else if (key == "body_timeout_s") {
      ASSIGN_OR_RETURN(settings->body_timeout_s,
                       ScalarInt(where, node, field, 1, kMaxBodyTimeoutS));
    } else if (key == "idle_timeout_s") {
      ASSIGN_OR_RETURN(settings->idle_timeout_s,
                       ScalarInt(where, node, field, 1, kMaxIdleTimeoutS));
    }
  }
  return absl::OkStatus();
}

absl::Status RequireKeys(const Where& where, const YAML::Node& node,
                         const std::map<std::string, YAML::Node>& entries, absl::string_view what,
                         std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (entries.count(key) == 0) {
      return where.Error(node, absl::StrCat(what, ": missing field '", key, "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckHostPort(const Where& where, const YAML::Node& node, absl::string_view what) {
  std::string host;
  uint16_t port = 0;
  absl::Status s = SplitHostPort(node.Scalar(), &host, &port);
  if (!s.ok()) return where.Error(node, absl::StrCat(what, ": ", s.message()));
  return absl::OkStatus();
}

absl::StatusOr<RegionConfig> ParseRegion(const Where& where, const YAML::Node& node,
                                         const DeploymentConfig& deployment, size_t index) {
  std::set<std::string> allowed = {"name", "id", "api", "admin", "data_dir", "nats_urls"};
  allowed.insert(SettingKeys().begin(), SettingKeys().end());
  std::string what = absl::StrCat("regions[", index, "]");
  // Name the region by its name in every message once it has one.
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "name" && it->second.IsScalar()) {
        what = absl::StrCat("region '", it->second.Scalar(), "'");
      }
    }
  }
  ASSIGN_OR_RETURN(auto entries, MapEntries(where, node, what, allowed));
  if (entries.count("name")) {
    RETURN_IF_ERROR(ScalarString(where, entries["name"], what + ".name").status());
  }
  RETURN_IF_ERROR(
      RequireKeys(where, node, entries, what, {"name", "id", "api", "admin", "data_dir"}));
  RegionConfig region;
  region.line = node.Mark().line + 1;
  region.name = entries["name"].Scalar();
  ASSIGN_OR_RETURN(region.id, ScalarInt(where, entries["id"], what + ".id", 1, kMaxRegionId));
  ASSIGN_OR_RETURN(region.api, ScalarString(where, entries["api"], what + ".api"));
  RETURN_IF_ERROR(CheckHostPort(where, entries["api"], what + ".api"));
  ASSIGN_OR_RETURN(region.admin, ScalarString(where, entries["admin"], what + ".admin"));
  RETURN_IF_ERROR(CheckHostPort(where, entries["admin"], what + ".admin"));
  ASSIGN_OR_RETURN(region.data_dir, ScalarString(where, entries["data_dir"], what + ".data_dir"));
  if (entries.count("nats_urls")) {
    ASSIGN_OR_RETURN(region.nats_urls, UrlList(where, entries["nats_urls"], what + ".nats_urls"));
  } else {
    region.nats_urls = deployment.nats.urls;
  }
  region.settings = deployment.defaults;
  RETURN_IF_ERROR(ApplySettings(where, entries, what, &region.settings));
  return region;
}

absl::StatusOr<NatsTopology> ParseTopology(const Where& where, const YAML::Node& node) {
  if (node.IsScalar()) {
    if (node.Scalar() == "single") return NatsTopology::kSingle;
    if (node.Scalar() == "supercluster") return NatsTopology::kSupercluster;
    if (node.Scalar() == "domains") return NatsTopology::kDomains;
  }
  return where.Error(node, "nats.topology: expected single, supercluster or domains");
}

absl::StatusOr<DeploymentConfig> ParseRoot(const Where& where, const YAML::Node& root) {
  if (!root.IsDefined() || root.IsNull()) return where.Error(root, "the file is empty");
  ASSIGN_OR_RETURN(auto entries,
                   MapEntries(where, root, "top level",
                                {"nats", "clock", "replication", "daemon", "regions"}));
  DeploymentConfig deployment;
  deployment.source = where.source();
  if (entries.count("regions") == 0) return where.Error(root, "missing field 'regions'");
  const YAML::Node& regions = entries["regions"];
  if (!regions.IsSequence() || regions.size() == 0) {
    return where.Error(regions, "regions: expected a non-empty list of regions");
  }
  if (entries.count("nats")) {
    const YAML::Node& nats = entries["nats"];
    ASSIGN_OR_RETURN(auto nats_entries, MapEntries(where, nats, "nats", {"topology", "urls"}));
    RETURN_IF_ERROR(RequireKeys(where, nats, nats_entries, "nats", {"topology", "urls"}));
    ASSIGN_OR_RETURN(deployment.nats.topology, ParseTopology(where, nats_entries["topology"]));
    ASSIGN_OR_RETURN(deployment.nats.urls, UrlList(where, nats_entries["urls"], "nats.urls"));
  } else if (regions.size() > 1) {
    return where.Error(root, "missing field 'nats' (required with more than one region)");
  }
  if (entries.count("clock")) {
    ASSIGN_OR_RETURN(auto clock_entries,
                     MapEntries(where, entries["clock"], "clock", {"max_offset_ms"}));
    if (clock_entries.count("max_offset_ms")) {
      ASSIGN_OR_RETURN(deployment.clock.max_offset_ms,
                       ScalarInt(where, clock_entries["max_offset_ms"], "clock.max_offset_ms", 1,
                                 kMaxClockOffsetMs));
    }
  }
  if (entries.count("replication")) {
    ASSIGN_OR_RETURN(auto repl_entries,
                     MapEntries(where, entries["replication"], "replication",
                                {"outbox_max_age_s", "outbox_max_bytes", "tombstone_grace_s",
                                 "tombstone_purge_interval_s"}));
    if (repl_entries.count("tombstone_grace_s")) {
      ASSIGN_OR_RETURN(deployment.replication.tombstone_grace_s,
                       ScalarInt(where, repl_entries["tombstone_grace_s"],
                                 "replication.tombstone_grace_s", 0, kMaxOutboxAgeS));
    }
    if (repl_entries.count("tombstone_purge_interval_s")) {
      ASSIGN_OR_RETURN(deployment.replication.tombstone_purge_interval_s,
                       ScalarInt(where, repl_entries["tombstone_purge_interval_s"],
                                 "replication.tombstone_purge_interval_s", 1, 24 * 3600));
    }
    if (repl_entries.count("outbox_max_age_s")) {
      ASSIGN_OR_RETURN(deployment.replication.outbox_max_age_s,
                       ScalarInt(where, repl_entries["outbox_max_age_s"],
                                 "replication.outbox_max_age_s", 1, kMaxOutboxAgeS));
    }
    if (repl_entries.count("outbox_max_bytes")) {
      const YAML::Node& node = repl_entries["outbox_max_bytes"];
      ASSIGN_OR_RETURN(deployment.replication.outbox_max_bytes,
                       ScalarInt(where, node, "replication.outbox_max_bytes", 0, kMaxOutboxBytes));
      if (deployment.replication.outbox_max_bytes != 0 &&
          deployment.replication.outbox_max_bytes < kMinOutboxBytes) {
        return where.Error(node, absl::StrCat("replication.outbox_max_bytes: expected 0 (no "
                                              "bound) or an integer in [",
                                              kMinOutboxBytes, ", ", kMaxOutboxBytes, "]"));
      }
    }
  }
  if (entries.count("daemon")) {
    ASSIGN_OR_RETURN(auto daemon_entries,
                     MapEntries(where, entries["daemon"], "daemon", SettingKeys()));
    RETURN_IF_ERROR(ApplySettings(where, daemon_entries, "daemon", &deployment.defaults));
  }
  std::map<std::string, int> names, apis, admins, dirs;
  std::map<clock::RegionId, int> ids;
  size_t index = 0;
  for (const YAML::Node& node : regions) {
    ASSIGN_OR_RETURN(RegionConfig region, ParseRegion(where, node, deployment, index++));
    auto unique = [&](auto& seen, const auto& value, absl::string_view field) -> absl::Status {
      auto [it, inserted] = seen.emplace(value, region.line);
      if (inserted) return absl::OkStatus();
      return where.Error(node,
                         absl::StrCat("region '", region.name, "': duplicate ", field, " ",
                                      absl::StrCat(value), " (also at line ", it->second, ")"));
    };
    RETURN_IF_ERROR(unique(names, region.name, "name"));
    RETURN_IF_ERROR(unique(ids, region.id, "id"));
    RETURN_IF_ERROR(unique(apis, region.api, "api address"));
    RETURN_IF_ERROR(unique(admins, region.admin, "admin address"));
    RETURN_IF_ERROR(unique(dirs, region.data_dir, "data_dir"));
    if (region.nats_urls.empty() && regions.size() > 1) {
      return where.Error(node, absl::StrCat("region '", region.name, "': no NATS URLs"));
    }
    deployment.regions.push_back(std::move(region));
  }
  return deployment;
}

absl::StatusOr<int> ParseFlagInt(absl::string_view flag, absl::string_view value, int min,
                                 int max) {
  int v = 0;
  if (!absl::SimpleAtoi(value, &v) || v < min || v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": expected an integer in [", min, ", ", max, "], got '", value, "'"));
  }
  return v;
}

}  // namespace

absl::string_view TopologyName(NatsTopology topology) {
  switch (topology) {
    case NatsTopology::kSingle:
      return "single";
    case NatsTopology::kSupercluster:
      return "supercluster";
    case NatsTopology::kDomains:
      return "domains";
  }
  return "single";
}

const RegionConfig* DeploymentConfig::FindRegion(absl::string_view name) const {
  for (const RegionConfig& r : regions) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const RegionConfig* DeploymentConfig::FindRegion(clock::RegionId id) const {
  for (const RegionConfig& r : regions) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

absl::StatusOr<DeploymentConfig> ParseDeployment(absl::string_view yaml, absl::string_view source) {
  Where where{std::string(source)};
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    return ParseRoot(where, root);
  } catch (const YAML::Exception& e) {
    return where.Error(e.mark, e.msg);
  }
}

absl::StatusOr<DeploymentConfig> LoadDeploymentFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the file"));
  std::stringstream text;
  text << in.rdbuf();
  return ParseDeployment(text.str(), path);
}

absl::Status SplitHostPort(absl::string_view hostport, std::string* host, uint16_t* port) {
  size_t colon = hostport.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", hostport, "' is not HOST:PORT (for example 127.0.0.1:8000)"));
  }
  absl::string_view h = hostport.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = 0;
  if (!absl::SimpleAtoi(hostport.substr(colon + 1), &p) || p < 0 || p > 65535 || h.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", hostport, "' is not HOST:PORT (for example 127.0.0.1:8000)"));
  }
  *host = std::string(h);
  *port = static_cast<uint16_t>(p);
  return absl::OkStatus();
}

absl::StatusOr<int> ApiMaxConnections(int64_t descriptor_limit, int configured) {
  constexpr int64_t kMinConnections = 64;
  const int64_t room = descriptor_limit - kReservedDescriptors - kAdminMaxConnections;
  if (configured > 0) {
    if (configured > room) {
      return absl::InvalidArgumentError(absl::StrCat(
          "max_connections ", configured, " does not fit the descriptor limit (ulimit -n) of ",
          descriptor_limit, ": at most ", std::max<int64_t>(room, 0), " after ",
          kReservedDescriptors, " kept for the store and NATS and ", kAdminMaxConnections,
          " for the admin listener; raise the limit or lower max_connections"));
    }
    return configured;
  }
  if (room < kMinConnections) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the descriptor limit (ulimit -n) of ", descriptor_limit, " is too low: at least ",
        kReservedDescriptors + kAdminMaxConnections + kMinConnections,
        " are needed (", kReservedDescriptors, " for the store and NATS, ", kAdminMaxConnections,
        " for the admin listener, ", kMinConnections, " for API connections)"));
  }
  return static_cast<int>(std::min<int64_t>(room, kDefaultMaxConnectionsCap));
}

std::string Usage() {
  return "usage: globaltabled [flags]\n"
         "  --config FILE          deployment file (YAML)\n"
         "  --check-config FILE    validate a deployment file and exit\n"
         "  --region NAME          region to run (from the file; default 'local')\n"
         "  --region-id N          region id (1..65535)\n"
         "  --data-dir DIR         store directory (default ./globaltable-data)\n"
         "  --api-listen HOST:PORT DynamoDB API (default 127.0.0.1:8000)\n"
         "  --admin-listen HOST:PORT admin API (default 127.0.0.1:9464)\n"
         "  --io-threads N --workers N --max-inflight N --max-pending-writes N --sync\n"
         "  --ttl-interval-s N     seconds between Time to Live passes (default 60)\n"
         "  --max-connections N    API connections open at once (default: from ulimit -n)\n"
         "  --header-timeout-s N --body-timeout-s N --idle-timeout-s N\n"
         "                         close connections slower than this (default 10, 60, 60)\n"
         "  --version\n";
}

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> value;
    if (size_t eq = flag.find('='); absl::StartsWith(flag, "--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    auto take = [&]() -> absl::StatusOr<std::string> {
      if (value) return *value;
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(flag + ": missing value");
      return args[++i];
    };
    if (flag == "--version" || flag == "--help" || flag == "-h") {
      if (value) return absl::InvalidArgumentError(flag + " takes no value");
      (flag == "--version" ? cl.version : cl.help) = true;
    } else if (flag == "--sync") {
      if (!value) {
        cl.sync = true;
      } else if (*value == "true" || *value == "false") {
        cl.sync = *value == "true";
      } else {
        return absl::InvalidArgumentError("--sync: expected true or false");
      }
    } else if (flag == "--region") {
      ASSIGN_OR_RETURN(cl.region, take());
    } else if (flag == "--region-id") {
      ASSIGN_OR_RETURN(std::string v, take());
      ASSIGN_OR_RETURN(int id, ParseFlagInt(flag, v, 1, kMaxRegionId));
      cl.region_id = static_cast<clock::RegionId>(id);
    } else if (flag == "--data-dir") {
      ASSIGN_OR_RETURN(cl.data_dir, take());
    } else if (flag == "--api-listen" || flag == "--admin-listen") {
      ASSIGN_OR_RETURN(std::string v, take());
      std::string host;
      uint16_t port = 0;
      absl::Status s = SplitHostPort(v, &host, &port);
      if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", s.message()));
      (flag == "--api-listen" ? cl.api_listen : cl.admin_listen) = v;
    } else if (flag == "--config") {
      ASSIGN_OR_RETURN(cl.config, take());
    } else if (flag == "--check-config") {
      ASSIGN_OR_RETURN(cl.check_config, take());
    } else if (flag == "--io-threads" || flag == "--workers" || flag == "--max-inflight") {
      ASSIGN_OR_RETURN(std::string v, take());
      int max = flag == "--io-threads" ? 64 : flag == "--workers" ? 1024 : (1 << 20);
      ASSIGN_OR_RETURN(int n, ParseFlagInt(flag, v, 1, max));
      (flag == "--io-threads" ? cl.io_threads
       : flag == "--workers"  ? cl.workers
                              : cl.max_inflight) = n;
    } else if (flag == "--max-pending-writes") {
      ASSIGN_OR_RETURN(std::string v, take());
      ASSIGN_OR_RETURN(cl.max_pending_writes, ParseFlagInt(flag, v, 0, 1 << 20));
    } else if (flag == "--ttl-interval-s") {
      ASSIGN_OR_RETURN(std::string v, take());
      ASSIGN_OR_RETURN(cl.ttl_interval_s, ParseFlagInt(flag, v, 1, 24 * 3600));
    } else if (flag == "--max-connections") {
      ASSIGN_OR_RETURN(std::string v, take());
      ASSIGN_OR_RETURN(cl.max_connections, ParseFlagInt(flag, v, 0, kMaxConnections));
    } else if (flag == "--header-timeout-s") {
      ASSIGN_OR_RETURN(std::string v, take());
      ASSIGN_OR_RETURN(cl.header_timeout_s, ParseFlagInt(flag, v, 1, kMaxHeaderTimeoutS));
    } else if (flag == "--body-timeout-s") {
      ASSIGN_OR_RETURN(std::string v, take());
      ASSIGN_OR_RETURN(cl.body_timeout_s, ParseFlagInt(flag, v, 1, kMaxBodyTimeoutS));
    } else if (flag == "--idle-timeout-s") {
      ASSIGN_OR_RETURN(std::string v, take());
      ASSIGN_OR_RETURN(cl.idle_timeout_s, ParseFlagInt(flag, v, 1, kMaxIdleTimeoutS));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", args[i], "'"));
    }
  }
  return cl;
}

absl::StatusOr<Config> ResolveConfig(const CommandLine& cl,
                                     const std::optional<DeploymentConfig>& deployment) {
  Config config;
  RegionConfig& self = config.self;
  if (deployment) {
    config.deployment = *deployment;
    const RegionConfig* found = nullptr;
    if (cl.region) {
      found = deployment->FindRegion(*cl.region);
      if (found == nullptr) {
        std::vector<std::string> names;
        for (const RegionConfig& r : deployment->regions) names.push_back(r.name);
        return absl::InvalidArgumentError(
            absl::StrCat("--region ", *cl.region, ": not in ", deployment->source,
                         " (regions: ", absl::StrJoin(names, ", "), ")"));
      }
    } else if (deployment->regions.size() == 1) {
      found = &deployment->regions[0];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(deployment->source, " has ",
                                                     deployment->regions.size(),
                                                     " regions: pick one with --region"));
    }
    self = *found;
  } else {
    self.name = cl.region.value_or(kDefaultRegionName);
    self.id = 1;
    self.api = kDefaultApiListen;
    self.admin = kDefaultAdminListen;
    self.data_dir = kDefaultDataDir;
  }
  if (cl.region_id) {
    const RegionConfig* other = config.deployment.FindRegion(*cl.region_id);
    if (other != nullptr && other->name != self.name) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--region-id ", *cl.region_id, ": already the id of region '", other->name, "'"));
    }
    self.id = *cl.region_id;
  }
  if (cl.data_dir) self.data_dir = *cl.data_dir;
  if (cl.api_listen) self.api = *cl.api_listen;
  if (cl.admin_listen) self.admin = *cl.admin_listen;
  if (cl.io_threads) self.settings.io_threads = *cl.io_threads;
  if (cl.workers) self.settings.workers = *cl.workers;
  if (cl.max_inflight) self.settings.max_inflight = *cl.max_inflight;
  if (cl.max_pending_writes) self.settings.max_pending_writes = *cl.max_pending_writes;
  if (cl.ttl_interval_s) self.settings.ttl_interval_s = *cl.ttl_interval_s;
  if (cl.sync) self.settings.sync = *cl.sync;
  if (cl.max_connections) self.settings.max_connections = *cl.max_connections;
  if (cl.header_timeout_s) self.settings.header_timeout_s = *cl.header_timeout_s;
  if (cl.body_timeout_s) self.settings.body_timeout_s = *cl.body_timeout_s;
  if (cl.idle_timeout_s) self.settings.idle_timeout_s = *cl.idle_timeout_s;
  if (self.api == self.admin) {
    return absl::InvalidArgumentError(
        absl::StrCat("the API and admin listeners are both ", self.api));
  }
  return config;
}

absl::StatusOr<Config> ResolveConfig(const CommandLine& cl) {
  std::optional<DeploymentConfig> deployment;
  if (cl.config) {
    ASSIGN_OR_RETURN(deployment, LoadDeploymentFile(*cl.config));
  }
  return ResolveConfig(cl, deployment);
}

}  // namespace globaltable::daemon
