#include "http/request_head.hpp"

#include <doctest/doctest.h>

using namespace hogar::http;
namespace bhttp = boost::beast::http;

namespace {

bhttp::request_header<> head(unsigned version = 11) {
  bhttp::request_header<> h;
  h.method(bhttp::verb::post);
  h.target("/v2/models/double/infer");
  h.version(version);
  return h;
}

std::string refusal(const bhttp::request_header<>& h) {
  auto problem = check_request_head(h);
  REQUIRE(problem.has_value());
  CHECK(problem->status == 400);
  return problem->message;
}

} // namespace

TEST_CASE("a plain HTTP/1.1 head with Host and Content-Length passes") {
  auto h = head();
  h.set(bhttp::field::host, "127.0.0.1");
  h.set(bhttp::field::content_length, "12");
  CHECK_FALSE(check_request_head(h).has_value());
  h.set(bhttp::field::content_length, "0");
  h.erase(bhttp::field::content_length);
  h.set(bhttp::field::transfer_encoding, " Chunked ");
  CHECK_FALSE(check_request_head(h).has_value());
}

TEST_CASE("a Transfer-Encoding that is not exactly chunked is refused") {
  auto h = head();
  h.set(bhttp::field::host, "x");
  h.set(bhttp::field::transfer_encoding, "xchunked");
  CHECK(refusal(h) == "Transfer-Encoding 'xchunked' is not supported: a request body is sent "
                      "with Content-Length or as chunked alone");
  h.set(bhttp::field::transfer_encoding, "chunked, identity");
  CHECK(refusal(h).starts_with("Transfer-Encoding 'chunked, identity' is not supported"));
  h.set(bhttp::field::transfer_encoding, "gzip, chunked");
  CHECK(refusal(h).starts_with("Transfer-Encoding 'gzip, chunked' is not supported"));
  h.set(bhttp::field::transfer_encoding, "chunked");
  h.insert(bhttp::field::transfer_encoding, "chunked");
  CHECK(refusal(h) == "Transfer-Encoding is given 2 times; send it once, as chunked");
}

TEST_CASE("Transfer-Encoding with Content-Length is refused") {
  auto h = head();
  h.set(bhttp::field::host, "x");
  h.set(bhttp::field::transfer_encoding, "chunked");
  h.set(bhttp::field::content_length, "5");
  CHECK(refusal(h) == "Transfer-Encoding and Content-Length are both given; send one of them");
}

TEST_CASE("HTTP/1.1 needs exactly one Host and HTTP/1.0 none") {
  CHECK(refusal(head()) == "an HTTP/1.1 request needs a Host header");
  CHECK_FALSE(check_request_head(head(10)).has_value());
  auto h = head();
  h.insert(bhttp::field::host, "a");
  h.insert(bhttp::field::host, "b");
  CHECK(refusal(h) == "Host is given 2 times");
}

TEST_CASE("Inference-Header-Content-Length given twice is refused") {
  auto h = head();
  h.set(bhttp::field::host, "x");
  h.insert("Inference-Header-Content-Length", "10");
  CHECK_FALSE(check_request_head(h).has_value());
  h.insert("Inference-Header-Content-Length", "20");
  CHECK(refusal(h) == "Inference-Header-Content-Length is given 2 times");
}

TEST_CASE("a refusal quotes at most 40 characters of the client's value") {
  auto h = head();
  h.set(bhttp::field::host, "x");
  h.set(bhttp::field::transfer_encoding, std::string(5000, 'z'));
  CHECK(refusal(h).size() < 150);
}
