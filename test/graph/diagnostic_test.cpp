#include "graph/diagnostic.hpp"

#include <doctest/doctest.h>

namespace hogar::graph {

TEST_CASE("a diagnostic prints file:line:col, the message and a hint line when there is one") {
  diagnostic with_hint{{"g.yaml", 12, 5}, "operator 'ocr': unknown kind 'ocrr'",
                       "did you mean 'ocr'?"};
  CHECK(to_string(with_hint) ==
        "g.yaml:12:5: error: operator 'ocr': unknown kind 'ocrr'\n  hint: did you mean 'ocr'?");
  diagnostic bare{{"g.yaml", 3, 1}, "graph 'x' has no outputs", ""};
  CHECK(to_string(bare) == "g.yaml:3:1: error: graph 'x' has no outputs");
  CHECK(to_string(std::vector<diagnostic>{bare, bare}) ==
        "g.yaml:3:1: error: graph 'x' has no outputs\n"
        "g.yaml:3:1: error: graph 'x' has no outputs\n");
}

TEST_CASE("closest_match takes a likely typo and leaves a different word alone") {
  std::vector<std::string> fields = {"name", "kind", "params", "inputs", "replicas"};
  CHECK(closest_match("replica", fields) == "replicas");
  CHECK(closest_match("knd", fields) == "kind");
  CHECK(closest_match("inptus", fields) == "inputs");
  CHECK(closest_match("colour", fields).empty());
  CHECK(closest_match("x", {"y"}) == "y");  // one slip is allowed even in a short word
  CHECK(closest_match("anything", {}).empty());
}

} // namespace hogar::graph
