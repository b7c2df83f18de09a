// topology.hpp: a validated graph compiled into indices: who feeds whom, through which input
// slot, in which order. The runtime wires actors from it; `graph dot` draws it.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "graph/kinds.hpp"
#include "graph/spec.hpp"

namespace hogar::graph {

/// The producer at the start of an edge: a graph input or an operator.
struct edge_source {
  enum class origin { input, op };
  origin from = origin::input;
  /// Index into graph_spec::inputs or topology::ops.
  std::size_t index = 0;
};

/// The receiving end of an edge: operator `op`, input slot `slot`.
struct consumer {
  std::size_t op = 0;
  std::size_t slot = 0;
};

struct op_node {
  const operator_spec* spec = nullptr;
  const kind_schema* kind = nullptr;
  /// Slot i (i < data_inputs.size()) receives data input i.
  std::vector<edge_source> data_inputs;
  /// The `when` edge arrives on slot data_inputs.size().
  std::optional<edge_source> gate;
  bool gate_negated = false;
  /// The gate is a `select` operator: the verdict for this operator is the tensor named after
  /// it (for other gates, `condition`).
  bool gate_per_member = false;
  /// Every edge leaving this operator.
  std::vector<consumer> consumers;
  /// Graph outputs (indices into graph_spec::outputs) taken from this operator.
  std::vector<std::size_t> output_slots;
  /// Where this operator's output also goes, besides its edges (the runtime's fill channel;
  /// not an edge: no operator waits for it): the cache whose `fill_from` it is (slot 0), and
  /// the `select` operator of an ensemble it is a member of (slot: its index in the
  /// ensemble's `inputs:`), which learns from when it answered.
  std::vector<consumer> fills;
  /// Set when every message of one request must reach the same replica (an operator with
  /// several input slots, or a cache or select that must see its own fills): the index into the
  /// request's route, chosen once by the ingress.
  std::optional<std::size_t> route_index;

  /// Its replica keeps state (`stateful: true`, or a stateful kind): it runs with a backup.
  bool stateful = false;

  std::size_t slot_count() const noexcept { return data_inputs.size() + (gate ? 1 : 0); }
};

struct topology {
  std::shared_ptr<const graph_spec> spec;
  /// Same order as spec->operators.
  std::vector<op_node> ops;
  /// For each graph input, the edges leaving it.
  std::vector<std::vector<consumer>> input_consumers;
  /// For each graph input, the graph outputs taken directly from it.
  std::vector<std::vector<std::size_t>> input_output_slots;
  /// Operators in an order where every producer comes before its consumers.
  std::vector<std::size_t> order;
  /// How many operators have a route_index.
  std::size_t routed_count = 0;

  std::size_t op_index(std::string_view name) const;  // npos when absent
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
};

/// Compiles a graph that passed validate(); a graph that did not is a bug (std::logic_error).
topology build_topology(std::shared_ptr<const graph_spec> spec);

} // namespace hogar::graph
