// AdminApi: the admin HTTP endpoints of globaltabled, served by a second HttpServer.
//
//   GET /healthz                    -> {"status":"ok","region":"us-east-1","region_id":1}
//   GET /v1/tables/{table}/digest   -> {"table":"t","items":N,"digest":"<hex>"}
//   GET /metrics                    -> Prometheus text exposition
//
// Other modules add their endpoints with Register (e.g. replication's GET /v1/replication).
//
//   AdminApi admin(store.get(), &metrics, "us-east-1", 1);
//   admin.Register("GET", "/v1/replication", [&](const HttpRequest& r) { ... });
//   HttpServer::Create(opts, [&](const HttpRequest& r) { return admin.Handle(r); });
//
// Thread-safety: Register before the server starts; Handle is then safe concurrently.
#ifndef GLOBALTABLE_DAEMON_ADMIN_H_
#define GLOBALTABLE_DAEMON_ADMIN_H_

#include <string>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "daemon/http_server.h"
#include "storage/store.h"

namespace globaltable::daemon {

class AdminApi {
 public:
  // `metrics` may be nullptr (no /metrics).
  AdminApi(storage::Store* store, Metrics* metrics, std::string region, clock::RegionId id);

  // Routes `method` requests whose path starts with `path_prefix` to `handler`. Registered
  // routes are tried in order, before the built-in ones.
  void Register(std::string method, std::string path_prefix, HttpServer::Handler handler);

  HttpResponse Handle(const HttpRequest& request);

 private:
  struct Route {
    std::string method;
    std::string prefix;
    HttpServer::Handler handler;
  };
  HttpResponse Digest(const std::string& table);

  storage::Store* const store_;
  Metrics* const metrics_;
  const std::string region_;
  const clock::RegionId region_id_;
  std::vector<Route> routes_;
};

}  // namespace globaltable::daemon

#endif  // GLOBALTABLE_DAEMON_ADMIN_H_
