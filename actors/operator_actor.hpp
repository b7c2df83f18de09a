// operator_actor.hpp: one replica of one operator.
//
// It gathers the inputs of a request (the join), applies the `when` condition, runs its
// operation, and sends exactly one edge_value per outgoing edge: the output, "absent" when the
// operator was skipped, or "failed" with a message naming the operator. A replica runs one call
// at a time; while simulated device time is held, further calls wait in its queue.
//
// A model operator (kind `model`) batches instead: complete requests wait in its batch queues
// (actors/model_batching.hpp) and run, many at a time, on its executor instances.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/edge_ledger.hpp"
#include "actors/messages.hpp"
#include "actors/model_batching.hpp"
#include "actors/replica_set.hpp"
#include "graph/topology.hpp"
#include "kernels/operation.hpp"
#include "scheduling/latency_histogram.hpp"
#include "scheduling/least_outstanding.hpp"

namespace hogar {

/// Deployment -> operator: where this replica's outputs go. Sent once before any request
/// (and again when recovery rewires the graph).
struct operator_wiring {
  /// One entry per edge in topology::ops[op].consumers, same order.
  std::vector<std::shared_ptr<const replica_set>> consumers;
  /// One entry per topology::op_node::fills, same order: the cache or select this operator's
  /// output also goes to.
  std::vector<std::shared_ptr<const replica_set>> fill_targets;
  /// This operator's own replica set as this process sees it: the replica gives back its
  /// share of the load there when a local sender assigned the request.
  std::shared_ptr<const replica_set> own;
  /// The graph's epoch this wiring belongs to (shown in statistics; the node stops replicas
  /// an epoch left out).
  std::uint32_t epoch = 0;
  /// Stateful operators (actors/stateful_replica.hpp): this replica is a backup (it takes
  /// no requests, only its primary's state), or, for a primary, its backup (null: none).
  bool backup_role = false;
  caf::actor backup;
  /// The graph's supervisor (null in one process): told when this replica first answers.
  caf::actor supervisor;
  /// Recovery on: what this replica sends downstream is kept until acknowledged, against this
  /// node budget, and sent again after a rewire (actors/edge_ledger.hpp). Null: recovery off.
  std::shared_ptr<replay_budget> replay;
};

using wire_atom = caf::atom_constant<caf::atom("wire")>;

/// What a replica is made from.
struct operator_init {
  std::shared_ptr<const graph::topology> topo;
  std::size_t op = 0;
  std::uint32_t replica = 0;
  std::shared_ptr<operation> impl;
};

struct operator_state {
  /// A request whose inputs are partly in.
  struct pending_join {
    std::vector<edge_value> slots;
    std::vector<bool> arrived;
    std::uint32_t received = 0;
  };

  /// A request ready to run, waiting for the replica to be free.
  struct ready_call {
    context_ptr ctx;
    std::vector<edge_value> inputs;
    /// When its inputs were complete (actor clock, ns): the start of its latency.
    std::int64_t ready_ns = 0;
    /// Who assigned the request to this replica (and counted it in its load figures).
    caf::strong_actor_ptr assigner;
  };

  /// The output of the running call, held back for its simulated device time.
  struct held_output {
    context_ptr ctx;
    record_ptr value;
    std::int64_t ready_ns = 0;
    caf::strong_actor_ptr assigner;
    served_trace trace;
  };

  operator_init init;
  const graph::op_node* node = nullptr;
  operator_wiring wiring;
  /// A message and the replica that sent it (null: the ingress, or a test).
  struct arrival {
    edge_value value;
    caf::actor from;
  };
  /// Set by the first wire_atom. A replacement can hear from senders rewired before its own
  /// node wires it: those messages wait here, since it cannot send anything on yet.
  bool wired = false;
  std::vector<arrival> early;
  /// Whether the supervisor was told of this replica's first answer.
  bool first_answer_told = false;
  /// One balancing policy per outgoing edge.
  std::vector<scheduling::least_outstanding> pickers;
  std::unordered_map<run_ref, pending_join, run_ref_hash> joins;
  std::deque<ready_call> waiting;
  bool busy = false;
  held_output held;
  std::int64_t held_since_ns = 0;
  /// The request whose operation runs right now (null between calls): an operation that
  /// crashes the actor takes this request down with it, and the ingress is told.
  context_ptr running;
  /// Stateful operators (actors/stateful_replica.hpp): outputs released so far by request
  /// (ingress, id), each until its request's deadline; the backup that was sent the whole
  /// state, and whether it acknowledged it.
  std::map<std::pair<caf::actor_addr, request_id>, released_output> released;
  std::multimap<std::int64_t, std::pair<caf::actor_addr, request_id>> released_expiry;
  caf::actor synced_backup;
  bool backup_in_sync = false;
  /// ARG's per-edge replay (actors/edge_ledger.hpp), while wiring.replay is set: messages
  /// sent and not yet acknowledged, senders to acknowledge and requests done, acks waiting
  /// for their batch to go, and whether the sweep timer runs.
  outbox sent;
  inbox received;
  ack_batches acks;
  bool sweeping = false;
  operator_stats stats;
  scheduling::latency_histogram latency;
  scheduling::rate_window rate;
  /// Set for model operators: their batch queues, policy and executor workers.
  std::unique_ptr<model_runtime> model;

  static inline const char* name = "hogar.operator";
};

caf::behavior operator_actor(caf::stateful_actor<operator_state>* self, operator_init init);

} // namespace hogar

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hogar::operator_wiring)
