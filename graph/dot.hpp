// dot.hpp: Graphviz rendering of a graph (`hogar graph dot FILE`).
#pragma once

#include <string>

#include "graph/topology.hpp"

namespace hogar::graph {

/// A `digraph` with inputs as ellipses, operators as boxes labelled with name and kind
/// (conditions as diamonds, caches as cylinders), outputs as plain text nodes, `when` edges
/// dashed (labelled "yes" or "no") and cache fills dotted.
std::string to_dot(const topology& topo);

} // namespace hogar::graph
