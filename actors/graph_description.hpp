// graph_description.hpp: what metadata requests need of a graph and cannot read cheaply
// later, worked out once when the graph is placed (and again when a model is reloaded).
#pragma once

#include <string>

#include "actors/cluster_messages.hpp"
#include "graph/topology.hpp"

namespace hogar {

/// The tensors of the graph's answers (inferred from its declared inputs through every
/// operator) and what its model operators serve. Reads the model files (load_shared: free
/// while a replica in this process holds them). What cannot be inferred is in `problems`.
graph_description describe_graph(const graph::topology& topo, const std::string& model_repository);

} // namespace hogar
