// api_bench: a load generator for the DynamoDB JSON API (globaltabled, dynalite, or anything
// that speaks the protocol).
//
// Each connection is one thread with one keep-alive TCP connection and one request in flight;
// with --client-threads T, T threads multiplex the connections with epoll instead (closed loop
// only), which costs the client fewer wake-ups per request.
// Requests are PutItem, GetItem or Query on fixed-size items; the request bytes are built once
// per key, so the client spends its CPU on the socket, not on formatting. Latency (p50/p99/max)
// is measured from the moment the request is sent to the end of its response. With --rate the
// load is open loop (a schedule per connection) and two more figures are printed: sched_p99_ms,
// measured from the scheduled send time (what a user would see, including the client's own
// lateness), and client_send_delay_p99_ms, how late the client itself was: on a machine whose
// cores are shared, that lateness is the load generator being starved, not the server.
//
//   api_bench --endpoint 127.0.0.1:8000 --setup --op put --connections 16 --duration 5
//   api_bench --endpoint 127.0.0.1:8000 --op get --connections 16 --rate 20000
//   api_bench --endpoint 127.0.0.1:8000 --op get --connections 16 --client-threads 2
//
// Output, one line per run:
//   op=PutItem conns=16 rate=max requests=... errors=... throughput=... p50_ms=... p99_ms=...
//   max_ms=... sched_p99_ms=... client_send_delay_p99_ms=...
//
// Thread-safety: each worker owns its sockets and its sample vector; results are merged after
// every worker has joined.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string op = "put";  // put | get | query
  int connections = 16;
  double duration_s = 5;
  double rate = 0;  // total requests/s; 0 = as fast as possible
  int item_bytes = 200;
  int keys = 10000;
  std::string table = "bench";
  bool setup = false;  // create the table and load every key first
  // 0: one thread per connection (blocking sockets). T > 0: T threads, each multiplexing its
  // share of the connections with epoll (closed loop only): fewer context switches per
  // request, so more of the machine is left to the server.
  int client_threads = 0;
};

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: api_bench --endpoint HOST:PORT [--op put|get|query] [--connections N]\n"
               "                 [--duration S] [--rate R] [--item-bytes B] [--keys K]\n"
               "                 [--table T] [--setup] [--client-threads T]\n");
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (a == "--endpoint") {
      std::string e = next();
      size_t colon = e.rfind(':');
      if (colon == std::string::npos) Usage();
      o.host = e.substr(0, colon);
      o.port = std::atoi(e.c_str() + colon + 1);
    } else if (a == "--op") {
      o.op = next();
    } else if (a == "--connections") {
      o.connections = std::atoi(next().c_str());
    } else if (a == "--duration") {
      o.duration_s = std::atof(next().c_str());
    } else if (a == "--rate") {
      o.rate = std::atof(next().c_str());
    } else if (a == "--item-bytes") {
      o.item_bytes = std::atoi(next().c_str());
    } else if (a == "--keys") {
      o.keys = std::atoi(next().c_str());
    } else if (a == "--table") {
      o.table = next();
    } else if (a == "--setup") {
      o.setup = true;
    } else if (a == "--client-threads") {
      o.client_threads = std::atoi(next().c_str());
    } else {
      Usage();
    }
  }
  if (o.op != "put" && o.op != "get" && o.op != "query") Usage();
  if (o.connections < 1 || o.keys < 1 || o.duration_s <= 0 || o.client_threads < 0) Usage();
  if (o.client_threads > 0 && o.rate > 0) {
    std::fprintf(stderr, "api_bench: --client-threads runs closed loop only (no --rate)\n");
    std::exit(2);
  }
  return o;
}

// One keep-alive HTTP/1.1 connection with a minimal response parser (Content-Length bodies).
class Connection {
 public:
  Connection(const std::string& host, int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (fd_ < 0 || inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
        connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      std::perror("connect");
      std::exit(1);
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Connection() { close(fd_); }

  int fd() const { return fd_; }

  // Sends `request` and reads one response; returns the HTTP status (0 on I/O error).
  int RoundTrip(const std::string& request, std::string* body) {
    if (!Send(request)) return 0;
    int status;
    while ((status = Parse(body)) < 0) {
      if (!Fill(0)) return 0;
    }
    return status;
  }

  bool Send(const std::string& request) {
    size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Takes one whole response off the front of what was received: its HTTP status, or -1
  // when it has not all arrived yet.
  int Parse(std::string* body) {
    size_t header_end = buffer_.find("\r\n\r\n");
    if (header_end == std::string::npos) return -1;
    int status = std::atoi(buffer_.c_str() + 9);  // "HTTP/1.1 200 OK"
    size_t length = 0;
    for (size_t p = 0; p < header_end;) {
      size_t eol = buffer_.find("\r\n", p);
      if (strncasecmp(buffer_.c_str() + p, "content-length:", 15) == 0) {
        length = std::strtoul(buffer_.c_str() + p + 15, nullptr, 10);
      }
      p = eol + 2;
    }
    size_t total = header_end + 4 + length;
    if (buffer_.size() < total) return -1;
    if (body != nullptr) body->assign(buffer_, header_end + 4, length);
    buffer_.erase(0, total);
    return status;
  }

  // Receives what has arrived (blocking unless flags say MSG_DONTWAIT); false on EOF or error.
  bool Fill(int flags) {
    char chunk[64 * 1024];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), flags);
    if (n < 0 && (flags & MSG_DONTWAIT) != 0 && errno == EAGAIN) return true;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

 private:
  int fd_;
  std::string buffer_;
};

std::string HttpRequest(const Options& o, const char* operation, const std::string& body) {
  std::string r;
  r.reserve(body.size() + 512);
  r += "POST / HTTP/1.1\r\nHost: ";
  r += o.host + ":" + std::to_string(o.port);
  r += "\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.";
  r += operation;
  // A syntactically valid SigV4 header: neither server under test checks the signature.
  r += "\r\nX-Amz-Date: 20260101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 "
       "Credential=AKIDBENCH/20260101/us-east-1/dynamodb/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
       "0000000000000000000000000000000000000000000000000000000000000000\r\nContent-Length: ";
  r += std::to_string(body.size());
  r += "\r\n\r\n";
  r += body;
  return r;
}

std::string Key(int k) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%08d", k);
  return buf;
}

// Requests for key k. Items have a partition key, a sort key and one payload attribute sized
// so the item is about item_bytes (DynamoDB item size).
std::string BuildRequest(const Options& o, int k) {
  std::string pk = Key(k % std::max(1, o.keys / 10));  // 10 items per partition for Query
  std::string sk = std::to_string(k);
  std::string key = "{\"pk\":{\"S\":\"" + pk + "\"},\"sk\":{\"N\":\"" + sk + "\"}";
  if (o.op == "put") {
    int payload = std::max(1, o.item_bytes - static_cast<int>(pk.size() + sk.size()) - 6);
    std::string body = "{\"TableName\":\"" + o.table + "\",\"Item\":" + key +
                       ",\"v\":{\"S\":\"" + std::string(static_cast<size_t>(payload), 'x') +
                       "\"}}}";
    return HttpRequest(o, "PutItem", body);
  }
  if (o.op == "get") {
    return HttpRequest(o, "GetItem", "{\"TableName\":\"" + o.table + "\",\"Key\":" + key + "}}");
  }
  return HttpRequest(o, "Query",
                     "{\"TableName\":\"" + o.table +
                         "\",\"KeyConditionExpression\":\"pk = :p\",\"Limit\":10,"
                         "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"" + pk + "\"}}}");
}

void Setup(Options o) {
  Connection c(o.host, o.port);
  std::string body;
  int deleted = c.RoundTrip(HttpRequest(o, "DeleteTable", "{\"TableName\":\"" + o.table + "\"}"),
                            &body);
  for (int i = 0; deleted == 200 && i < 500; ++i) {  // until the old table is gone
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    deleted = c.RoundTrip(HttpRequest(o, "DescribeTable", "{\"TableName\":\"" + o.table + "\"}"),
                          &body);
  }
  int status = c.RoundTrip(
      HttpRequest(o, "CreateTable",
                  "{\"TableName\":\"" + o.table +
                      "\",\"BillingMode\":\"PAY_PER_REQUEST\",\"AttributeDefinitions\":["
                      "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
                      "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],\"KeySchema\":["
                      "{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
                      "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}]}"),
      &body);
  // Servers that create tables asynchronously (dynalite) need DescribeTable to say ACTIVE.
  for (int i = 0; status == 200 && body.find("\"TableStatus\":\"ACTIVE\"") == std::string::npos;
       ++i) {
    if (i == 500) {
      std::fprintf(stderr, "table never became ACTIVE: %s\n", body.c_str());
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    status = c.RoundTrip(HttpRequest(o, "DescribeTable", "{\"TableName\":\"" + o.table + "\"}"),
                         &body);
  }
  if (status != 200) {
    std::fprintf(stderr, "CreateTable failed: %d %s\n", status, body.c_str());
    std::exit(1);
  }
  // Load every key with parallel connections so reads hit real items.
  o.op = "put";
  std::vector<std::thread> loaders;
  std::atomic<int> next{0};
  for (int t = 0; t < 8; ++t) {
    loaders.emplace_back([&] {
      Connection lc(o.host, o.port);
      std::string b;
      for (int k; (k = next.fetch_add(1)) < o.keys;) {
        if (lc.RoundTrip(BuildRequest(o, k), &b) != 200) {
          std::fprintf(stderr, "load failed: %s\n", b.c_str());
          std::exit(1);
        }
      }
    });
  }
  for (std::thread& t : loaders) t.join();
}

struct WorkerResult {
  std::vector<double> latencies_ms;
  std::vector<double> send_delays_ms;          // open loop: how late the client itself sent
  std::vector<double> scheduled_latencies_ms;  // open loop: from the scheduled send time
  uint64_t errors = 0;
  std::string first_error;
};

void Worker(const Options& o, int index, const std::vector<std::string>& requests,
            Clock::time_point start, Clock::time_point end, WorkerResult* result) {
  Connection c(o.host, o.port);
  std::string body;
  size_t pick = static_cast<size_t>(index) * 7919;
  // Open loop: this connection's share of the rate, staggered so connections don't align.
  double interval_s = o.rate > 0 ? o.connections / o.rate : 0;
  Clock::time_point next =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                  interval_s * index / o.connections));
  while (true) {
    Clock::time_point scheduled = Clock::now();
    if (interval_s > 0) {
      while (Clock::now() < next) std::this_thread::sleep_until(next);
      scheduled = next;
      next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_s));
    }
    if (scheduled >= end) break;
    if (interval_s > 0) {
      result->send_delays_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - scheduled).count());
    }
    pick = (pick + 104729) % requests.size();
    Clock::time_point sent = Clock::now();
    int status = c.RoundTrip(requests[pick], &body);
    Clock::time_point done = Clock::now();
    double ms = std::chrono::duration<double, std::milli>(done - sent).count();
    if (interval_s > 0) {
      result->scheduled_latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(done - scheduled).count());
    }
    if (status != 200) {
      if (result->errors++ == 0) result->first_error = std::to_string(status) + " " + body;
      if (status == 0) return;
    }
    result->latencies_ms.push_back(ms);
  }
}

// Closed loop over several connections from one thread: each connection keeps one request in
// flight; epoll says which answers have arrived.
void MultiplexedWorker(const Options& o, int index, const std::vector<std::string>& requests,
                       Clock::time_point start, Clock::time_point end, WorkerResult* result) {
  struct Slot {
    std::unique_ptr<Connection> conn;
    size_t pick;
    Clock::time_point sent;
  };
  std::vector<Slot> slots;
  for (int c = index; c < o.connections; c += o.client_threads) {
    slots.push_back({std::make_unique<Connection>(o.host, o.port),
                     static_cast<size_t>(c) * 7919 % requests.size(), {}});
  }
  int ep = epoll_create1(0);
  for (size_t i = 0; i < slots.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, slots[i].conn->fd(), &ev);
  }
  std::this_thread::sleep_until(start);
  auto send_next = [&](Slot& s) {
    s.pick = (s.pick + 104729) % requests.size();
    s.sent = Clock::now();
    return s.conn->Send(requests[s.pick]);
  };
  size_t in_flight = 0;
  for (Slot& s : slots) in_flight += send_next(s) ? 1 : 0;
  std::string body;
  std::vector<epoll_event> events(slots.size());
  while (in_flight > 0) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
    for (int e = 0; e < n; ++e) {
      Slot& s = slots[events[static_cast<size_t>(e)].data.u64];
      int status = -1;
      if (!s.conn->Fill(MSG_DONTWAIT) || (status = s.conn->Parse(&body)) == 0) status = 0;
      if (status < 0) continue;
      Clock::time_point done = Clock::now();
      if (status != 200) {
        if (result->errors++ == 0) result->first_error = std::to_string(status) + " " + body;
      }
      if (status == 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, s.conn->fd(), nullptr);
        --in_flight;
        continue;
      }
      result->latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(done - s.sent).count());
      if (done >= end || !send_next(s)) {
        epoll_ctl(ep, EPOLL_CTL_DEL, s.conn->fd(), nullptr);
        --in_flight;
      }
    }
  }
  close(ep);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  if (o.setup) Setup(o);
  std::vector<std::string> requests;
  requests.reserve(static_cast<size_t>(o.keys));
  for (int k = 0; k < o.keys; ++k) requests.push_back(BuildRequest(o, k));

  int threads = o.client_threads > 0 ? std::min(o.client_threads, o.connections) : o.connections;
  o.client_threads = o.client_threads > 0 ? threads : 0;
  std::vector<WorkerResult> results(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  Clock::time_point start = Clock::now() + std::chrono::milliseconds(50);
  Clock::time_point end = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o.duration_s));
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back(o.client_threads > 0 ? MultiplexedWorker : Worker, std::cref(o), i, std::cref(requests), start, end,
                         &results[static_cast<size_t>(i)]);
  }
  for (std::thread& t : workers) t.join();

  std::vector<double> all;
  std::vector<double> delays;
  std::vector<double> scheduled;
  uint64_t errors = 0;
  std::string first_error;
  for (WorkerResult& r : results) {
    all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    delays.insert(delays.end(), r.send_delays_ms.begin(), r.send_delays_ms.end());
    scheduled.insert(scheduled.end(), r.scheduled_latencies_ms.begin(),
                     r.scheduled_latencies_ms.end());
    errors += r.errors;
    if (first_error.empty()) first_error = r.first_error;
  }
  std::sort(all.begin(), all.end());
  std::sort(delays.begin(), delays.end());
  std::sort(scheduled.begin(), scheduled.end());
  auto pct_of = [](const std::vector<double>& v, double p) {
    if (v.empty()) return 0.0;
    return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
  };
  auto pct = [&](double p) { return pct_of(all, p); };
  const char* op = o.op == "put" ? "PutItem" : o.op == "get" ? "GetItem" : "Query";
  std::printf(
      "op=%s conns=%d rate=%s requests=%zu errors=%llu throughput=%.0f p50_ms=%.3f p99_ms=%.3f "
      "max_ms=%.3f sched_p99_ms=%.3f client_send_delay_p99_ms=%.3f\n",
      op, o.connections, o.rate > 0 ? std::to_string(static_cast<long>(o.rate)).c_str() : "max",
      all.size(), static_cast<unsigned long long>(errors),
      static_cast<double>(all.size()) / o.duration_s,
      pct(0.5), pct(0.99), all.empty() ? 0.0 : all.back(), pct_of(scheduled, 0.99),
      pct_of(delays, 0.99));
  if (errors > 0) std::fprintf(stderr, "first error: %s\n", first_error.c_str());
  return 0;
}
