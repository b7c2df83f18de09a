// bearer_tokens.hpp: the tokens HTTP clients present (`Authorization: Bearer TOKEN`), read
// from the daemon's `auth-token-file`: one token per line; blank lines and lines starting
// with '#' are skipped, spaces around a token are not part of it. No tokens configured: no
// authentication. A request without a valid token is answered 401 with no detail, so that a
// guesser learns nothing but "no".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace hogar::http {

class bearer_tokens {
public:
  /// No tokens: every request is allowed.
  bearer_tokens() = default;

  /// Reads `path`. Fails with errc::io_error when it cannot be read and errc::invalid_argument
  /// when it holds no token, or a token with a character that cannot appear in a header
  /// (the message names the file and line, never the token).
  static result<bearer_tokens> load(const std::string& path);

  /// From tokens already read (tests, and `load`).
  explicit bearer_tokens(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

  /// Whether authentication is on.
  bool enabled() const noexcept { return !tokens_.empty(); }

  /// Whether an Authorization header value ("Bearer TOKEN"; the scheme in any case) carries
  /// one of the tokens. Compares in time independent of where the bytes differ.
  bool allows(std::string_view authorization) const;

private:
  std::vector<std::string> tokens_;
};

} // namespace hogar::http
