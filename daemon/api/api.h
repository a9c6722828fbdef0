// Api: the DynamoDB JSON protocol on top of the Store.
//
// Handle() takes one HTTP request (POST /, X-Amz-Target: DynamoDB_20120810.<Operation>, body
// in application/x-amz-json-1.0), dispatches on the operation name through a table, and returns
// the response: the operation's JSON with HTTP 200, or an error in DynamoDB's shape (see
// api_error.h). SigV4 Authorization headers are accepted and not checked.
//
//   Api api(store.get(), options, &metrics);
//   HttpServerOptions http;
//   http.shed = [&api] { return api.Shed(); };
//   http.too_large = [&http] { return Api::TooLarge(http.max_body_bytes); };
//   auto server = HttpServer::Create(http, [&](const HttpRequest& r) { return api.Handle(r); });
//
// Thread-safety: Handle is safe to call concurrently. The store and metrics must outlive the Api.
#ifndef GLOBALTABLE_DAEMON_API_API_H_
#define GLOBALTABLE_DAEMON_API_API_H_

#include <string>
#include <vector>

#include "clock/version.h"
#include "common/metrics.h"
#include "daemon/control/region_control.h"
#include "daemon/http_server.h"
#include "storage/store.h"

namespace globaltable::daemon::api {

struct ApiOptions {
  std::string region_name = "local";
  clock::RegionId region_id = 1;
  std::vector<std::string> replica_regions;  // every region of the deployment
  RegionControl* control = nullptr;          // write modes; nullptr admits every write
  // BatchWriteItem leaves members unprocessed while this many of the API's store writes are
  // in progress (see WriteLoad in operations.h); 0: no bound.
  int max_pending_writes = 0;
};

class Api {
 public:
  // `metrics` may be nullptr.
  Api(storage::Store* store, ApiOptions options, Metrics* metrics);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  HttpResponse Handle(const HttpRequest& request);

  // Whether `request` is a short read (GetItem, DescribeTable, ListTables) that the HTTP server
  // may run on its I/O thread (HttpServerOptions::run_inline).
  static bool IsShortRead(const HttpRequest& request);

  // Whether `request` should run on the I/O thread (HttpServerOptions::run_inline): short reads,
  // Query, and, when the store does not fsync (`store_syncs` false), the single-item writes
  // (PutItem, UpdateItem, DeleteItem). Such a write waits only for its group's WAL write to the
  // operating system, a few microseconds, while handing it to a worker and its answer back costs
  // two thread wake-ups, which on a busy machine cost more than the request itself. With fsync a
  // write waits for the disk and stays on a worker, so I/O threads keep serving.
  static bool RunsInline(const HttpRequest& request, bool store_syncs);

  // DynamoDB's answer to a request shed by the in-flight limit (ThrottlingException); counts it.
  // Cheap and non-blocking: it runs on an I/O thread.
  HttpResponse Shed();

  // DynamoDB's answer to a request whose body is over `max_body_bytes` (for
  // HttpServerOptions::too_large): HTTP 413 RequestEntityTooLargeException in the API's JSON
  // error shape, so SDKs raise a service error rather than a transport error. Non-blocking.
  static HttpResponse TooLarge(size_t max_body_bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace globaltable::daemon::api

#endif  // GLOBALTABLE_DAEMON_API_API_H_
