#include "http/bearer_tokens.hpp"

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <doctest/doctest.h>

using namespace hogar;
using namespace hogar::http;

namespace {

/// A token file with `text` in a temporary folder, removed at the end of the test.
struct token_file {
  explicit token_file(const std::string& text)
    : path(std::filesystem::temp_directory_path() /
           ("hogar_tokens_" + std::to_string(::getpid()) + ".txt")) {
    std::ofstream{path} << text;
  }
  ~token_file() { std::filesystem::remove(path); }
  std::filesystem::path path;
};

} // namespace

TEST_CASE("no tokens allow every request") {
  bearer_tokens none;
  CHECK_FALSE(none.enabled());
  CHECK(none.allows(""));
}

TEST_CASE("a token file holds one token per line, comments and blank lines skipped") {
  token_file file{"# tokens of the team\n\n  alpha-1  \nbeta_2\r\n"};
  auto tokens = bearer_tokens::load(file.path.string());
  REQUIRE(tokens.has_value());
  CHECK(tokens->enabled());
  CHECK(tokens->allows("Bearer alpha-1"));
  CHECK(tokens->allows("bearer beta_2"));
  CHECK_FALSE(tokens->allows("Bearer alpha-"));
  CHECK_FALSE(tokens->allows("Bearer alpha-12"));
  CHECK_FALSE(tokens->allows("Basic alpha-1"));
  CHECK_FALSE(tokens->allows("alpha-1"));
  CHECK_FALSE(tokens->allows("Bearer "));
  CHECK_FALSE(tokens->allows(""));
}

TEST_CASE("a token file without tokens, with a bad character or missing is refused") {
  token_file empty{"# nothing here\n\n"};
  auto none = bearer_tokens::load(empty.path.string());
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().message.find("holds no token") != std::string::npos);
  token_file bad{"good\nbad token\n"};
  auto spaced = bearer_tokens::load(bad.path.string());
  REQUIRE_FALSE(spaced.has_value());
  CHECK(spaced.error().message == bad.path.string() + ":2: a token holds letters, digits and "
                                                       "-._~+/= only");
  auto missing = bearer_tokens::load("/nonexistent/tokens");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == errc::io_error);
}
