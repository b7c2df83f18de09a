// request_head.hpp: what the server checks in a request's head before it reads the body, as a
// pure function of the parsed head (Boost.Beast parses the syntax; this decides what a head
// that parsed may mean). Each refusal closes the connection, because after a head that lies
// about its body nobody can tell where the next request starts (request smuggling).
//
// Refused with 400:
// - a Transfer-Encoding other than exactly `chunked` (`xchunked`, `chunked, identity`, two
//   Transfer-Encoding lines): RFC 9112 section 6.3 says such a request's body length cannot be
//   determined reliably; Beast would take it as an empty body and run the body's bytes as the
//   next request;
// - Transfer-Encoding together with Content-Length (RFC 9112 section 6.3: a server may reject
//   it; proxies disagree on which wins, so hogar does, as nginx does);
// - an HTTP/1.1 request without Host, or with two (RFC 9112 section 3.2);
// - Inference-Header-Content-Length given twice (which one would split the body?).
#pragma once

#include <optional>
#include <string>

#include <boost/beast/http/message.hpp>

namespace hogar::http {

/// Why a head is refused: the status to answer and the message of the error body.
struct head_problem {
  unsigned status = 400;
  std::string message;
};

/// nullopt when the head may be answered; otherwise the refusal. Values quoted in the message
/// are cut to 40 characters.
std::optional<head_problem> check_request_head(const boost::beast::http::request_header<>& head);

} // namespace hogar::http
