// HttpServer on Boost.Beast: sessions on strands of one io_context, handlers on a thread pool.
// Thread-safety: see http_server.h. Each session's socket is touched only on its strand; the
// handler's result is posted back to that strand. The acceptor, its backoff timer and its log
// throttle are touched only on the acceptor's strand.
#include "daemon/http_server.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/asio/thread_pool.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "daemon/config.h"
#include "daemon/http_framing.h"
#include "daemon/log_throttle.h"

namespace globaltable::daemon {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class ServerImpl;

// After answering a request whose body is too large, what the client still sends is read and
// discarded up to these bounds, so that it can finish sending and read the answer (closing
// with unread data would send a reset, which clients report instead of the answer).
constexpr size_t kMaxDrainBytes = 64 << 20;
constexpr std::chrono::seconds kDrainTimeout(5);
constexpr size_t kReadBufferBytes = 8 << 10;
// When accept fails (out of descriptors), the acceptor waits before trying again, doubling the
// wait from the first to the last bound, instead of spinning on the connection left in the
// backlog; one log line per interval.
constexpr std::chrono::milliseconds kAcceptBackoffFirst(10);
constexpr std::chrono::milliseconds kAcceptBackoffMax(1000);
constexpr absl::Duration kAcceptLogInterval = absl::Seconds(10);

// The tail of a throttled log line: how many like it were not logged, and how often one is.
std::string SuppressedNote(uint64_t suppressed) {
  return absl::StrCat(
      suppressed == 0 ? "" : absl::StrCat("; ", suppressed, " more since the last line"),
      "; logged at most once per ", absl::FormatDuration(kAcceptLogInterval));
}

// Accept failures that mean the process or the system is out of descriptors or memory: the
// connection stays in the backlog, so retrying at once fails again at once.
bool IsResourceExhaustion(beast::error_code ec) {
  if (ec.category() != boost::system::system_category()) return false;
  const int e = ec.value();
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  // Counted in the server's open connections from here to the destructor.
  Session(tcp::socket socket, ServerImpl* server);
  ~Session();
  void Start() { ReadHeader(); }

 private:
  void WaitForRequest();
  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void OnBody(beast::error_code ec);
  void Respond(HttpResponse response);
  void OnWritten(beast::error_code ec, bool close);
  void RespondTooLarge();
  void RespondMalformed(int status, const std::string& message);
  void Drain();
  void Close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::string response_head_;  // status line and header fields of the answer being written
  std::string response_body_;
  ServerImpl* const server_;
  bool admitted_ = false;
  bool keep_alive_ = true;
  bool drain_after_response_ = false;  // the body was refused unread
  size_t drained_ = 0;
  std::vector<char> drain_buffer_;
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(HttpServerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        work_(net::make_work_guard(ioc_)),
        acceptor_(net::make_strand(ioc_)),
        pool_(static_cast<size_t>(options_.workers)) {}

  ~ServerImpl() override { Shutdown(absl::ZeroDuration()); }

  absl::Status Listen() {
    std::string host;
    uint16_t port = 0;
    RETURN_IF_ERROR(SplitHostPort(options_.listen, &host, &port));
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(options_.name, ": cannot resolve ", options_.listen, ": ", ec.message()));
    }
    tcp::endpoint endpoint = results.begin()->endpoint();
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat(options_.name, ": cannot listen on ", options_.listen, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    return absl::OkStatus();
  }

  uint16_t port() const override { return port_; }

  void Start() override {
    started_ = true;
    Accept();
    for (int i = 0; i < options_.io_threads; ++i) {
      io_threads_.emplace_back([this] {
        SetThreadName("gt-http-io");
        ioc_.run();
      });
    }
  }

  void Shutdown(absl::Duration drain) override {
    if (shut_down_.exchange(true)) return;
    draining_.store(true);
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      accept_timer_.cancel();
    });
    {
      absl::MutexLock lock(&mu_);
      auto idle = [](std::atomic<int>* n) { return n->load() == 0; };
      if (!mu_.AwaitWithTimeout(absl::Condition(+idle, &inflight_), drain)) {
        GT_LOG(WARNING) << options_.name << ": " << inflight_.load()
                        << " requests still in flight after the drain period";
      }
    }
    pool_.stop();
    pool_.join();
    work_.reset();
    ioc_.stop();
    for (std::thread& t : io_threads_) t.join();
    io_threads_.clear();
  }

  int inflight() const override { return inflight_.load(); }
  uint64_t shed_count() const override { return shed_.load(); }
  int max_connections() const override { return options_.max_connections; }
  HttpServerStats stats() const override {
    HttpServerStats s;
    s.open_connections = open_.load(std::memory_order_relaxed);
    s.accepted = accepted_.load(std::memory_order_relaxed);
    s.refused_limit = refused_limit_.load(std::memory_order_relaxed);
    s.accept_errors = accept_errors_.load(std::memory_order_relaxed);
    s.timed_out_idle = timed_out_[kIdle].load(std::memory_order_relaxed);
    s.timed_out_header = timed_out_[kHeader].load(std::memory_order_relaxed);
    s.timed_out_body = timed_out_[kBody].load(std::memory_order_relaxed);
    s.timed_out_response = timed_out_[kResponse].load(std::memory_order_relaxed);
    s.bad_requests = bad_requests_.load(std::memory_order_relaxed);
    s.header_too_large = header_too_large_.load(std::memory_order_relaxed);
    return s;
  }

  // Where a connection was when its deadline passed.
  enum Phase { kIdle = 0, kHeader, kBody, kResponse, kNumPhases };
  void CountTimeout(Phase phase) { timed_out_[phase].fetch_add(1, std::memory_order_relaxed); }
  void CountMalformed(int status) {
    (status == 431 ? header_too_large_ : bad_requests_).fetch_add(1, std::memory_order_relaxed);
  }
  void OpenConnection() { open_.fetch_add(1, std::memory_order_relaxed); }
  void CloseConnection() { open_.fetch_sub(1, std::memory_order_relaxed); }

  // Called once a request's header is in. False: shed it.
  bool Admit() {
    if (draining_.load(std::memory_order_relaxed)) {
      shed_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (inflight_.fetch_add(1, std::memory_order_acq_rel) >= options_.max_inflight) {
      inflight_.fetch_sub(1, std::memory_order_acq_rel);
      shed_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }

  void Release() {
    if (inflight_.fetch_sub(1, std::memory_order_acq_rel) == 1 && draining_.load()) {
      absl::MutexLock lock(&mu_);  // wakes Shutdown's Await
    }
  }

  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  const HttpServerOptions& options() const { return options_; }
  net::thread_pool& pool() { return pool_; }

  HttpResponse Handle(const HttpRequest& request) {
    try {
      return handler_(request);
    } catch (const std::exception& e) {
      GT_LOG(ERROR) << options_.name << ": handler threw: " << e.what();
      return HttpResponse{500, "text/plain", "internal error\n"};
    }
  }

  uint64_t NextRequestId() { return request_ids_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
      if (ec) {
        if (!acceptor_.is_open() || draining()) return;
        accept_errors_.fetch_add(1, std::memory_order_relaxed);
        uint64_t suppressed = 0;
        const bool exhausted = IsResourceExhaustion(ec);
        if (accept_log_.Allow(absl::Now(), &suppressed)) {
          GT_LOG(WARNING) << options_.name << ": accept: " << ec.message() << " (" << open_.load()
                          << " connections open" << (exhausted ? "; backing off" : "")
                          << SuppressedNote(suppressed) << ")";
        }
        if (exhausted) return AcceptLater();
      } else {
        accept_backoff_ = std::chrono::milliseconds(0);
        if (open_.load(std::memory_order_relaxed) >= options_.max_connections) {
          Refuse(std::move(s));
        } else {
          accepted_.fetch_add(1, std::memory_order_relaxed);
          beast::error_code ignored;
          s.set_option(tcp::no_delay(true), ignored);
          std::make_shared<Session>(std::move(s), this)->Start();
        }
      }
      Accept();
    });
  }

  // Out of descriptors: the pending connection stays in the backlog until some close.
  void AcceptLater() {
    accept_backoff_ = accept_backoff_.count() == 0
                          ? kAcceptBackoffFirst
                          : std::min(accept_backoff_ * 2, kAcceptBackoffMax);
    accept_timer_.expires_after(accept_backoff_);
    accept_timer_.async_wait([this](beast::error_code ec) {
      if (ec || !acceptor_.is_open() || draining()) return;
      Accept();
    });
  }

  // Over max_connections: a short answer written without waiting (it fits an empty socket
  // buffer), then closed, so the client sees why rather than a reset or a hang.
  void Refuse(tcp::socket s) {
    refused_limit_.fetch_add(1, std::memory_order_relaxed);
    uint64_t suppressed = 0;
    if (refuse_log_.Allow(absl::Now(), &suppressed)) {
      GT_LOG(WARNING) << options_.name << ": connection refused: " << options_.max_connections
                      << " open, the limit (answered 503" << SuppressedNote(suppressed) << ")";
    }
    static constexpr char kAnswer[] =
        "HTTP/1.1 503 Service Unavailable\r\nServer: globaltabled\r\n"
        "Content-Type: text/plain\r\nConnection: close\r\nContent-Length: 21\r\n\r\n"
        "too many connections\n";
    beast::error_code ignored;
    s.non_blocking(true, ignored);
    s.write_some(net::buffer(kAnswer, sizeof(kAnswer) - 1), ignored);
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
  }

  const HttpServerOptions options_;
  const Handler handler_;
  // Declared before ioc_: sessions still queued in it when it is destroyed count themselves out.
  std::atomic<int64_t> open_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_limit_{0};
  std::atomic<uint64_t> accept_errors_{0};
  std::array<std::atomic<uint64_t>, kNumPhases> timed_out_{};
  std::atomic<uint64_t> bad_requests_{0};
  std::atomic<uint64_t> header_too_large_{0};
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_timer_{acceptor_.get_executor()};  // on the acceptor's strand
  std::chrono::milliseconds accept_backoff_{0};               // on the acceptor's strand
  LogThrottle accept_log_{kAcceptLogInterval};                // on the acceptor's strand
  LogThrottle refuse_log_{kAcceptLogInterval};                // on the acceptor's strand
  net::thread_pool pool_;
  std::vector<std::thread> io_threads_;
  uint16_t port_ = 0;
  bool started_ = false;
  std::atomic<bool> shut_down_{false};
  std::atomic<bool> draining_{false};
  std::atomic<int> inflight_{0};
  std::atomic<uint64_t> shed_{0};
  std::atomic<uint64_t> request_ids_{1};
  absl::Mutex mu_;  // only for waking Shutdown; guards no data
};

Session::Session(tcp::socket socket, ServerImpl* server)
    : stream_(std::move(socket)), server_(server) {
  server_->OpenConnection();
  // Beast reads at most 512 bytes into an empty buffer, so a DynamoDB request (its SigV4
  // headers alone are about 500 bytes) took two reads; with room for a whole ordinary
  // request, one read takes it.
  buffer_.reserve(kReadBufferBytes);
}

Session::~Session() { server_->CloseConnection(); }

// Between requests on a keep-alive connection: up to idle_timeout for the next one to start.
void Session::WaitForRequest() {
  if (buffer_.size() > 0) return ReadHeader();  // pipelined: it has started
  stream_.expires_after(absl::ToChronoNanoseconds(server_->options().idle_timeout));
  stream_.async_read_some(buffer_.prepare(kReadBufferBytes),
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            if (ec) {
                              if (ec == beast::error::timeout) {
                                self->server_->CountTimeout(ServerImpl::kIdle);
                              }
                              return self->Close();
                            }
                            self->buffer_.commit(n);
                            self->ReadHeader();
                          });
}

void Session::ReadHeader() {
  parser_.emplace();
  ConfigureRequestParser(server_->options().max_body_bytes, &*parser_);
  stream_.expires_after(absl::ToChronoNanoseconds(server_->options().header_timeout));
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

void Session::OnHeader(beast::error_code ec) {
  // A Content-Length over the limit is refused here, before any of the body is read.
  if (ec == http::error::body_limit) return RespondTooLarge();
  if (ec == beast::error::timeout) server_->CountTimeout(ServerImpl::kHeader);
  if (ec) {
    FramingError e = ClassifyReadError(ec);
    if (e.status != 0) return RespondMalformed(e.status, e.message);
    return Close();
  }
  const auto& header = parser_->get();
  if (std::optional<FramingError> e = CheckHeaderFields(header)) {
    return RespondMalformed(e->status, e->message);
  }
  keep_alive_ = header.keep_alive();
  // Admission happens here, before the body is parsed, so an overloaded server spends nothing
  // on a request it is going to refuse.
  admitted_ = server_->Admit();
  stream_.expires_after(absl::ToChronoNanoseconds(server_->options().body_timeout));
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
}

void Session::OnBody(beast::error_code ec) {
  if (ec) {
    if (admitted_) server_->Release();
    admitted_ = false;
    if (ec == http::error::body_limit) return RespondTooLarge();  // chunked body
    if (ec == beast::error::timeout) server_->CountTimeout(ServerImpl::kBody);
    FramingError e = ClassifyReadError(ec);
    if (e.status != 0) return RespondMalformed(e.status, e.message);
    return Close();
  }
  if (!admitted_) {
    if (server_->draining()) keep_alive_ = false;
    return Respond(server_->options().shed());
  }
  HttpRequest request = ToHttpRequest(parser_->release());
  if (server_->options().run_inline && server_->options().run_inline(request)) {
    return Respond(server_->Handle(request));
  }
  net::post(server_->pool(), [self = shared_from_this(), request = std::move(request)] {
    HttpResponse response = self->server_->Handle(request);
    net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
      self->Respond(std::move(response));
    });
  });
}

void Session::Respond(HttpResponse r) {
  // The head is formatted here rather than by Beast's serializer, which cost as many
  // instructions as a whole GetItem; the fields are the same, in the same order.
  const bool close = !keep_alive_;
  const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
  response_body_ = std::move(r.body);
  response_head_.clear();
  absl::StrAppend(
      &response_head_, "HTTP/1.1 ", r.status, " ", absl::string_view(reason.data(), reason.size()),
      "\r\nServer: globaltabled\r\nContent-Type: ", r.content_type, "\r\nx-amzn-RequestId: gt-",
      server_->NextRequestId(), close ? "\r\nConnection: close" : "",
      "\r\nContent-Length: ", response_body_.size(), "\r\n\r\n");
  const std::array<net::const_buffer, 2> buffers = {net::buffer(response_head_),
                                                    net::buffer(response_body_)};
  // The client has as long to take the answer as it had to send its body.
  stream_.expires_after(absl::ToChronoNanoseconds(server_->options().body_timeout));
  net::async_write(stream_, buffers,
                   [self = shared_from_this(), close](beast::error_code ec, size_t) {
                     self->OnWritten(ec, close);
                   });
}

void Session::OnWritten(beast::error_code ec, bool close) {
  if (admitted_) server_->Release();
  admitted_ = false;
  if (ec == beast::error::timeout) server_->CountTimeout(ServerImpl::kResponse);
  if (!ec && drain_after_response_) return Drain();
  if (ec || close) return Close();
  WaitForRequest();
}

void Session::RespondTooLarge() {
  keep_alive_ = false;
  drain_after_response_ = true;
  Respond(server_->options().too_large());
}

// The parser cannot go on after a framing error: answer, then close the way RespondTooLarge
// does, discarding what the client still sends so that it reads the answer.
void Session::RespondMalformed(int status, const std::string& message) {
  server_->CountMalformed(status);
  keep_alive_ = false;
  drain_after_response_ = true;
  Respond(server_->options().bad_request(status, message));
}

void Session::Drain() {
  if (drain_buffer_.empty()) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kDrainTimeout);
    drain_buffer_.resize(64 << 10);
  }
  stream_.async_read_some(net::buffer(drain_buffer_),
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            self->drained_ += n;
                            // EOF: the client read the answer and closed.
                            if (ec || self->drained_ > kMaxDrainBytes) return self->Close();
                            self->Drain();
                          });
}

void Session::Close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(HttpServerOptions options,
                                                               Handler handler) {
  if (options.io_threads < 1 || options.workers < 1 || options.max_inflight < 1 ||
      options.max_connections < 1) {
    return absl::InvalidArgumentError(
        "io_threads, workers, max_inflight and max_connections must be >= 1");
  }
  for (absl::Duration d : {options.header_timeout, options.body_timeout, options.idle_timeout}) {
    if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(
          "header, body and idle timeouts must be positive and finite");
    }
  }
  auto server = std::make_unique<ServerImpl>(std::move(options), std::move(handler));
  RETURN_IF_ERROR(server->Listen());
  return server;
}

}  // namespace globaltable::daemon
