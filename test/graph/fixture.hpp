// fixture.hpp: helpers shared by the graph tests: load text, print its diagnostics, and a
// small valid graph to start from.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "graph/loader.hpp"

namespace hogar::graph::test {

/// A file of the source tree (HOGAR_SOURCE_DIR, set by CMakeLists.txt), which must exist.
inline std::string read_source_file(const std::string& relative) {
  std::ifstream in{std::filesystem::path{HOGAR_SOURCE_DIR} / relative};
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Every diagnostic of loading `text` as "g.yaml", as the CLI prints them.
inline std::string errors_of(std::string_view text) {
  return to_string(load_graph_text(text, "g.yaml").errors);
}

/// Loads text that must be valid; fails the test with the diagnostics otherwise.
inline graph_spec load_ok(std::string_view text) {
  auto result = load_graph_text(text, "g.yaml");
  INFO(to_string(result.errors));
  REQUIRE(result.ok());
  return *result.spec;
}

/// A small valid graph; tests append operators or change one line to break it.
inline constexpr std::string_view small_graph = R"(graph: small
inputs:
  - name: image
    dtype: float32
    shape: [-1, 4]
operators:
  - name: score
    kind: simulate
    inputs: [image]
    params: {cost_ms: 1}
outputs:
  - name: result
    from: score
)";

} // namespace hogar::graph::test
