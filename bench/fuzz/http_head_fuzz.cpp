// http_head_fuzz.cpp: libFuzzer harness of what the HTTP server reads before it reads a body:
// the request head, parsed by Boost.Beast's request_parser<string_body> configured as the
// server configures it (http/server.cpp: Beast's default 8 KiB header limit, the default body
// limit of server_options), then checked by check_request_head (http/request_head.hpp:
// Transfer-Encoding, Host, duplicated headers) and, with tokens configured, by the bearer
// token check. The input is what a client sends on one connection, all of it at once: a
// request that passes is read to its end and the bytes after it are the next request, as on
// a kept-alive connection, which is where a body mistaken for a request would run (request
// smuggling).
//
// Promises checked beyond the sanitizers: a head that check_request_head accepts has a body
// length Beast and the check agree on (a Transfer-Encoding it lets through is the chunked
// framing Beast reads; never both Transfer-Encoding and Content-Length), and a refusal is a
// 4xx. The target of every head the check accepts is resolved to a route (http/route.hpp) as the
// server resolves it: a route that names a graph or a model names one without control
// characters (they must never reach the file system or a log line unescaped).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "bench/fuzz/fuzz_check.hpp"
#include "http/bearer_tokens.hpp"
#include "http/request_head.hpp"
#include "http/route.hpp"
#include "http/server.hpp"

namespace {

namespace bhttp = boost::beast::http;
using hogar::fuzz::require;

/// The body limit of a server started with the default settings.
const std::size_t max_body_bytes = hogar::http::server_options{}.max_body_bytes;

/// Feeds `bytes` to the parser until it has what `done` asks for; returns the bytes consumed,
/// or npos when the parser refused them or needs more than the input holds (the server
/// answers the first with 400 or 431 and waits, then times out, on the second).
template <class Done>
std::size_t feed(bhttp::request_parser<bhttp::string_body>& parser, std::string_view bytes,
                 Done done) {
  std::size_t used = 0;
  while (!done()) {
    boost::beast::error_code ec;
    auto n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec || (n == 0 && !done()))
      return std::string_view::npos;
  }
  return used;
}

/// Reads one request from the front of `bytes`; returns how many bytes it took, or npos when
/// the connection ends here (refused, or incomplete).
std::size_t read_request(std::string_view bytes, const hogar::http::bearer_tokens& tokens) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(max_body_bytes);
  auto head_bytes = feed(parser, bytes, [&] { return parser.is_header_done(); });
  if (head_bytes == std::string_view::npos)
    return head_bytes;
  const auto& head = parser.get();
  if (auto problem = hogar::http::check_request_head(head)) {
    require(problem->status >= 400 && problem->status < 500, "a refused head is a 4xx",
            problem->message);
    return std::string_view::npos;
  }
  auto encodings = head.count(bhttp::field::transfer_encoding);
  require(encodings == 0 || parser.chunked(),
          "a Transfer-Encoding the check accepts is the chunked framing Beast reads",
          std::string{head[bhttp::field::transfer_encoding]});
  require(encodings == 0 || head.count(bhttp::field::content_length) == 0,
          "an accepted head never has both Transfer-Encoding and Content-Length");
  // The token check runs on every head (the route decides only whether it matters).
  tokens.allows(head[bhttp::field::authorization]);
  auto found = hogar::http::resolve(head.target());
  for (const auto* name : {&found.graph, &found.version})
    for (unsigned char c : *name)
      require(c >= 0x20 && c != 0x7f, "a resolved name holds no control character", *name);
  require(found.graph.empty() || found.kind != hogar::http::route_kind::none,
          "only a route names a graph");

  // The body, read as async_read does after async_read_header: eagerly, to the message's end.
  parser.eager(true);
  auto body_bytes =
    feed(parser, bytes.substr(head_bytes), [&] { return parser.is_done(); });
  if (body_bytes == std::string_view::npos)
    return body_bytes;
  auto request = parser.release();
  require(request.body().size() <= max_body_bytes, "a body is within the body limit");
  return head_bytes + body_bytes;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view connection{reinterpret_cast<const char*>(data), size};
  // One configured token, as with `auth-token-file`: every Authorization header is compared.
  static const hogar::http::bearer_tokens tokens{std::vector<std::string>{"fuzz-token-0123456789"}};
  while (!connection.empty()) {
    auto used = read_request(connection, tokens);
    if (used == std::string_view::npos)
      break;
    require(used > 0, "every request read takes bytes of the connection");
    connection.remove_prefix(used);
  }
  return 0;
}
