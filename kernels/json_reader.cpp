#include "kernels/json_reader.hpp"

#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace hogar {

namespace {

using nlohmann::json;

std::string depth_message(std::size_t max_depth) {
  return fmt::format("JSON nested deeper than {} arrays and objects (the limit is "
                     "http-json-max-depth)",
                     max_depth);
}

/// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string without_prefix(std::string_view what) {
  if (auto end = what.find("] "); what.starts_with("[json.exception.") && end != what.npos)
    what.remove_prefix(end + 2);
  return std::string{what};
}

/// Reads a text with nlohmann's SAX interface and keeps nothing but the first problem: why and
/// where a text simdjson refused is not JSON. nlohmann's parser keeps its own stack, so this
/// does not recurse either; the depth limit stops it early on a hostile text.
class problem_finder {
public:
  explicit problem_finder(std::size_t max_depth) : max_depth_(max_depth) {}

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool key(json::string_t&) { return true; }
  bool start_object(std::size_t) { return enter(); }
  bool end_object() { return leave(); }
  bool start_array(std::size_t) { return enter(); }
  bool end_array() { return leave(); }
  bool parse_error(std::size_t position, const std::string& token,
                   const nlohmann::detail::exception& e) {
    auto message = without_prefix(e.what());
    // Syntax errors say where ("at line 1, column 5"); range errors do not. `position` is
    // where the parser stopped, just after the token.
    if (message.find(" at line ") == std::string::npos)
      message += fmt::format(" at byte {}", position - std::min(position, token.size()));
    problem = std::move(message);
    return false;
  }

  std::optional<std::string> problem;

private:
  bool enter() {
    if (++depth_ <= max_depth_)
      return true;
    problem = depth_message(max_depth_);
    return false;
  }
  bool leave() {
    --depth_;
    return true;
  }

  std::size_t max_depth_;
  std::size_t depth_ = 0;
};

std::string describe(std::string_view text, simdjson::error_code code, std::size_t max_depth) {
  problem_finder finder{max_depth};
  try {
    json::sax_parse(text.begin(), text.end(), &finder);
  } catch (const std::exception& e) {
    // sax_parse reports through parse_error; anything thrown is a surprise worth naming.
    finder.problem = without_prefix(e.what());
  }
  if (finder.problem)
    return fmt::format("malformed JSON: {}", *finder.problem);
  // nlohmann takes what simdjson refuses only for integers beyond 64 bits.
  if (code == simdjson::NUMBER_ERROR)
    return "malformed JSON: a number is out of range (integers must fit in 64 bits)";
  return fmt::format("malformed JSON: {}", simdjson::error_message(code));
}

} // namespace

json_reader::json_reader(std::size_t max_depth) : max_depth_(std::max<std::size_t>(1, max_depth)) {
}

result<simdjson::dom::element> json_reader::parse(std::string_view text) {
  // simdjson counts the document itself as one level: N nested containers need N + 1. It
  // grows its buffers to each text itself and keeps the depth limit when it does.
  if (parser_.max_depth() != max_depth_ + 1) {
    if (auto error = parser_.allocate(std::max<std::size_t>(text.size(), 4096), max_depth_ + 1))
      return fail(errc::invalid_argument,
                  fmt::format("cannot parse a JSON text of {} bytes: {}", text.size(),
                              simdjson::error_message(error)));
  }
  simdjson::dom::element root;
  auto error = parser_.parse(text.data(), text.size()).get(root);
  if (!error)
    return root;
  if (error == simdjson::DEPTH_ERROR)
    return fail(errc::invalid_argument, depth_message(max_depth_));
  return fail(errc::invalid_argument, describe(text, error, max_depth_));
}

simdjson::dom::array array_of(const simdjson::dom::element& value) {
  simdjson::dom::array array;
  if (value.get(array))
    return {};
  return array;
}

std::string_view string_of(const simdjson::dom::element& value) {
  std::string_view text;
  if (value.get(text))
    return {};
  return text;
}

std::string brief(simdjson::dom::element value) {
  constexpr std::size_t longest = 40;
  std::string text;
  switch (value.type()) {
    case simdjson::dom::element_type::ARRAY: return "[...]";
    case simdjson::dom::element_type::OBJECT: return "{...}";
    case simdjson::dom::element_type::INT64: return std::to_string(int64_t(value));
    case simdjson::dom::element_type::UINT64: return std::to_string(uint64_t(value));
    case simdjson::dom::element_type::DOUBLE: return fmt::format("{}", double(value));
    case simdjson::dom::element_type::BOOL: return bool(value) ? "true" : "false";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
    case simdjson::dom::element_type::STRING: {
      std::string_view s = string_of(value);
      text = json(std::string{s.substr(0, longest)})
               .dump(-1, ' ', false, json::error_handler_t::replace);
      if (s.size() > longest)
        text.insert(text.size() - 1, "...");
      return text;
    }
  }
  return "?";
}

} // namespace hogar
