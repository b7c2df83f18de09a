// json_reader.hpp: JSON text a client sent, parsed safely and fast. simdjson (Debian's
// libsimdjson) builds the document: about 25x faster than nlohmann on a 140 KB image body
// (bench/results/json.md), and iterative, so no nesting depth can overflow the stack. A
// document nested deeper than the reader's limit is refused. When simdjson refuses a text,
// nlohmann's (also iterative) SAX parser reads it once more, only to say where and why:
// "malformed JSON at byte 12: syntax error while parsing value - invalid literal".
//
// Writing JSON stays with nlohmann (to_kserve_json and friends): answers are hogar's own data.
#pragma once

#include <cstddef>
#include <string_view>

#include <simdjson.h>

#include "base/result.hpp"

namespace hogar {

/// Parses JSON texts one after the other. Not thread-safe: give each thread its own reader.
/// The element parse() returns points into the reader and is valid until its next parse.
class json_reader {
public:
  /// `max_depth`: arrays and objects nested more deeply than this are refused (at least 1;
  /// requests use default_json_max_depth of tensor_json.hpp unless configured otherwise).
  explicit json_reader(std::size_t max_depth);

  /// The document's root. Fails with errc::invalid_argument: "malformed JSON at byte 7:
  /// ...", "JSON nested deeper than 64 arrays and objects", "number overflow parsing
  /// '1e999' at byte 20".
  result<simdjson::dom::element> parse(std::string_view text);

  std::size_t max_depth() const noexcept { return max_depth_; }

  /// Memory the reader keeps for the next document (simdjson sizes it to the largest text
  /// parsed so far). Callers that keep a reader per thread release it after a large text.
  std::size_t capacity() const noexcept { return parser_.capacity(); }

private:
  simdjson::dom::parser parser_;
  std::size_t max_depth_;
};

/// The array or the string an element holds; call only after checking its type.
simdjson::dom::array array_of(const simdjson::dom::element& value);
std::string_view string_of(const simdjson::dom::element& value);

/// A short, bounded rendering of a JSON value for error messages: a number or a string as
/// written (cut at 40 characters), "[...]" or "{...}" for containers. Never walks into a
/// container, so a client's nesting cannot make it recurse.
std::string brief(simdjson::dom::element value);

} // namespace hogar
