// HTTP/1.1 request framing as the API and admin servers read it: Beast's request parser with
// our limits, what its errors mean for the client, and the request it yields. HttpServer's
// sessions use these, and so does the framing fuzz target (tests/fuzz/fuzz_http.cc), so the
// parser that is fuzzed is configured exactly as the one that serves.
//
//   RequestParser parser;
//   ConfigureRequestParser(options.max_body_bytes, &parser);
//   ... read the header with it; if it fails: FramingError e = ClassifyReadError(ec);
//   if (std::optional<FramingError> e = CheckHeaderFields(parser.get())) ... answer e->status;
//   ... read the body; HttpRequest request = ToHttpRequest(parser.release());
//
// Thread-safety: pure functions; a parser belongs to one session.
#ifndef GLOBALTABLE_DAEMON_HTTP_FRAMING_H_
#define GLOBALTABLE_DAEMON_HTTP_FRAMING_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "boost/beast/core/error.hpp"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/string_body.hpp"
#include "daemon/http_server.h"

namespace globaltable::daemon {

// A DynamoDB request carries about ten header fields; a header past either bound is refused
// (431) before anything else is done with it.
inline constexpr uint32_t kMaxHeaderBytes = 64 << 10;
inline constexpr size_t kMaxHeaderFields = 100;

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Sets the header and body limits on a fresh parser.
void ConfigureRequestParser(uint64_t max_body_bytes, RequestParser* parser);

// What an error from the parser says about the request: nothing to answer (the client went
// away, or a timeout), or a status and the words for it.
struct FramingError {
  int status = 0;  // 0: no answer, close
  std::string message;
};
FramingError ClassifyReadError(boost::beast::error_code ec);

// A 431 when a complete header has more than kMaxHeaderFields fields; nullopt otherwise.
std::optional<FramingError> CheckHeaderFields(
    const boost::beast::http::request_header<>& header);

// The parts of a parsed request that handlers see.
HttpRequest ToHttpRequest(boost::beast::http::request<boost::beast::http::string_body> req);

}  // namespace globaltable::daemon

#endif  // GLOBALTABLE_DAEMON_HTTP_FRAMING_H_
