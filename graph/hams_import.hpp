// hams_import.hpp: reads the HAMS/EARG deployment format and writes the same graph in UDGL.
//
// The format (shared/seeds/README.md): a line with the number of nodes, a line with a format
// number, one line per node `name,version,image,stateful(true|false),batch_size`, then edge
// lines `dist[1->2,3;3->4]` (fan-out) and `reduce[2,3->4]` (fan-in), nodes numbered from 1.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace hogar::graph {

/// More nodes than any deployment has: the importer refuses a larger count (so that a typo such
/// as "50000000" allocates nothing), and the exporter a larger graph.
inline constexpr std::int64_t hams_max_nodes = 10000;

struct hams_import_options {
  /// Cost of each simulated node, milliseconds.
  double cost_ms = 5.0;
  /// Graph name; empty: derived from the file name.
  std::string graph_name;
};

/// UDGL YAML text for the deployment in `text`, or an error naming `file` and the line. Each
/// node keeps its name (made a valid UDGL name if it is not one), and its image and version as
/// the operator's `image:`, so that `hogar graph export` writes the same deployment back.
result<std::string> import_hams(std::string_view text, const std::string& file,
                                const hams_import_options& options);

} // namespace hogar::graph
