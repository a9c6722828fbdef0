// HttpServer: an HTTP/1.1 keep-alive server (Boost.Beast on Asio) with a bounded worker pool
// and an in-flight limit. Serves both the DynamoDB API and the admin API.
//
// Threads: `io_threads` run the sockets (accept, read, write); `workers` run the handler, which
// may block (store I/O), except for requests that `run_inline` selects, which the I/O thread
// handles itself. A request is admitted when its header has been read; if `max_inflight`
// requests are already admitted and not yet answered, it is shed: its body is read but never
// parsed, and `shed` builds the answer (DynamoDB's ThrottlingException for the API) at once, on
// the I/O thread. So the work queued inside the process is bounded by max_inflight, whatever the
// number of clients.
//
// Hostile connections are bounded too: at most `max_connections` are open at once (one more is
// accepted, answered 503 and closed at once, so descriptors never run out; logged at most once
// per 10 s); a request's header
// must arrive within `header_timeout` and its body within `body_timeout`, a keep-alive
// connection may wait `idle_timeout` for its next request, and a client has `body_timeout` to
// take an answer, else the connection is closed. Malformed framing (a bad request line, field
// or Content-Length, chunked with a Content-Length, a bad chunk) is answered 400, a header over
// 64 KiB or with more than 100 fields 431, through `bad_request`, and the connection closed.
// When accept fails (EMFILE: out of descriptors) the acceptor backs off (10 ms doubling to 1 s)
// and logs at most one line per 10 s with the number of failures not logged.
//
//   HttpServerOptions opts;
//   opts.listen = "127.0.0.1:8000";
//   ASSIGN_OR_RETURN(auto server, HttpServer::Create(opts, [&](const HttpRequest& r) {
//     return HttpResponse{200, "application/json", "{}"};
//   }));
//   server->Start();
//   ...
//   server->Shutdown(absl::Seconds(10));   // stop accepting, drain, close
//
// Thread-safety: Start and Shutdown are called by the owner, once each, in that order (Shutdown
// also works without Start). The handler runs concurrently on worker threads. The accessors
// (port, inflight, shed_count, stats, max_connections) may be called from any thread.
#ifndef GLOBALTABLE_DAEMON_HTTP_SERVER_H_
#define GLOBALTABLE_DAEMON_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace globaltable::daemon {

struct HttpRequest {
  std::string method;      // "POST", "GET", ...
  std::string target;      // "/", "/healthz", ...
  std::string amz_target;  // X-Amz-Target header, empty if absent
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/x-amz-json-1.0";
  std::string body;
};

// Counts since the server was created (open_connections: now). Read at scrape time.
struct HttpServerStats {
  int64_t open_connections = 0;
  uint64_t accepted = 0;            // connections accepted and served
  uint64_t refused_limit = 0;       // accepted over max_connections, answered 503 and closed
  uint64_t accept_errors = 0;       // accept failed (EMFILE, ENFILE, ...): left in the backlog
  uint64_t timed_out_idle = 0;      // no next request within idle_timeout
  uint64_t timed_out_header = 0;    // header not complete within header_timeout
  uint64_t timed_out_body = 0;      // body not complete within body_timeout
  uint64_t timed_out_response = 0;  // answer not taken by the client within body_timeout
  uint64_t bad_requests = 0;        // malformed framing answered 400
  uint64_t header_too_large = 0;    // header over the limits answered 431
};

struct HttpServerOptions {
  std::string name = "http";              // for logs
  std::string listen = "127.0.0.1:8000";  // port 0 picks a free port (see port())
  int io_threads = 1;
  int workers = 16;
  int max_inflight = 1024;
  size_t max_body_bytes = 16 << 20;
  // Connections open at once; beyond it a new connection is answered 503 and closed.
  int max_connections = 1024;
  absl::Duration header_timeout = absl::Seconds(10);  // from accept, or from a request's 1st byte
  absl::Duration body_timeout = absl::Seconds(60);    // whole body; also to write the answer
  absl::Duration idle_timeout = absl::Seconds(60);    // keep-alive wait for the next request
  // Builds the answer to a shed request (called on an I/O thread; must not block).
  std::function<HttpResponse()> shed = [] {
    return HttpResponse{503, "text/plain", "overloaded\n"};
  };
  // Builds the answer to a request whose body is over max_body_bytes (called on an I/O thread;
  // must not block). The body is never read into memory: after the answer the connection is
  // half-closed and what the client still sends is read and discarded (at most 64 MiB, for at
  // most 5 s) before it is closed, so the client reads the answer instead of a reset.
  std::function<HttpResponse()> too_large = [] {
    return HttpResponse{413, "text/plain", "request body too large\n"};
  };
  // Builds the answer to malformed framing: `status` is 400 or 431, `message` says what was
  // wrong ("invalid Content-Length"). Called on an I/O thread; must not block.
  std::function<HttpResponse(int status, const std::string& message)> bad_request =
      [](int status, const std::string& message) {
        return HttpResponse{status, "text/plain", message + "\n"};
      };
  // Requests for which this returns true are handled on the I/O thread that read them instead
  // of a worker: for short requests that do not wait on locks or commits (a point read from
  // RocksDB), the two thread hand-offs cost more than the work. Called on an I/O thread.
  std::function<bool(const HttpRequest&)> run_inline;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Binds and listens (so the port is taken when this returns); serves after Start().
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(HttpServerOptions options,
                                                            Handler handler);
  virtual ~HttpServer() = default;

  virtual uint16_t port() const = 0;
  virtual void Start() = 0;
  // Stops accepting, answers requests already admitted (waiting up to `drain`), sheds new ones
  // with Connection: close, then closes every connection and joins all threads.
  virtual void Shutdown(absl::Duration drain) = 0;

  // Requests admitted and not yet answered; requests shed so far.
  virtual int inflight() const = 0;
  virtual uint64_t shed_count() const = 0;
  virtual HttpServerStats stats() const = 0;
  virtual int max_connections() const = 0;
};

}  // namespace globaltable::daemon

#endif  // GLOBALTABLE_DAEMON_HTTP_SERVER_H_
