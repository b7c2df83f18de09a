// node_actor.hpp: the actor at the heart of a daemon, published on its actor port.
//
// It starts a graph supervisor (actors/graph_supervisor.hpp) for each graph submitted to it,
// spawns the replicas supervisors ask it to host, wires them, runs one ingress per graph, and
// answers the CLI and the inspector (node_actor.cpp). It keeps the membership view: joins,
// heartbeats, lost connections (node_membership.cpp); and serves the model repository
// (node_repository.cpp). Graph state: a graph submitted to any node is deployed on every live
// node (replicas where placement put them, an ingress on all), so any node can take requests
// for it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>

#include "actors/cluster_messages.hpp"
#include "actors/ingress.hpp"
#include "actors/membership.hpp"
#include "actors/replica_set.hpp"
#include "actors/wiring.hpp"
#include "config/node_options.hpp"
#include "graph/topology.hpp"

namespace hogar {

/// Node -> connector actor: reach the node actor at host:port.
using connect_atom = caf::atom_constant<caf::atom("connect")>;

struct node_config {
  config::node_options options;
  /// This node as others see it (the node handle is filled in by the actor itself).
  node_info self;
  ingress_options ingress;
};

/// A graph this node takes part in.
struct hosted_graph {
  std::string yaml;
  std::string file;
  std::shared_ptr<const graph::topology> topo;
  replica_table actors;
  std::vector<replica_placement> placement;
  std::vector<std::shared_ptr<replica_set>> sets;
  /// Set once the graph is open on this node.
  caf::actor ingress;
  /// Its answers' tensors and models, from the placing node (metadata reads nothing else).
  graph_description description;
  /// The epoch of the wiring this node runs, the graph's supervisor (on the node it was
  /// submitted to), and the recoveries so far as the supervisor last told.
  std::uint32_t epoch = 0;
  caf::actor supervisor;
  recovery_summary recovery;
  /// By operator: the backup of a stateful operator's replica (null: none).
  std::vector<caf::actor> backups;
  /// The supervisor this node monitors (to take over when it goes).
  caf::actor watched_supervisor;
  /// Why the graph cannot answer now (graph_deployment::unavailable); empty: it can.
  std::string unavailable;
};

struct node_state {
  node_config cfg;
  std::unique_ptr<membership> members;
  std::map<std::string, hosted_graph> graphs;
  /// Replicas spawned here for graphs still being deployed, by graph name.
  std::map<std::string, std::vector<caf::actor>> spawned;
  std::map<std::string, std::shared_ptr<const graph::topology>> spawned_topologies;
  /// The supervisors of the graphs submitted to this node, by graph name.
  std::map<std::string, caf::actor> supervisors;
  /// Members this node believes dead: a member newly in it is reported to the supervisors.
  std::set<std::string> dead_members;
  /// Each member's state as this node last saw it, and since when (Unix ms): the web page
  /// shows how long a node has been dead or suspect.
  std::map<std::string, std::pair<member_state, std::int64_t>> member_since;
  /// "host:port" endpoints with a connection attempt under way.
  std::set<std::string> connecting;
  /// Last connection attempt per endpoint, nanoseconds on the actor clock.
  std::map<std::string, std::int64_t> last_attempt_ns;

  static inline const char* name = "hogar.node";
};

caf::behavior node_actor(caf::stateful_actor<node_state>* self, node_config cfg);

} // namespace hogar

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hogar::node_config)
