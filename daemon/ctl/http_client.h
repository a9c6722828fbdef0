// A small blocking HTTP/1.1 client for the admin API (globaltablectl, drills, tests).
//
//   ASSIGN_OR_RETURN(HttpResponse r, HttpCall("127.0.0.1:9464", "GET", "/v1/status", ""));
//   if (r.status != 200) ...
//
// One connection per call; every call has a deadline. Connection failures and timeouts are
// kUnavailable (the region is down or unreachable: retry or report), never exceptions.
// Thread-safety: each call is independent; safe from any thread.
#ifndef GLOBALTABLE_DAEMON_CTL_HTTP_CLIENT_H_
#define GLOBALTABLE_DAEMON_CTL_HTTP_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace globaltable::daemon::ctl {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// `host_port` is "HOST:PORT". `body` is sent as application/json when non-empty.
absl::StatusOr<HttpResponse> HttpCall(absl::string_view host_port, absl::string_view method,
                                      absl::string_view target, absl::string_view body,
                                      absl::Duration timeout = absl::Seconds(5));

}  // namespace globaltable::daemon::ctl

#endif  // GLOBALTABLE_DAEMON_CTL_HTTP_CLIENT_H_
