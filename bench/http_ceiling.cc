// http_ceiling: the fastest "DynamoDB server" this machine can run, as a baseline for the API
// benchmark. It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) to answer every
// request with a canned DynamoDB-shaped response, and does nothing else: no JSON, no storage,
// no allocation per request. Whatever request rate api_bench reaches against it is the ceiling
// that the machine's cores, kernel and the load generator leave for any server on loopback.
//
//   http_ceiling --port 8100 [--threads 2]
//
// Each thread runs its own epoll loop on its own SO_REUSEPORT listener (the kernel spreads the
// connections), reads whatever has arrived, answers every complete request in it with one
// write, and keeps a partial request for the next read. GetItem gets an item of about 200
// bytes (what api_bench's GetItem returns from globaltabled), every other operation "{}".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

std::string Response(std::string_view body) {
  std::string r =
      "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
      "x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\nContent-Length: ";
  r += std::to_string(body.size());
  r += "\r\n\r\n";
  r += body;
  return r;
}

const std::string& GetItemResponse() {
  static const std::string r = Response(
      "{\"Item\":{\"pk\":{\"S\":\"key00000042\"},\"sk\":{\"N\":\"4242\"},\"v\":{\"S\":\"" +
      std::string(180, 'x') + "\"}}}");
  return r;
}

const std::string& EmptyResponse() {
  static const std::string r = Response("{}");
  return r;
}

// Answers every complete request at the front of `in`, appending responses to `out`; returns
// false on a request it cannot frame (the connection is then closed).
bool Answer(std::string* in, std::string* out) {
  size_t pos = 0;
  while (true) {
    std::string_view rest(in->data() + pos, in->size() - pos);
    size_t header_end = rest.find("\r\n\r\n");
    if (header_end == std::string_view::npos) break;
    size_t length = 0;
    bool get = false;
    for (size_t p = 0; p < header_end;) {
      size_t eol = rest.find("\r\n", p);
      std::string_view line = rest.substr(p, eol - p);
      if (line.size() > 15 && strncasecmp(line.data(), "content-length:", 15) == 0) {
        length = std::strtoul(std::string(line.substr(15)).c_str(), nullptr, 10);
      } else if (line.size() > 13 && strncasecmp(line.data(), "x-amz-target:", 13) == 0) {
        get = line.find(".GetItem") != std::string_view::npos;
      }
      p = eol + 2;
    }
    size_t total = header_end + 4 + length;
    if (rest.size() < total) break;
    out->append(get ? GetItemResponse() : EmptyResponse());
    pos += total;
  }
  in->erase(0, pos);
  return in->size() < (1u << 20);
}

void Loop(int port) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 1024) != 0) {
    std::perror("http_ceiling: bind/listen");
    std::exit(1);
  }
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::unordered_map<int, std::string> pending;  // partial requests per connection
  std::vector<epoll_event> events(256);
  std::vector<char> chunk(64 * 1024);
  std::string out;
  while (true) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<size_t>(i)].data.fd;
      if (fd == listener) {
        int c;
        while ((c = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
          pending[c];
        }
        continue;
      }
      std::string& in = pending[fd];
      ssize_t got = recv(fd, chunk.data(), chunk.size(), 0);
      bool ok = got > 0;
      if (ok) {
        in.append(chunk.data(), static_cast<size_t>(got));
        out.clear();
        ok = Answer(&in, &out);
        // Loopback sockets take a few hundred bytes at once; a short write closes the
        // connection rather than buffering (api_bench keeps one request in flight).
        if (ok && !out.empty()) {
          ok = send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size());
        }
      } else if (got < 0 && errno == EAGAIN) {
        ok = true;
      }
      if (!ok) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
        pending.erase(fd);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (a == "--threads") {
      threads = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "http_ceiling: unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (port <= 0 || port > 65535 || threads < 1) {
    std::fprintf(stderr, "usage: http_ceiling --port PORT [--threads N]\n");
    return 2;
  }
  std::vector<std::thread> loops;
  for (int t = 0; t < threads; ++t) loops.emplace_back(Loop, port);
  for (std::thread& t : loops) t.join();
  return 0;
}
