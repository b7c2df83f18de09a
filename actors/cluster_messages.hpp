// cluster_messages.hpp: the messages between node daemons, and between the CLI or inspector
// and a daemon. Every type has an inspect() overload: all of them cross processes.
//
// Who talks to whom:
//   daemon <-> daemon   join_atom, heartbeat_atom (membership); spawn_atom, deploy_atom,
//                       undeploy_atom (placing a graph's replicas and wiring them)
//   CLI -> daemon       submit_atom, remove_atom, list_atom, status_atom, nodes_atom,
//                       infer_atom (with a graph name), snapshot_atom (the inspector),
//                       metadata_atom (KServe's model metadata and configuration),
//                       repo_index_atom, repo_load_atom, repo_unload_atom, model_reload_atom
//                       (the model repository), tune_atom (live knobs)
//   daemon -> daemon    local_reload_atom (hot swap of one model on every node)
//   supervisor -> daemon respawn_atom (a replacement replica), deploy_atom (a new epoch)
//   daemon -> supervisor member_down_atom (a member stopped answering heartbeats)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>

#include "actors/messages.hpp"

namespace hogar {

using join_atom = caf::atom_constant<caf::atom("join")>;
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using spawn_atom = caf::atom_constant<caf::atom("spawnops")>;
using deploy_atom = caf::atom_constant<caf::atom("deploy")>;
using undeploy_atom = caf::atom_constant<caf::atom("undeploy")>;
using submit_atom = caf::atom_constant<caf::atom("submit")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using nodes_atom = caf::atom_constant<caf::atom("nodes")>;
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
/// The node's model repository: what is in it, and in what state.
using repo_index_atom = caf::atom_constant<caf::atom("repoindex")>;
/// Serve a repository model on its own (a graph named after it); reload it when it is.
using repo_load_atom = caf::atom_constant<caf::atom("repoload")>;
/// Stop serving a repository model on its own.
using repo_unload_atom = caf::atom_constant<caf::atom("repounload")>;
/// Hot swap: every model operator of every graph that serves the model reads the repository
/// again, on every node.
using model_reload_atom = caf::atom_constant<caf::atom("mreload")>;
/// The same on one node: its own replicas only.
using local_reload_atom = caf::atom_constant<caf::atom("lreload")>;
/// What a graph takes, answers and runs on, from what the node keeps (no replica is asked):
/// (metadata_atom, graph) -> graph_metadata.
using metadata_atom = caf::atom_constant<caf::atom("metadata")>;
/// CLI or HTTP -> daemon: set knobs of a model operator on all its replicas:
/// (graph_dot_atom, graph) -> std::string: the graph's Graphviz text (the web page's layout).
using graph_dot_atom = caf::atom_constant<caf::atom("graphdot")>;
/// (tune_atom, graph, operator, knob_request) -> std::string.
using tune_atom = caf::atom_constant<caf::atom("tune")>;
/// Graph supervisor -> node, after every node has wired a graph: start taking requests for it.
using open_atom = caf::atom_constant<caf::atom("open")>;
/// Graph supervisor -> node: spawn replacement replicas of a graph the node takes part in:
/// (respawn_atom, spawn_request) -> std::vector<caf::actor>.
using respawn_atom = caf::atom_constant<caf::atom("respawn")>;
/// Node -> its graph supervisors: the member named so was declared dead (heartbeats missed,
/// or its connection lost); its replicas are lost.
using member_down_atom = caf::atom_constant<caf::atom("memberdown")>;
/// Node -> the graph supervisor it just spawned: place, spawn, wire and open the graph:
/// (place_atom) -> graph_summary.
using place_atom = caf::atom_constant<caf::atom("place")>;

/// What a node offers and how to reach it. Sent when joining and with every heartbeat.
struct node_info {
  std::string name;
  std::string host;
  std::uint16_t actor_port = 0;
  std::uint16_t http_port = 0;
  std::uint32_t cpu_threads = 0;
  std::uint32_t gpus = 0;
  std::vector<std::string> labels;
  /// Start time of this daemon process (nanoseconds since the Unix epoch): a restarted
  /// daemon has a larger one, so its "alive" overrides the "dead" others remember.
  std::int64_t incarnation = 0;
  /// The node actor, published on host:actor_port.
  caf::actor node;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_info& x) {
  return f(caf::meta::type_name("node_info"), x.name, x.host, x.actor_port, x.http_port,
           x.cpu_threads, x.gpus, x.labels, x.incarnation, x.node);
}

/// A member's health as one node sees it.
enum class member_state : std::uint8_t {
  /// Heartbeats arrive.
  alive,
  /// Heartbeats stopped for `heartbeat_miss_count` intervals: maybe hung, maybe slow.
  suspect,
  /// Its process is gone (the connection dropped) or it stayed silent twice as long.
  dead,
};

const char* to_string(member_state state) noexcept;

struct member {
  node_info info;
  member_state state = member_state::alive;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member& x) {
  auto state = static_cast<std::uint8_t>(x.state);
  auto store = [&]() -> caf::error {
    if (state > static_cast<std::uint8_t>(member_state::dead))
      return caf::make_error(caf::sec::invalid_argument, "member: unknown state");
    x.state = static_cast<member_state>(state);
    return caf::none;
  };
  return f(caf::meta::type_name("member"), x.info, state, caf::meta::load_callback(store));
}

/// One replica of one operator and the node that hosts it.
struct replica_placement {
  std::string op;
  std::uint32_t replica = 0;
  std::string node;
  /// The backup of a stateful operator's replica (it takes no requests, only state).
  bool backup = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replica_placement& x) {
  return f(caf::meta::type_name("replica_placement"), x.op, x.replica, x.node, x.backup);
}

/// A declared graph input, or a tensor of a graph's answers (KServe datatype name; -1 for a
/// dimension of any size).
struct tensor_decl {
  std::string name;
  std::string datatype;
  std::vector<std::int64_t> shape;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tensor_decl& x) {
  return f(caf::meta::type_name("tensor_decl"), x.name, x.datatype, x.shape);
}

/// A model operator of a graph, as the repository describes what it serves.
struct model_operator_info {
  std::string op;
  /// The repository model (or the ONNX file of a `path`).
  std::string model;
  /// Versions served, ascending (0 for a file).
  std::vector<std::int64_t> versions;
  /// "latest", "all", "specific" or "file" (ops::served_model_info).
  std::string version_policy;
  std::vector<std::int64_t> policy_versions;
  /// Why the repository could not say (the other fields are then empty).
  std::string problem;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_operator_info& x) {
  return f(caf::meta::type_name("model_operator_info"), x.op, x.model, x.versions,
           x.version_policy, x.policy_versions, x.problem);
}

/// What the node that places a graph works out once (kernels/operation.hpp
/// infer_graph_signature, and the repository for its model operators) and hands to every
/// node with the deployment, so that metadata requests read no model file.
struct graph_description {
  /// The tensors an answer may carry, named as answers name them.
  std::vector<tensor_decl> outputs;
  /// What could not be inferred, and why.
  std::vector<std::string> problems;
  /// Declared outputs whose tensors could not be inferred (missing from `outputs`): a request
  /// may still name them.
  std::vector<std::string> uninferred_outputs;
  /// One per model operator, in operator order.
  std::vector<model_operator_info> models;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, graph_description& x) {
  return f(caf::meta::type_name("graph_description"), x.outputs, x.problems,
           x.uninferred_outputs, x.models);
}

/// Coordinator -> node: spawn these replicas of graph `graph` (from its YAML text) and
/// answer with their handles, in the same order.
struct spawn_request {
  std::string graph;
  std::string yaml;
  std::string file;
  std::vector<replica_placement> replicas;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, spawn_request& x) {
  return f(caf::meta::type_name("spawn_request"), x.graph, x.yaml, x.file, x.replicas);
}

/// One recovery of one replica, as the graph supervisor records it.
struct recovery_record {
  std::string op;
  std::uint32_t replica = 0;
  /// The node that hosted the lost replica, and why it was lost ("the connection to node3
  /// was lost", "node3 stopped answering heartbeats", "it crashed: ...").
  std::string failed_node;
  std::string reason;
  /// Wall clock, milliseconds since the Unix epoch: when the loss was detected, and when the
  /// replacement was wired in (0: not yet).
  std::int64_t detected_unix_ms = 0;
  std::int64_t replaced_unix_ms = 0;
  /// Where the replacement runs (empty: not yet), and the epoch that wired it in.
  std::string new_node;
  std::uint32_t epoch = 0;
  /// The lost one was a stateful operator's backup (its primary kept serving).
  bool backup = false;
  /// When the replacement answered its first request (0: not yet; a backup answers none).
  std::int64_t first_answer_unix_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recovery_record& x) {
  return f(caf::meta::type_name("recovery_record"), x.op, x.replica, x.failed_node, x.reason,
           x.detected_unix_ms, x.replaced_unix_ms, x.new_node, x.epoch, x.backup,
           x.first_answer_unix_ms);
}

/// What a graph's supervisor has recovered so far, as every node of the graph shows it.
struct recovery_summary {
  /// The latest recoveries (at most 32), oldest first.
  std::vector<recovery_record> latest;
  /// Recoveries in all.
  std::uint64_t total = 0;
  /// Time from detection to the replacement wired in, for every recovery that finished:
  /// counts per bucket of scheduling::latency_histogram::bounds_ns, and their sum.
  std::vector<std::uint64_t> seconds_buckets;
  std::int64_t seconds_sum_ns = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recovery_summary& x) {
  return f(caf::meta::type_name("recovery_summary"), x.latest, x.total, x.seconds_buckets,
           x.seconds_sum_ns);
}

/// Graph supervisor -> every node: the graph is placed (or rewired after a failure); wire
/// the local replicas and start (or rewire) an ingress. `actors[i][r]` is replica r of
/// operator i (topology order of the YAML); a null handle is a lost replica not yet replaced.
struct graph_deployment {
  std::string graph;
  std::string yaml;
  std::string file;
  std::vector<std::vector<caf::actor>> actors;
  std::vector<replica_placement> placement;
  /// Worked out by the placing node (see graph_description).
  graph_description description;
  /// Raised by every rewire; a node keeps the deployment with the largest one and stops its
  /// replicas that a newer epoch no longer lists (a hung node that comes back).
  std::uint32_t epoch = 0;
  /// The graph's supervisor, and what it recovered so far.
  caf::actor supervisor;
  recovery_summary recovery;
  /// By operator: the backup of a stateful operator's replica (null: none).
  std::vector<caf::actor> backups;
  /// Why the graph cannot answer now: an operator with no live replica that no live node can
  /// host (empty: it can). Ingresses refuse new requests and fail those in flight with it.
  std::string unavailable;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, graph_deployment& x) {
  return f(caf::meta::type_name("graph_deployment"), x.graph, x.yaml, x.file, x.actors,
           x.placement, x.description, x.epoch, x.supervisor, x.recovery, x.backups,
           x.unavailable);
}

/// A graph as `hogar list` and `hogar submit` show it.
struct graph_summary {
  std::string name;
  std::string file;
  std::uint32_t operators = 0;
  std::uint32_t replicas = 0;
  std::vector<replica_placement> placement;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, graph_summary& x) {
  return f(caf::meta::type_name("graph_summary"), x.name, x.file, x.operators, x.replicas,
           x.placement);
}

/// One model of the repository, as `hogar model list` and KServe's repository index show it.
struct repository_entry {
  std::string name;
  /// Version folders with a model.onnx.
  std::vector<std::int64_t> versions;
  /// "READY" when a graph on this node serves it (its own, or one whose model operators use
  /// it), else "UNAVAILABLE" (KServe's states).
  std::string state;
  /// Why it is unavailable ("not loaded", a config error), or, when READY, the graphs that
  /// serve it ("served in graph image-analysis").
  std::string reason;
  /// Graphs whose model operators use it.
  std::vector<std::string> used_by;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, repository_entry& x) {
  return f(caf::meta::type_name("repository_entry"), x.name, x.versions, x.state, x.reason,
           x.used_by);
}

/// One replica's live figures, for `hogar status`, the inspector and /metrics.
struct replica_snapshot {
  std::string op;
  std::string kind;
  std::uint32_t replica = 0;
  std::string node;
  /// "running", "unreachable" when the replica did not answer, "lost" when it is being
  /// replaced.
  std::string state;
  operator_stats stats;
  /// The operator's latency objective from the graph file, ms; 0: none.
  double slo_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replica_snapshot& x) {
  return f(caf::meta::type_name("replica_snapshot"), x.op, x.kind, x.replica, x.node, x.state,
           x.stats, x.slo_ms);
}

struct graph_snapshot {
  graph_summary summary;
  /// The ingress of the node that took the snapshot.
  ingress_stats ingress;
  std::vector<replica_snapshot> replicas;
  /// Declared inputs, and the names of the declared outputs (graph_metadata lists the tensors
  /// of the answers).
  std::vector<tensor_decl> inputs;
  std::vector<std::string> outputs;
  /// What the placing node worked out (its models' versions name the statistics entries).
  graph_description description;
  /// The epoch of the graph's wiring as this node knows it, and its recoveries.
  std::uint32_t epoch = 0;
  recovery_summary recovery;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, graph_snapshot& x) {
  return f(caf::meta::type_name("graph_snapshot"), x.summary, x.ingress, x.replicas, x.inputs,
           x.outputs, x.description, x.epoch, x.recovery);
}

/// Messages sent again to replacements after failures: inputs by the snapshot node's ingress,
/// outputs by every replica of the graph (actors/edge_ledger.hpp).
inline std::uint64_t replayed_messages(const graph_snapshot& g) {
  auto total = g.ingress.replayed;
  for (auto& r : g.replicas)
    total += r.stats.replayed;
  return total;
}

/// One operator of a graph as KServe's model configuration describes it.
struct operator_config {
  std::string op;
  std::string kind;
  std::uint32_t replicas = 0;
  /// Model operators: executor instances per replica (1 for other kinds), and the `device`
  /// parameter ("auto", "gpu", "cpu", "reference"; empty for other kinds).
  std::int64_t instances = 1;
  std::string device;
  /// The operator's `batching` (empty policy: none).
  std::string batching_policy;
  std::int64_t max_batch_size = 0;
  std::int64_t max_queue_delay_us = 0;
  /// Its data inputs, by the name of the operator or graph input behind each.
  std::vector<std::string> inputs;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, operator_config& x) {
  return f(caf::meta::type_name("operator_config"), x.op, x.kind, x.replicas, x.instances,
           x.device, x.batching_policy, x.max_batch_size, x.max_queue_delay_us, x.inputs);
}

/// The answer to metadata_atom: a deployed graph as KServe's model metadata and model
/// configuration describe it.
struct graph_metadata {
  std::string name;
  /// The graph's file ("repository:NAME" for a model served on its own).
  std::string file;
  std::vector<tensor_decl> inputs;
  graph_description description;
  std::vector<operator_config> operators;
  /// Whether this node has opened it (its ingress takes requests).
  bool open = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, graph_metadata& x) {
  return f(caf::meta::type_name("graph_metadata"), x.name, x.file, x.inputs, x.description,
           x.operators, x.open);
}

/// Everything the inspector shows, as one node sees it.
struct cluster_snapshot {
  std::string node;
  std::vector<member> members;
  /// Since when each member (same order) has been in its state, Unix ms, as the snapshot's
  /// node saw it change (to within a heartbeat interval); 0: unknown.
  std::vector<std::int64_t> members_since_unix_ms;
  std::vector<graph_snapshot> graphs;
  /// Wall clock of the snapshot, nanoseconds since the Unix epoch.
  std::int64_t taken_at_ns = 0;
  /// Bytes of request inputs this node's ingresses keep for replay, and the limit
  /// (replay-buffer-bytes; 0 with recovery off).
  std::int64_t replay_buffer_bytes = 0;
  std::int64_t replay_buffer_limit = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_snapshot& x) {
  return f(caf::meta::type_name("cluster_snapshot"), x.node, x.members,
           x.members_since_unix_ms, x.graphs, x.taken_at_ns, x.replay_buffer_bytes,
           x.replay_buffer_limit);
}

} // namespace hogar
