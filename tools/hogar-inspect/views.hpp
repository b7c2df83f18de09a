// views.hpp: the inspector's three views of a cluster snapshot, as lines of text: the graph
// (operators in topological order with their figures over all replicas), the nodes and what
// each hosts, and the recoveries. Plain functions of the snapshot's JSON (actors/metrics.hpp's
// to_json), so they are tested without a terminal or a daemon; main.cpp owns the connection,
// the keys and the scrolling.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hogar::inspector {

/// Each operator's inputs by name (operators or graph inputs), as the daemon's graph metadata
/// gives them (graph_metadata::operators): the edges the snapshot itself does not carry.
using operator_inputs = std::map<std::string, std::vector<std::string>>;

/// An operator's health over its replicas, worst first (see operator_state()).
enum class health {
  /// No replica is running.
  dead,
  /// A replica is not running (lost, or not answering) while another one is.
  recovering,
  /// Failed calls grew since the previous snapshot.
  failing,
  /// The worst replica's p99 is over the operator's slo_ms.
  slow,
  healthy,
};

const char* to_string(health h);

/// The graphs of the snapshot, in its order.
std::vector<std::string> graph_names(const nlohmann::json& now);

/// The operators of `graph` (an element of the snapshot's "graphs"), producers before their
/// consumers when `inputs` gives the edges, else in the order they first appear in its
/// replicas (which is the graph file's order: see views.cpp). Ties keep the replicas' order.
std::vector<std::string> operator_order(const nlohmann::json& graph,
                                        const operator_inputs* inputs = nullptr);

/// The health of operator `op` in `graph`; `before` is the same graph in the previous
/// snapshot (nullptr: none, then it cannot be failing).
health operator_state(const nlohmann::json& graph, const nlohmann::json* before,
                      const std::string& op);

/// The graph view of graph `graph` of snapshot `now`: its ingress line, then one line per
/// operator in topological order with its figures over its replicas, one indented line per
/// replica when it has several (and a tuning line per tuned replica). `before` is the
/// previous snapshot, for the shares of skipped and failed calls since then (nullptr: since
/// the replicas started). An unknown graph gives one line saying so.
std::vector<std::string> graph_view(const nlohmann::json& now, const nlohmann::json* before,
                                    const std::string& graph,
                                    const operator_inputs* inputs = nullptr);

/// One block per node: its state, addresses, resources and labels, the replicas it hosts
/// (graph/operator#replica), and the replicas that were moved away from it after it failed.
std::vector<std::string> nodes_view(const nlohmann::json& now);

/// Per graph: epoch, recoveries, messages replayed, and every recovery the snapshot keeps.
std::vector<std::string> recoveries_view(const nlohmann::json& now);

/// `text` on one line: newlines, tabs and other control characters written as escapes, so a
/// name cannot break the layout.
std::string one_line(const std::string& text);

} // namespace hogar::inspector
