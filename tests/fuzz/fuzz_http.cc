// libFuzzer target: HTTP/1.1 request framing, through the parser the API server configures
// (daemon/http_framing.h). The input is what a client sends on one connection: requests are
// parsed one after the other, as the server does with pipelined requests, until the bytes run
// out or a request is refused. Checks: the parser never reads out of bounds or crashes, every
// framing error the server answers has a status and words, and a complete request never
// carries a body over the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "boost/asio/buffer.hpp"
#include "boost/beast/http/error.hpp"
#include "daemon/http_framing.h"

namespace {

namespace http = boost::beast::http;
using globaltable::daemon::FramingError;

// Small enough that the body limit is reachable by the fuzzer; the limit is the server's
// option, the code path the same.
constexpr uint64_t kMaxBodyBytes = 4096;

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckAnswer(const FramingError& e) {
  Check(e.status == 0 || e.status == 400 || e.status == 431);
  Check((e.status == 0) == e.message.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* p = reinterpret_cast<const char*>(data);
  size_t left = size;
  for (int request = 0; request < 16 && left > 0; ++request) {
    globaltable::daemon::RequestParser parser;
    globaltable::daemon::ConfigureRequestParser(kMaxBodyBytes, &parser);
    boost::beast::error_code ec;
    bool header_checked = false;
    while (!parser.is_done()) {
      const size_t n = parser.put(boost::asio::buffer(p, left), ec);
      Check(n <= left);
      p += n;
      left -= n;
      if (ec == http::error::need_more) {
        if (left > 0 && n > 0) {
          ec = {};
          continue;
        }
        // The client closed the connection here.
        ec = {};
        parser.put_eof(ec);
        break;
      }
      if (ec) break;
      if (parser.is_header_done() && !header_checked) {
        header_checked = true;
        if (std::optional<FramingError> e = globaltable::daemon::CheckHeaderFields(parser.get())) {
          CheckAnswer(*e);
          Check(e->status == 431);
          return 0;
        }
        parser.eager(true);  // http::async_read after async_read_header
      }
      if (n == 0 && !parser.is_done()) break;  // no progress without an error: stop
    }
    if (ec) {
      if (ec == http::error::body_limit) return 0;  // answered 413 by the server
      CheckAnswer(globaltable::daemon::ClassifyReadError(ec));
      return 0;
    }
    if (!parser.is_done()) return 0;
    const bool keep_alive = parser.get().keep_alive();
    globaltable::daemon::HttpRequest r = globaltable::daemon::ToHttpRequest(parser.release());
    Check(r.body.size() <= kMaxBodyBytes);
    if (!keep_alive) return 0;
  }
  return 0;
}
