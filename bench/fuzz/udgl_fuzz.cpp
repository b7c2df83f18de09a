// udgl_fuzz.cpp: libFuzzer harness of the graph language (UDGL): the YAML reader, the
// validator, and what a validated graph is compiled into (topology, DOT), which every deploy
// and `hogar graph check|dot` run on a file a user wrote.
//
// Promises checked beyond the sanitizers: a file is answered with diagnostics, never an
// exception; a graph the validator accepts compiles into a topology (build_topology throws
// std::logic_error on a graph that should not have passed, a bug) and renders as DOT.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/fuzz/fuzz_check.hpp"
#include "graph/dot.hpp"
#include "graph/loader.hpp"
#include "graph/topology.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hogar;
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto loaded = graph::load_graph_text(text, "fuzz.yaml");
  // The messages are what a user reads: printing them (positions, hints, "did you mean")
  // runs on the same untrusted names.
  auto report = graph::to_string(loaded.errors);
  fuzz::require(loaded.ok() == loaded.errors.empty(), "a graph loads exactly when it has no errors",
                report);
  if (!loaded.ok())
    return 0;
  auto topo = graph::build_topology(loaded.spec);
  fuzz::require(topo.ops.size() == loaded.spec->operators.size(),
                "the topology has one node per operator");
  fuzz::require(topo.order.size() == topo.ops.size(), "a validated graph is ordered whole");
  auto dot = graph::to_dot(topo);
  fuzz::require(dot.starts_with("digraph"), "DOT output is a digraph", dot.substr(0, 80));
  return 0;
}
