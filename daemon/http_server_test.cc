// Tests of HttpServer: keep-alive, load shedding at the in-flight limit, draining on shutdown.
// Handlers block on notifications instead of sleeping, so the interleavings are explicit.
#include "daemon/http_server.h"

#include <atomic>
#include <set>
#include <thread>

#include "absl/synchronization/notification.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gtest/gtest.h"

namespace globaltable::daemon {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// A blocking HTTP/1.1 client on one keep-alive connection.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  void Send(const std::string& body, const std::string& target = "/", bool chunked = false) {
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set("X-Amz-Target", "DynamoDB_20120810.Test");
    req.body() = body;
    req.keep_alive(true);
    if (chunked) {
      req.chunked(true);
    } else {
      req.prepare_payload();
    }
    http::write(socket_, req);
  }
  // True once the server has closed the connection (reads end of stream).
  bool Closed() {
    char byte;
    beast::error_code ec;
    socket_.read_some(net::buffer(&byte, 1), ec);
    return ec == net::error::eof;
  }
  http::response<http::string_body> Receive() {
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res);
    return res;
  }
  http::response<http::string_body> Call(const std::string& body) {
    Send(body);
    return Receive();
  }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

HttpServerOptions Options(int max_inflight) {
  HttpServerOptions o;
  o.listen = "127.0.0.1:0";
  o.workers = 4;
  o.max_inflight = max_inflight;
  o.shed = [] { return HttpResponse{400, "application/json", "shed"}; };
  return o;
}

TEST(HttpServerTest, ServesManyRequestsOnOneConnection) {
  auto server = HttpServer::Create(Options(8), [](const HttpRequest& r) {
    return HttpResponse{200, "application/json", r.amz_target + ":" + r.body};
  });
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Start();
  Client client((*server)->port());
  for (int i = 0; i < 3; ++i) {
    auto res = client.Call("b" + std::to_string(i));
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "DynamoDB_20120810.Test:b" + std::to_string(i));
    EXPECT_TRUE(res.keep_alive());
  }
  (*server)->Shutdown(absl::Seconds(5));
}

TEST(HttpServerTest, AnswersCarryTheirHeaderFields) {
  auto server = HttpServer::Create(Options(8), [](const HttpRequest& r) {
    if (r.body == "missing") return HttpResponse{404, "text/plain", "no such route\n"};
    return HttpResponse{200, "application/x-amz-json-1.0", "{}"};
  });
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Start();
  Client client((*server)->port());
  std::set<std::string> ids;
  for (const char* body : {"x", "missing", "y"}) {
    auto res = client.Call(body);
    const bool missing = std::string(body) == "missing";
    EXPECT_EQ(res.result_int(), missing ? 404 : 200);
    EXPECT_EQ(res.reason(), missing ? "Not Found" : "OK");
    EXPECT_EQ(res.version(), 11);
    EXPECT_EQ(res[http::field::server], "globaltabled");
    EXPECT_EQ(res[http::field::content_type],
              missing ? "text/plain" : "application/x-amz-json-1.0");
    EXPECT_EQ(res[http::field::content_length], std::to_string(res.body().size()));
    EXPECT_EQ(res.body(), missing ? "no such route\n" : "{}");
    EXPECT_TRUE(res.keep_alive());
    const std::string id(res["x-amzn-RequestId"]);
    EXPECT_EQ(id.rfind("gt-", 0), 0u) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 3u);  // one id per request
  (*server)->Shutdown(absl::Seconds(5));
}

TEST(HttpServerTest, ShedsOverTheInflightLimitWithoutCallingTheHandler) {
  absl::Notification entered, release;
  std::atomic<int> calls{0};
  auto server = HttpServer::Create(Options(1), [&](const HttpRequest& r) {
    if (calls.fetch_add(1) == 0) {
      entered.Notify();
      release.WaitForNotification();
    }
    return HttpResponse{200, "application/json", "ok"};
  });
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Start();
  Client first((*server)->port());
  first.Send("slow");
  entered.WaitForNotification();
  EXPECT_EQ((*server)->inflight(), 1);

  Client second((*server)->port());
  auto shed = second.Call("{\"big\":1}");
  EXPECT_EQ(shed.result_int(), 400);
  EXPECT_EQ(shed.body(), "shed");
  EXPECT_TRUE(shed.keep_alive());  // a shed request leaves the connection usable
  EXPECT_EQ((*server)->shed_count(), 1u);
  EXPECT_EQ(calls.load(), 1);

  release.Notify();
  EXPECT_EQ(first.Receive().body(), "ok");
  EXPECT_EQ(second.Call("again").body(), "ok");  // admitted once the first is answered
  EXPECT_EQ(calls.load(), 2);
  (*server)->Shutdown(absl::Seconds(5));
}

TEST(HttpServerTest, ShutdownDrainsRequestsInFlight) {
  absl::Notification entered, release;
  auto server = HttpServer::Create(Options(8), [&](const HttpRequest& r) {
    entered.Notify();
    release.WaitForNotification();
    return HttpResponse{200, "application/json", "drained"};
  });
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Start();
  Client client((*server)->port());
  client.Send("x");
  entered.WaitForNotification();
  std::thread stopper([&] { (*server)->Shutdown(absl::Seconds(30)); });
  // The request admitted before the shutdown is still answered.
  release.Notify();
  auto res = client.Receive();
  EXPECT_EQ(res.body(), "drained");
  stopper.join();
  EXPECT_EQ((*server)->inflight(), 0);
}

TEST(HttpServerTest, InlineRequestsDoNotNeedAWorker) {
  absl::Notification entered, release;
  HttpServerOptions o = Options(8);
  o.workers = 1;
  o.run_inline = [](const HttpRequest& r) { return r.body == "inline"; };
  auto server = HttpServer::Create(o, [&](const HttpRequest& r) {
    if (r.body == "block") {
      entered.Notify();
      release.WaitForNotification();
    }
    return HttpResponse{200, "application/json", r.body};
  });
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Start();
  Client blocked((*server)->port());
  blocked.Send("block");
  entered.WaitForNotification();  // the only worker is now busy
  Client other((*server)->port());
  EXPECT_EQ(other.Call("inline").body(), "inline");
  release.Notify();
  EXPECT_EQ(blocked.Receive().body(), "block");
  (*server)->Shutdown(absl::Seconds(5));
}

TEST(HttpServerTest, TooLargeBodiesAreAnsweredUnreadAndTheConnectionClosed) {
  std::atomic<int> calls{0};
  HttpServerOptions o = Options(8);
  o.max_body_bytes = 1024;
  o.too_large = [] { return HttpResponse{413, "application/json", "too large"}; };
  auto server = HttpServer::Create(o, [&](const HttpRequest& r) {
    calls.fetch_add(1);
    return HttpResponse{200, "application/json", "ok"};
  });
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Start();
  // Larger than the socket buffers, so the client can finish sending only if the server
  // discards what it refused; refused by Content-Length, and while reading a chunked body.
  const std::string big(4 << 20, 'x');
  for (bool chunked : {false, true}) {
    Client client((*server)->port());
    client.Send(big, "/", chunked);
    auto res = client.Receive();
    EXPECT_EQ(res.result_int(), 413) << chunked;
    EXPECT_EQ(res.body(), "too large") << chunked;
    EXPECT_FALSE(res.keep_alive()) << chunked;
    EXPECT_TRUE(client.Closed()) << chunked;
  }
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ((*server)->inflight(), 0);
  // A body at the limit is served.
  Client client((*server)->port());
  EXPECT_EQ(client.Call(std::string(1024, 'y')).body(), "ok");
  EXPECT_EQ(calls.load(), 1);
  (*server)->Shutdown(absl::Seconds(5));
}

TEST(HttpServerTest, ListenFailureIsReported) {
  auto first = HttpServer::Create(Options(1), [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(first.ok());
  HttpServerOptions o = Options(1);
  o.listen = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = HttpServer::Create(o, [](const HttpRequest&) { return HttpResponse{}; });
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(HttpServer::Create(Options(0), nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace globaltable::daemon
