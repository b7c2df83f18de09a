#include "http/request_head.hpp"

#include <cstddef>
#include <string_view>

#include <boost/beast/core/string.hpp>
#include <fmt/format.h>

#include "http/kserve.hpp"

namespace hogar::http {

namespace {

namespace bhttp = boost::beast::http;

/// A header value as it may appear in a message: at most 40 characters.
std::string quoted(std::string_view value) {
  constexpr std::size_t longest = 40;
  if (value.size() <= longest)
    return fmt::format("'{}'", value);
  return fmt::format("'{}...'", value.substr(0, longest));
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

head_problem bad(std::string message) {
  return head_problem{400, std::move(message)};
}

} // namespace

std::optional<head_problem> check_request_head(const bhttp::request_header<>& head) {
  auto encodings = head.count(bhttp::field::transfer_encoding);
  if (encodings > 1)
    return bad(fmt::format("Transfer-Encoding is given {} times; send it once, as chunked",
                           encodings));
  if (encodings == 1) {
    auto value = trimmed(head[bhttp::field::transfer_encoding]);
    if (!boost::beast::iequals(value, "chunked"))
      return bad(fmt::format("Transfer-Encoding {} is not supported: a request body is sent "
                             "with Content-Length or as chunked alone",
                             quoted(value)));
    if (head.count(bhttp::field::content_length) > 0)
      return bad("Transfer-Encoding and Content-Length are both given; send one of them");
  }
  auto hosts = head.count(bhttp::field::host);
  if (head.version() >= 11 && hosts == 0)
    return bad("an HTTP/1.1 request needs a Host header");
  if (hosts > 1)
    return bad(fmt::format("Host is given {} times", hosts));
  if (auto lengths = head.count(inference_header_length_field); lengths > 1)
    return bad(fmt::format("{} is given {} times", inference_header_length_field, lengths));
  return std::nullopt;
}

} // namespace hogar::http
