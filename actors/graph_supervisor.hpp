// graph_supervisor.hpp: the middle of the supervision tree node -> graph supervisor ->
// replicas. One actor per deployed graph, on the node the graph was submitted to.
//
// Deploying (place_atom): it places the graph's replicas on the alive members, has each node
// spawn its share (phase 1), has every node wire the graph (phase 2), then opens it on every
// node (phase 3). A failure in any phase stops what was spawned and answers the error.
//
// Recovering: it monitors every replica. A replica is lost when its actor dies (down_msg: a
// crash, or its node's connection dropped, about 1 ms after a kill -9) or when its node stops
// answering heartbeats (the node actor's member_down_atom, for a hung node). Then:
//   1. the epoch goes up and every node gets the table with the lost replica left out:
//      senders route around it at once, and every ingress runs its requests in flight again
//      under the new epoch (operators drop messages of older runs: fencing);
//   2. a live node that fits the operator's placement spawns a replacement (another node is
//      tried while none succeeds);
//   3. the epoch goes up again with the replacement in the table, and the ingresses replay
//      what is still in flight through it.
// Stateful operators (actors/stateful_replica.hpp) get a backup on another node once the graph
// is open. A lost primary is replaced by its backup at once (promotion, one rewire), then a new
// backup is made; a lost backup is replaced. With no other node the operator runs unprotected
// and `hogar status` says so.
// No node is special: every node holds the graph's last deployment and monitors the
// supervisor; when the supervisor's node dies, the live member with the smallest name starts a
// new supervisor from that deployment (node_actor's on_supervisor_down), which raises the epoch
// and recovers what was lost with the old one's node.
// Every step is logged with its time and recorded (recovery_record) for `hogar status`, the
// inspector and /metrics. A node that comes back after being declared dead gets the newer
// epoch and stops its stale replicas (node_actor's on_deploy).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/cluster_messages.hpp"
#include "actors/wiring.hpp"
#include "graph/topology.hpp"
#include "scheduling/latency_histogram.hpp"

namespace hogar {

struct supervisor_init {
  std::string name;
  std::string yaml;
  std::string file;
  std::shared_ptr<const graph::topology> topo;
  /// The node actor of this daemon: asked for the live members at every step.
  caf::actor node;
  /// For the log: this node's name and log level.
  std::string node_name;
  std::string log_level;
  /// Where model operators find their models (describing the graph reads them).
  std::string model_repository;
  /// Off (the daemon's `recovery = false`): a lost replica is logged and left lost.
  bool recovery = true;
  /// Set when this supervisor takes over from one that stopped (its node died): the graph
  /// as that one last deployed it. The new supervisor starts open, one epoch later.
  std::optional<graph_deployment> adopt;
};

struct graph_supervisor_state {
  supervisor_init init;
  /// Raised by every rewire.
  std::uint32_t epoch = 0;
  /// Replica handles, table[op][replica]; null: lost and not yet replaced.
  replica_table table;
  /// By operator: the backup of a stateful operator's replica (null: none yet), and whether
  /// one is being spawned, or no node could take one (logged once).
  std::vector<caf::actor> backups;
  std::vector<bool> backup_pending;
  std::vector<bool> unprotected_logged;
  /// Operators with no live replica that no live node can host now, and why.
  std::map<std::size_t, std::string> unplaceable;
  /// Where each replica runs (one entry per replica, operator order).
  std::vector<replica_placement> placement;
  /// A replacement (or backup) asked of a node and not answered yet, by request number: when
  /// that node is declared dead it is asked of another at once, not after the timeout.
  struct pending_spawn {
    std::string node;
    std::size_t op = 0;
    std::uint32_t replica = 0;
    bool backup = false;
  };
  std::map<std::uint64_t, pending_spawn> spawning;
  std::uint64_t next_spawn = 0;
  /// Daemon processes whose replicas stopped because they are shutting down: no replacement
  /// is placed there (a restarted daemon is a new process and hosts again).
  std::set<caf::node_id> leaving;
  graph_description description;
  /// Set once every node opened the graph: from then on a lost replica is recovered (before,
  /// the deployment fails).
  bool open = false;
  /// While deploying: stops what was spawned and answers the submit with the error.
  std::function<void(const caf::error&)> abort_deploy;
  /// What was recovered so far, and how long each took (the histogram behind
  /// recovery.seconds_buckets).
  recovery_summary recovery;
  scheduling::latency_histogram recovery_times;

  static inline const char* name = "hogar.graph_supervisor";
};

/// Messages: (place_atom) -> graph_summary, once; (member_down_atom, node name).
caf::behavior graph_supervisor(caf::stateful_actor<graph_supervisor_state>* self,
                               supervisor_init init);

} // namespace hogar

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hogar::supervisor_init)
