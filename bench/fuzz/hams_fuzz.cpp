// hams_fuzz.cpp: libFuzzer harness of the HAMS/EARG importer (`hogar graph import FILE`),
// which turns a deployment file into UDGL text.
//
// Promises checked beyond the sanitizers: a malformed file is an invalid_argument naming the
// line, never errc::internal (the importer's catch-all for an escaped exception); what a
// successful import writes is a graph the reader and validator accept, as the examples in
// config/hams are (test/graph/hams_import_test.cpp); and that graph exports (`hogar graph
// export`) to a deployment whose import gives back the same nodes and edges
// (test/graph/hams_export_test.cpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/fuzz/fuzz_check.hpp"
#include "graph/hams_export.hpp"
#include "graph/hams_import.hpp"
#include "graph/loader.hpp"
#include "graph/topology.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hogar;
  std::string_view text{reinterpret_cast<const char*>(data), size};
  // The file name becomes the graph's name and a comment of the output: a fixed one keeps the
  // harness deterministic, and options as `hogar graph import` defaults them.
  auto yaml = graph::import_hams(text, "fuzz.hams", graph::hams_import_options{});
  if (!yaml) {
    fuzz::require_not_internal(yaml.error(), "a malformed HAMS file is the file's error");
    return 0;
  }
  auto loaded = graph::load_graph_text(*yaml, "imported.yaml");
  fuzz::require(loaded.ok(), "an imported graph loads cleanly",
                graph::to_string(loaded.errors) + "--- imported:\n" + *yaml);
  auto deployment = graph::to_hams(graph::build_topology(loaded.spec));
  fuzz::require(deployment.ok(), "an imported graph exports",
                graph::to_string(deployment.errors) + "--- imported:\n" + *yaml);
  auto hams = graph::write_hams(deployment.nodes, "imported.yaml");
  auto again = graph::import_hams(hams, "exported.hams", graph::hams_import_options{});
  fuzz::require(again.has_value(), "an export imports",
                (again ? std::string{} : again.error().message) + "\n--- exported:\n" + hams);
  auto reloaded = graph::load_graph_text(*again, "reimported.yaml");
  fuzz::require(reloaded.ok(), "a reimported graph loads cleanly",
                graph::to_string(reloaded.errors) + "--- reimported:\n" + *again);
  auto round_trip = graph::to_hams(graph::build_topology(reloaded.spec));
  fuzz::require(round_trip.ok() && round_trip.nodes == deployment.nodes,
                "import(export(g)) has g's nodes and edges", "--- exported:\n" + hams);
  return 0;
}
