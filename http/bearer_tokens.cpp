#include "http/bearer_tokens.hpp"

#include <cstddef>
#include <fstream>

#include <boost/beast/core/string.hpp>
#include <fmt/format.h>

namespace hogar::http {

namespace {

/// Token characters of RFC 6750 (b64token) plus what common generators use.
bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

/// Compares every byte of both, so that the time taken does not say how much of a guess was
/// right (only the lengths, which a token's format gives away anyway).
bool same(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

} // namespace

result<bearer_tokens> bearer_tokens::load(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return fail(errc::io_error, fmt::format("{}: cannot read the token file", path));
  std::vector<std::string> tokens;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#')
      continue;
    auto last = line.find_last_not_of(" \t\r");
    auto token = line.substr(first, last - first + 1);
    for (char c : token)
      if (!is_token_char(c))
        return fail(errc::invalid_argument,
                    fmt::format("{}:{}: a token holds letters, digits and -._~+/= only", path,
                                number));
    tokens.push_back(std::move(token));
  }
  if (tokens.empty())
    return fail(errc::invalid_argument,
                fmt::format("{}: holds no token (one per line); leave auth-token-file empty to "
                            "serve without authentication",
                            path));
  return bearer_tokens{std::move(tokens)};
}

bool bearer_tokens::allows(std::string_view authorization) const {
  if (tokens_.empty())
    return true;
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size() ||
      !boost::beast::iequals(authorization.substr(0, scheme.size()), scheme))
    return false;
  auto presented = authorization.substr(scheme.size());
  bool found = false;
  // Every token is compared, found or not: the time does not say which one matched.
  for (auto& token : tokens_)
    found |= same(presented, token);
  return found;
}

} // namespace hogar::http
