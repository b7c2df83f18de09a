// ingress.hpp: the front door of one deployed graph.
//
// It checks a request's inputs against the graph's declared inputs, assigns the request id,
// admits or sheds it, starts it on the operators that read the graph inputs, collects the
// graph outputs, enforces the deadline, and answers the caller exactly once: the outputs, or
// an error naming the operator that failed, the input that was wrong or the outputs still
// missing when time ran out.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/edge_ledger.hpp"
#include "actors/feedback_ledger.hpp"
#include "actors/messages.hpp"
#include "actors/replay_budget.hpp"
#include "actors/replica_set.hpp"
#include "graph/topology.hpp"
#include "scheduling/deadline_queue.hpp"
#include "scheduling/least_outstanding.hpp"

namespace hogar {

/// The longest client id of a request (KServe's "id") an ingress accepts.
inline constexpr std::size_t max_answer_id_bytes = 256;

struct ingress_options {
  /// Deadline of a request that names none, milliseconds.
  std::int64_t default_timeout_ms = 30'000;
  /// Requests in flight at once; beyond it new requests are shed as overloaded.
  std::size_t max_in_flight = 65'536;
  /// Shared by the ingresses of a node: the inputs of every request in flight are kept
  /// against it, so that the request can run again after a failure. Null: recovery is off,
  /// nothing is kept, and a request whose replica is lost fails at its deadline.
  std::shared_ptr<replay_budget> replay;
  /// How long, and how many, answers are kept for feedback.
  feedback_limits feedback;
};

struct ingress_init {
  std::shared_ptr<const graph::topology> topo;
  ingress_options options;
  /// For each graph input, the replica set of each consumer (topology::input_consumers order).
  std::vector<std::vector<std::shared_ptr<const replica_set>>> input_targets;
  /// For each route index, the replica set whose replica is chosen at admission.
  std::vector<std::shared_ptr<const replica_set>> routed;
  /// The operators that learn from feedback labels (selects), by index, with their replica
  /// sets.
  std::vector<std::pair<std::size_t, std::shared_ptr<const replica_set>>> learners;
  /// The epoch of the graph's wiring these sets belong to.
  std::uint32_t epoch = 0;
  /// Set when the graph cannot answer now (an operator no live node can host): new requests
  /// are refused with it, and those in flight at the rewire fail with it.
  std::string unavailable;
};

struct ingress_state {
  struct in_flight {
    caf::response_promise promise;
    /// When it was accepted (actor clock): the start of its time in ingress_stats.
    std::int64_t accepted_ns = 0;
    std::int64_t deadline_ns = 0;
    /// Graph outputs not yet reported.
    std::uint32_t remaining = 0;
    /// One entry per graph output; null when absent (or not yet reported).
    std::vector<record_ptr> outputs;
    std::vector<bool> reported;
    /// The model versions that served the outputs reported so far.
    std::vector<served_by> served;
    /// The request's inputs in declared order, kept until it is answered: the ingress is the
    /// upstream of the graph's entry edges, and after a failure sends an input again to the
    /// replacement of the replica it went to (actors/edge_ledger.hpp).
    std::vector<record_ptr> inputs;
    /// The request's context (its id, deadline and routes), the same in every message of it.
    context_ptr ctx;
    /// The replica each entry edge's message went to (input_targets flattened, input by input);
    /// null when none was alive.
    std::vector<caf::actor> sent_to;
    /// Replicas this request crashed so far.
    std::uint32_t crashes = 0;
    /// Its inputs' bytes, held against the node's replay budget.
    replay_hold held;
    /// The name feedback gives the answer: the client's id, else the request id.
    std::string answer_id;
  };

  ingress_init init;
  request_id next_id = 1;
  std::unordered_map<request_id, in_flight> requests;
  scheduling::deadline_queue deadlines;
  /// Deadline the armed expiry timer fires for; 0: none armed.
  std::int64_t timer_ns = 0;
  std::vector<std::vector<scheduling::least_outstanding>> input_pickers;
  std::vector<scheduling::least_outstanding> route_pickers;
  ingress_stats stats;
  /// Acks of graph outputs waiting for their batch (recovery on: the replica that sent an
  /// output keeps it, and the request's inputs upstream, until acknowledged).
  ack_batches acks;
  /// The epoch of the graph's wiring; every rewire after a failure raises it.
  std::uint32_t epoch = 0;
  /// The answers given, for the feedback told about them later.
  feedback_ledger feedback;
  /// Set by drain_atom: new requests are refused, and the promise is kept once none is left.
  bool draining = false;
  caf::response_promise drained;

  static inline const char* name = "hogar.ingress";
};

/// Messages besides infer/output/expire/stats:
///   (drain_atom) -> (drain_atom) once every accepted request is answered; new ones are refused.
///   (stop_atom, std::string reason): answers every request in flight with `reason`, then quits.
///   (answered_atom, op, replica): a replica on another node gave back its share of the load.
///   (rewire_atom, ingress_init, epoch): new replica sets after a failure; an input sent to a
///     replica now gone goes again to the one that replaces it.
///   (crashed_atom, id, op): request `id` crashed a replica of `op`; the second time
///     it is answered with an error instead of being run again.
///   (feedback_atom, feedback) -> feedback_receipt: the true outcome of an answer given here,
///     counted for the graph and the model versions that served it (feedback_ledger.hpp).
caf::behavior ingress_actor(caf::stateful_actor<ingress_state>* self, ingress_init init);

} // namespace hogar

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hogar::ingress_init)
