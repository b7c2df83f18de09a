// hams_export.hpp: writes a graph in the HAMS/EARG deployment format that hams_import.hpp
// reads (`hogar graph export --format hams`).
//
// HAMS says which containers run and which feeds which, nothing more: each operator becomes a
// node `name,version,image,stateful,batch_size` (numbered from 1 in the graph file's order),
// each edge between operators a `dist[...]` or `reduce[...]` group. The image and version are
// the operator's `image:` where it has one; otherwise the image is `hogar/KIND` (for a model,
// `hogar/MODEL`, or the ONNX file's stem) and the version a model's `version` (`latest` for 0)
// or `1`. Params, replicas, placement, batching delays, tuning, SLOs and the graph's inputs and
// outputs have no place in HAMS and are not written. What HAMS cannot express is refused, not
// approximated: a `when` gate, a cache, an operator that reads a graph input and an operator,
// an input read twice.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "graph/diagnostic.hpp"
#include "graph/topology.hpp"

namespace hogar::graph {

/// The format number written on the second line (the one HAMS deployments use).
inline constexpr int hams_format = 1;

/// One node of a deployment, as a node line and the edges into it say.
struct hams_node {
  std::string name;
  std::string version;
  std::string image;
  bool stateful = false;
  /// 1: no batching.
  std::int64_t batch_size = 1;
  /// Producers, as indices into the deployment's nodes, in the operator's input order.
  std::vector<std::size_t> inputs;

  bool operator==(const hams_node&) const = default;
};

struct hams_deployment {
  std::vector<hams_node> nodes;
  /// Every operator HAMS cannot express, each with its position and the reason; when there
  /// is one, `nodes` is incomplete and must not be written.
  std::vector<diagnostic> errors;

  bool ok() const noexcept { return errors.empty(); }
};

/// The deployment a validated graph is in HAMS's terms, or why it cannot be one.
hams_deployment to_hams(const topology& topo);

/// The text `hogar graph import` reads; `source` (a file name) goes into its first comment.
std::string write_hams(const std::vector<hams_node>& nodes, std::string_view source);

} // namespace hogar::graph
