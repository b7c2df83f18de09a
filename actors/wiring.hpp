// wiring.hpp: turning a table of replica handles into this process's view of a graph.
//
// Every process that hosts replicas or an ingress of a graph builds its own replica sets
// from the same table (op x replica -> actor handle): one set per operator, shared by all
// senders in the process, so that least-outstanding balancing counts their load together.
#pragma once

#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/ingress.hpp"
#include "actors/replica_set.hpp"
#include "graph/topology.hpp"
#include "kernels/operation.hpp"
#include "base/result.hpp"

namespace hogar {

/// The handles of every replica: actors[op][replica].
using replica_table = std::vector<std::vector<caf::actor>>;

/// Builds the operation of replica `replica` of operator `op` and spawns its actor (not yet
/// wired); an error names the operator and its position in the graph file.
result<caf::actor> spawn_replica(caf::actor_system& sys,
                                 std::shared_ptr<const graph::topology> topo, std::size_t op,
                                 std::uint32_t replica, const operation_context& context);

/// One replica set per operator, with fresh load counters; `backups[op]` (when given) is the
/// backup of a stateful operator's replica.
std::vector<std::shared_ptr<replica_set>> make_replica_sets(const replica_table& actors,
                                                            const std::vector<caf::actor>& backups = {});

/// Sends its wiring (for the graph's `epoch`) to every replica in `sets` that lives in this
/// actor system, and to every backup here (wired as a backup). With `replay` (recovery on),
/// replicas keep what they send until it is acknowledged, against that budget.
void wire_local_replicas(caf::actor_system& sys, const graph::topology& topo,
                         const std::vector<std::shared_ptr<replica_set>>& sets,
                         std::uint32_t epoch = 0, const caf::actor& supervisor = {},
                         std::shared_ptr<replay_budget> replay = nullptr);

/// What an ingress in this process needs to reach the graph.
ingress_init make_ingress_init(std::shared_ptr<const graph::topology> topo,
                               const std::vector<std::shared_ptr<replica_set>>& sets,
                               const ingress_options& options, std::uint32_t epoch = 0);

} // namespace hogar
