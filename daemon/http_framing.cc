// Request framing shared by HttpServer and the framing fuzz target. Pure functions.
#include "daemon/http_framing.h"

#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/beast/http/error.hpp"

namespace globaltable::daemon {

namespace http = boost::beast::http;

void ConfigureRequestParser(uint64_t max_body_bytes, RequestParser* parser) {
  parser->header_limit(kMaxHeaderBytes);
  parser->body_limit(max_body_bytes);
}

FramingError ClassifyReadError(boost::beast::error_code ec) {
  if (ec.category() != http::make_error_code(http::error::bad_method).category()) return {};
  switch (static_cast<http::error>(ec.value())) {
    case http::error::header_limit:
    case http::error::buffer_overflow:
      return {431, absl::StrCat("request header over ", kMaxHeaderBytes, " bytes")};
    case http::error::bad_line_ending:
      return {400, "malformed request: bad line ending"};
    case http::error::bad_method:
      return {400, "malformed request line: bad method"};
    case http::error::bad_target:
      return {400, "malformed request line: bad target"};
    case http::error::bad_version:
      return {400, "malformed request line: bad HTTP version"};
    case http::error::bad_field:
      return {400, "malformed header field name"};
    case http::error::bad_value:
      return {400, "malformed header field value"};
    case http::error::bad_content_length:
      return {400,
              "invalid Content-Length (not a decimal number below 2^64, several that disagree, "
              "or with Transfer-Encoding: chunked)"};
    case http::error::bad_transfer_encoding:
      return {400, "invalid Transfer-Encoding (repeated, or with a Content-Length)"};
    case http::error::bad_chunk:
      return {400, "malformed chunked body: invalid chunk size line"};
    case http::error::bad_chunk_extension:
      return {400, "malformed chunked body: invalid chunk extension"};
    case http::error::bad_obs_fold:
      return {400, "malformed header: obsolete line folding"};
    default:
      return {};  // end_of_stream, partial_message (the client closed mid-request), ...
  }
}

std::optional<FramingError> CheckHeaderFields(const http::request_header<>& header) {
  if (static_cast<size_t>(std::distance(header.begin(), header.end())) > kMaxHeaderFields) {
    return FramingError{
        431, absl::StrCat("request header with more than ", kMaxHeaderFields, " fields")};
  }
  return std::nullopt;
}

HttpRequest ToHttpRequest(http::request<http::string_body> req) {
  HttpRequest request;
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  auto target = req.find("X-Amz-Target");
  if (target != req.end()) request.amz_target = std::string(target->value());
  request.body = std::move(req.body());
  return request;
}

}  // namespace globaltable::daemon
