// Blocking HTTP/1.1 client on Boost.Beast. Exceptions never leave this file.
#include "daemon/ctl/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace globaltable::daemon::ctl {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

absl::StatusOr<HttpResponse> HttpCall(absl::string_view host_port, absl::string_view method,
                                      absl::string_view target, absl::string_view body,
                                      absl::Duration timeout) {
  const size_t colon = host_port.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port) ||
      port == 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad address \"", host_port, "\": expected HOST:PORT"));
  }
  const std::string host(host_port.substr(0, colon));
  const auto verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  if (verb == http::verb::unknown) {
    return absl::InvalidArgumentError(absl::StrCat("bad HTTP method ", method));
  }
  try {
    boost::asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    const auto deadline = std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout));
    stream.expires_after(deadline);
    auto results = resolver.resolve(host, std::to_string(port));
    stream.connect(results);
    http::request<http::string_body> req{verb, std::string(target), 11};
    req.set(http::field::host, std::string(host_port));
    req.set(http::field::user_agent, "globaltablectl");
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::string(body);
    }
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(stream, buffer, parser);
    HttpResponse out;
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return out;
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat(method, " http://", host_port, target, " failed: ", e.what()));
  }
}

}  // namespace globaltable::daemon::ctl
