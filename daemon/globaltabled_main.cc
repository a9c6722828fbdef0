// globaltabled: the per-region daemon. Reads flags and the deployment file, opens the store,
// serves the DynamoDB API and the admin API, and on SIGTERM/SIGINT stops accepting, drains the
// requests in flight and closes the store.
//
// Signals are blocked in every thread and taken synchronously by the main thread (sigwait), so
// no work happens in a signal handler.
#include <sys/resource.h>

#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clock/hlc.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "daemon/admin.h"
#include "daemon/api/api.h"
#include "daemon/api/api_error.h"
#include "daemon/config.h"
#include "daemon/control/admin_endpoints.h"
#include "daemon/control/region_control.h"
#include "daemon/http_server.h"
#include "daemon/metrics_hooks.h"
#include "daemon/tombstone_collector.h"
#include "daemon/ttl_expirer.h"
#include "replication/replicator.h"
#include "storage/store.h"

namespace globaltable::daemon {
namespace {

constexpr absl::Duration kDrainTimeout = absl::Seconds(10);

// Raises the soft descriptor limit to the hard one (the default soft limit, often 1024, is what
// a flood of connections exhausts first) and returns the soft limit in force.
int64_t RaiseDescriptorLimit() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur != rl.rlim_max) {
    struct rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      rl = raised;
    } else {
      GT_LOG(WARNING) << "cannot raise the descriptor limit from " << rl.rlim_cur << " to "
                      << rl.rlim_max << ": " << std::strerror(errno);
    }
  }
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t{1} << 30)) return int64_t{1} << 30;
  return static_cast<int64_t>(rl.rlim_cur);
}

// Both listeners close slow and idle connections on the same timeouts.
void SetTimeouts(const DaemonSettings& settings, HttpServerOptions* options) {
  options->header_timeout = absl::Seconds(settings.header_timeout_s);
  options->body_timeout = absl::Seconds(settings.body_timeout_s);
  options->idle_timeout = absl::Seconds(settings.idle_timeout_s);
}

// Replication settings for this region from the deployment file: every other region is a peer;
// with the `domains` topology each region's JetStream domain is its name, with `supercluster`
// each region's NATS cluster is (as terraform renders the nats-server configuration).
replication::ReplicationOptions ReplicationOptionsFor(const Config& config) {
  replication::ReplicationOptions opts;
  opts.region_name = config.self.name;
  opts.region_id = config.self.id;
  opts.nats_urls = config.self.nats_urls;
  bool domains = config.deployment.nats.topology == NatsTopology::kDomains;
  if (domains) opts.js_domain = config.self.name;
  if (config.deployment.nats.topology == NatsTopology::kSupercluster) {
    opts.placement_cluster = config.self.name;
  }
  opts.max_age = absl::Seconds(config.deployment.replication.outbox_max_age_s);
  opts.max_bytes = config.deployment.replication.outbox_max_bytes == 0
                       ? -1
                       : config.deployment.replication.outbox_max_bytes;
  for (const RegionConfig& r : config.deployment.regions) {
    if (r.id == config.self.id) continue;
    opts.peers.push_back({r.name, r.id, domains ? r.name : std::string()});
  }
  return opts;
}

// Writes are refused while this region's clock cannot be trusted to order them against the
// other regions' (docs/reliability.md, "Clock skew"): its clock leads its peers' beyond the max
// offset, or it has not compared yet (the first second after start), or its timestamps still
// run ahead of its clock by more than the max offset (issued before the clock was set back).
absl::Status ClockGuard(const replication::Replicator* repl, const clock::HybridClock& hlc,
                        const std::string& region) {
  if (repl == nullptr) return absl::OkStatus();
  const int64_t max_ms = absl::ToInt64Milliseconds(hlc.max_offset());
  replication::ClockVerdict v = repl->clock_verdict();
  if (v.state == replication::ClockState::kUnknown) {
    return absl::UnavailableError(absl::StrCat(
        "Region ", region, " is comparing its clock with its peers' before taking writes; retry"));
  }
  if (v.state == replication::ClockState::kAhead) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Region ", region, " refuses writes: its clock is at least ", v.lead_ms, " ms ahead of ",
        v.ahead_of, " of its ", v.answered, " peers, beyond the max clock offset of ", max_ms,
        " ms; write to another region"));
  }
  const int64_t lead = static_cast<int64_t>(clock::PhysicalMillis(hlc.Current())) -
                       static_cast<int64_t>(clock::SystemClock::Default()->NowMillis());
  if (lead > max_ms) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Region ", region, " refuses writes for ", lead - max_ms, " ms: timestamps it issued are ",
        lead, " ms ahead of its clock, beyond the max clock offset of ", max_ms,
        " ms (its clock was set back); write to another region"));
  }
  return absl::OkStatus();
}

absl::Status Run(const Config& config, const sigset_t& signals) {
  const RegionConfig& self = config.self;
  // Before the store opens files: a limit that cannot fit the connections is refused first.
  const int64_t descriptor_limit = RaiseDescriptorLimit();
  ASSIGN_OR_RETURN(const int api_max_connections,
                   ApiMaxConnections(descriptor_limit, self.settings.max_connections));
  clock::HybridClock::Options clock_options;
  clock_options.max_offset = absl::Milliseconds(config.deployment.clock.max_offset_ms);
  clock::HybridClock hlc(clock::SystemClock::Default(), clock_options);

  storage::StoreOptions store_options;
  store_options.dir = self.data_dir;
  store_options.region_id = self.id;
  store_options.region_name = self.name;
  store_options.num_partitions = self.settings.partitions;
  store_options.sync = self.settings.sync;
  store_options.tombstone_grace = absl::Seconds(config.deployment.replication.tombstone_grace_s);
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Store> store,
                   storage::Store::Open(store_options, &hlc));

  Metrics metrics(self.name);
  ASSIGN_OR_RETURN(std::unique_ptr<RegionControl> control,
                   RegionControl::Create(store.get(), &metrics, self.name));
  api::ApiOptions api_options;
  api_options.control = control.get();
  api_options.region_name = self.name;
  api_options.region_id = self.id;
  api_options.max_pending_writes = self.settings.max_pending_writes;
  for (const RegionConfig& r : config.deployment.regions) {
    api_options.replica_regions.push_back(r.name);
  }
  api::Api api(store.get(), api_options, &metrics);
  AdminApi admin(store.get(), &metrics, self.name, self.id);
  std::vector<RegionRef> regions;
  for (const RegionConfig& r : config.deployment.regions) regions.push_back({r.name, r.id});
  if (regions.empty()) regions.push_back({self.name, self.id});

  // Replication runs when the region has NATS URLs; NATS being down is not an error (the
  // replicator connects in the background and catches up).
  std::unique_ptr<replication::Replicator> repl;
  std::function<std::vector<PeerSummary>()> peers_fn;
  if (!self.nats_urls.empty()) {
    ASSIGN_OR_RETURN(repl, replication::Replicator::Create(ReplicationOptionsFor(config),
                                                           store.get(), &hlc, nullptr, &metrics));
    // Called at once with the persisted cut state, then on every change.
    control->SetCutHook([&repl](bool cut) {
      if (repl) repl->SetPaused(cut);
    });
    control->SetWriteGuard([&repl, &hlc, name = self.name]() { return ClockGuard(repl.get(), hlc, name); });
    peers_fn = [&repl] {
      std::vector<PeerSummary> out;
      if (!repl) return out;
      for (const replication::PeerStatus& p : repl->Status().peers) {
        out.push_back({p.region, p.region_id, p.link_up, p.lag_seconds, p.pending_mutations,
                       p.applied_mutations, p.conflicts, p.needs_resync,
                       replication::PeerNote(p)});
      }
      return out;
    };
    admin.Register("GET", "/v1/replication", [&repl](const HttpRequest&) {
      if (!repl) return HttpResponse{503, "application/json", "{\"error\":\"stopping\"}"};
      return HttpResponse{200, "application/json", repl->StatusJson()};
    });
  } else {
    admin.Register("GET", "/v1/replication", [](const HttpRequest&) {
      return HttpResponse{200, "application/json",
                          "{\"enabled\":false,\"reason\":\"no NATS URLs configured\"}"};
    });
  }
  InstallCollectHooks(&metrics, store.get(), &hlc, config,
                      [&repl]() -> std::optional<replication::ReplicationStatus> {
                        if (!repl) return std::nullopt;
                        return repl->Status();
                      });
  TombstoneCollectorOptions tombstone_options;
  for (const RegionConfig& r : config.deployment.regions) {
    if (r.id != self.id) tombstone_options.peers.push_back(r.id);
  }
  tombstone_options.trim_change_log = tombstone_options.peers.empty() && self.nats_urls.empty();
  tombstone_options.purge_interval =
      absl::Seconds(config.deployment.replication.tombstone_purge_interval_s);
  TombstoneCollector tombstones(store.get(), &hlc, tombstone_options, &metrics);
  ControlEndpoints control_endpoints(store.get(), control.get(), &metrics, {self.name, self.id},
                                     regions, peers_fn);
  control_endpoints.SetTombstoneHorizon([&tombstones] { return tombstones.HorizonAgeSeconds(); });
  auto control_handler = [&control_endpoints](const HttpRequest& r) {
    std::optional<ControlResponse> c = control_endpoints.Handle(r.method, r.target, r.body);
    if (!c.has_value())
      return HttpResponse{404, "application/json", "{\"error\":\"no such route\"}"};
    return HttpResponse{c->status, "application/json", std::move(c->body)};
  };
  for (const char* method : {"GET", "POST"}) {
    for (const char* path : {"/v1/status", "/v1/mode", "/v1/replication/cut",
                             "/v1/replication/skip", "/v1/drills"}) {
      admin.Register(method, path, control_handler);
    }
  }
  admin.Register("POST", "/v1/tables/", control_handler);

  HttpServerOptions api_http;
  api_http.name = "api";
  api_http.listen = self.api;
  api_http.io_threads = self.settings.io_threads;
  api_http.workers = self.settings.workers;
  api_http.max_inflight = self.settings.max_inflight;
  api_http.max_connections = api_max_connections;
  SetTimeouts(self.settings, &api_http);
  api_http.shed = [&api] { return api.Shed(); };
  // Malformed framing in DynamoDB's error shape: SDKs report it as a non-retryable client error.
  api_http.bad_request = [](int status, const std::string& message) {
    api::ApiError e("SerializationException", "Malformed HTTP request: " + message, status);
    return HttpResponse{status, "application/x-amz-json-1.0", e.ToJson()};
  };
  api_http.too_large = [limit = api_http.max_body_bytes] { return api::Api::TooLarge(limit); };
  api_http.run_inline = [sync = store_options.sync](const HttpRequest& r) {
    return api::Api::RunsInline(r, sync);
  };
  ASSIGN_OR_RETURN(
      std::unique_ptr<HttpServer> api_server,
      HttpServer::Create(api_http, [&api](const HttpRequest& r) { return api.Handle(r); }));

  HttpServerOptions admin_http;
  admin_http.name = "admin";
  admin_http.listen = self.admin;
  admin_http.workers = 2;
  admin_http.max_inflight = 64;
  admin_http.max_connections = kAdminMaxConnections;
  SetTimeouts(self.settings, &admin_http);
  ASSIGN_OR_RETURN(
      std::unique_ptr<HttpServer> admin_server,
      HttpServer::Create(admin_http, [&admin](const HttpRequest& r) { return admin.Handle(r); }));

  InstallHttpServerHooks(&metrics, {{"api", api_server.get()}, {"admin", admin_server.get()}});

  tombstones.Start();
  TtlExpirerOptions ttl_options;
  ttl_options.interval = absl::Seconds(self.settings.ttl_interval_s);
  TtlExpirer ttl(store.get(), control.get(), ttl_options, &metrics);
  ttl.Start();

  api_server->Start();
  admin_server->Start();
  GT_LOG(INFO) << "globaltabled region " << self.name << " (id " << self.id
               << "): DynamoDB API on http://" << self.api << ", admin on http://" << self.admin
               << ", data in " << self.data_dir << "; at most " << api_max_connections
               << " API connections (descriptor limit " << descriptor_limit << ")";

  int signal = 0;
  sigwait(&signals, &signal);
  GT_LOG(INFO) << "signal " << signal << ": draining requests in flight";
  api_server->Shutdown(kDrainTimeout);
  admin_server->Shutdown(absl::Seconds(1));
  control->SetCutHook(nullptr);
  ttl.Stop();
  tombstones.Stop();
  repl.reset();  // stops publishing before the store (its commit listener) goes away
  store.reset();
  GT_LOG(INFO) << "store closed; exiting";
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  absl::StatusOr<CommandLine> cl =
      ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!cl.ok()) {
    std::fprintf(stderr, "globaltabled: %s\n%s", std::string(cl.status().message()).c_str(),
                 Usage().c_str());
    return 2;
  }
  if (cl->version) {
    std::printf("globaltabled 0.1.0\n");
    return 0;
  }
  if (cl->help) {
    std::printf("%s", Usage().c_str());
    return 0;
  }
  if (cl->check_config) {
    absl::StatusOr<DeploymentConfig> d = LoadDeploymentFile(*cl->check_config);
    if (!d.ok()) {
      std::fprintf(stderr, "%s\n", std::string(d.status().message()).c_str());
      return 1;
    }
    std::vector<std::string> names;
    for (const RegionConfig& r : d->regions) names.push_back(r.name);
    std::printf("%s: ok (%zu region%s: %s)\n", cl->check_config->c_str(), d->regions.size(),
                d->regions.size() == 1 ? "" : "s", absl::StrJoin(names, ", ").c_str());
    return 0;
  }
  absl::StatusOr<Config> config = ResolveConfig(*cl);
  if (!config.ok()) {
    std::fprintf(stderr, "globaltabled: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }

  // Abseil's deadlock detector keeps a global graph of every Mutex: useful in tests, a
  // measurable cost on the request path of the daemon.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by every thread started later
  std::signal(SIGPIPE, SIG_IGN);

  absl::Status status = Run(*config, signals);
  if (!status.ok()) {
    GT_LOG(ERROR) << "globaltabled: " << status;
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace globaltable::daemon

int main(int argc, char** argv) { return globaltable::daemon::Main(argc, argv); }
