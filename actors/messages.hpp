// messages.hpp: every message that crosses an actor boundary in hogar, with its inspect()
// overload so that it can travel between processes. Tensors travel as one byte string
// (memcpy-serialized by CAF), never element by element.
//
// The data path: a client sends (infer_atom, infer_request) to a graph's ingress; the ingress
// assigns a request id, makes one shared request_context, and sends (deliver_atom, edge_value)
// to the operators that read the graph inputs. Each operator replica sends exactly one
// edge_value per outgoing edge and request (present, absent or failed), so a join always
// learns when all of its inputs are in, and the ingress gets (output_atom, edge_value) for every
// graph output. Edges are named by (request id, receiving operator, slot): room for the
// acknowledgements and replay of ARG recovery.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include "base/result.hpp"
#include "kernels/member_outcome.hpp"
#include "kernels/served_by.hpp"
#include "kernels/tensor.hpp"

namespace hogar {

// -- atoms (CAF 0.17: at most 10 characters) ------------------------------------------------

/// Client -> ingress: run one request through the graph.
using infer_atom = caf::atom_constant<caf::atom("infer")>;
/// Producer -> operator: one edge's value for one request.
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
/// Operator -> ingress: one graph output's value for one request.
using output_atom = caf::atom_constant<caf::atom("output")>;
/// `fill_from` operator -> cache: the value to remember for a missed request.
using fill_atom = caf::atom_constant<caf::atom("fill")>;
/// Operator -> itself: the simulated device time of the running call is over.
using release_atom = caf::atom_constant<caf::atom("release")>;
/// Ingress -> itself: the earliest queued deadline has come.
using expire_atom = caf::atom_constant<caf::atom("expire")>;
/// Anyone -> ingress or operator: reply with a statistics snapshot.
using stats_atom = caf::atom_constant<caf::atom("stats")>;
/// Replica on another node -> the sender that assigned it a request: (op, replica) has
/// answered it, so the sender's load figures for that replica go down by one.
using answered_atom = caf::atom_constant<caf::atom("answered")>;
/// Node -> ingress (or daemon): stop taking requests, answer when all in flight are answered.
using drain_atom = caf::atom_constant<caf::atom("drain")>;
/// Node -> ingress: answer everything in flight with the given reason, then stop.
using stop_atom = caf::atom_constant<caf::atom("stop")>;
/// Node -> ingress: the graph was rewired after a failure (a new epoch); send the inputs that
/// went to a replica now gone again, through the new wiring.
using rewire_atom = caf::atom_constant<caf::atom("rewire")>;
/// Operator -> ingress: (crashed_atom, id, op name): request `id` crashed a replica of this
/// operator (its actor died while running it); after two crashes the request is answered with
/// an error, not retried. Operator -> its upstream senders: (crashed_atom, op, edge_ack): the
/// same, so that they send the message again once only (actors/edge_ledger.hpp).
using crashed_atom = caf::atom_constant<caf::atom("crashed")>;
/// Operator -> the replicas that sent it a request's messages: (ack_atom, op, acks): those
/// messages were consumed, the senders may forget them (actors/edge_ledger.hpp).
using ack_atom = caf::atom_constant<caf::atom("ack")>;
/// Operator -> itself: send the acknowledgements gathered since the last flush.
using flush_atom = caf::atom_constant<caf::atom("flush")>;
/// Operator -> itself, every second: forget what was kept for requests past their deadline.
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
/// Stateful primary -> its backup: the state after one call and the output it releases
/// next; the backup acknowledges before the output goes downstream.
using backup_atom = caf::atom_constant<caf::atom("backup")>;
/// Stateful primary -> a new backup: the whole state and every output it may be asked for
/// again.
using sync_atom = caf::atom_constant<caf::atom("sync")>;
/// Replica -> its graph's supervisor, once: (first_atom, op, replica, unix ms) when it
/// answers its first request; for a replacement, the end of its recovery as clients see it.
using first_atom = caf::atom_constant<caf::atom("first")>;
/// Caller -> ingress (or node -> its ingress): (feedback_atom, feedback) -> feedback_receipt;
/// the true outcome of an answered request (actors/feedback_ledger.hpp).
using feedback_atom = caf::atom_constant<caf::atom("feedback")>;
/// Node -> another node: (feedback_here_atom, graph, feedback) -> feedback_receipt; the same,
/// asked of that node's ingress only (an answer is kept by the node that gave it).
using feedback_here_atom = caf::atom_constant<caf::atom("feedhere")>;

// -- tensors and records --------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tensor& x) {
  if constexpr (Inspector::reads_state) {
    auto type = static_cast<std::uint8_t>(x.type());
    auto shape = x.shape();
    std::vector<char> empty;
    auto& bytes = x.storage() ? *x.storage() : empty;
    return f(caf::meta::type_name("tensor"), type, shape, bytes);
  } else {
    std::uint8_t type = 0;
    shape_t shape;
    std::vector<char> bytes;
    auto rebuild = [&]() -> caf::error {
      if (type > static_cast<std::uint8_t>(dtype::boolean))
        return caf::make_error(caf::sec::invalid_argument, "tensor: unknown dtype code");
      try {
        x = tensor{static_cast<dtype>(type), std::move(shape), std::move(bytes)};
      } catch (const std::exception& e) {
        return caf::make_error(caf::sec::invalid_argument, std::string{"tensor: "} + e.what());
      }
      return caf::none;
    };
    return f(caf::meta::type_name("tensor"), type, shape, bytes,
             caf::meta::load_callback(rebuild));
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, named_tensor& x) {
  return f(caf::meta::type_name("named_tensor"), x.name, x.value);
}

/// A record behind a shared pointer; a null pointer is sent as an empty flag.
struct shared_record {
  record_ptr ptr;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shared_record& x) {
  if constexpr (Inspector::reads_state) {
    bool present = x.ptr != nullptr;
    record empty;
    auto& r = present ? const_cast<record&>(*x.ptr) : empty;
    return f(caf::meta::type_name("shared_record"), present, r);
  } else {
    bool present = false;
    record r;
    auto rebuild = [&]() -> caf::error {
      x.ptr = present ? std::make_shared<const record>(std::move(r)) : nullptr;
      return caf::none;
    };
    return f(caf::meta::type_name("shared_record"), present, r,
             caf::meta::load_callback(rebuild));
  }
}

// -- the data path --------------------------------------------------------------------------

using request_id = std::uint64_t;

/// What every message of one request shares; made once by the ingress and never changed.
struct request_context {
  request_id id = 0;
  /// Steady-clock deadline in nanoseconds since the clock's epoch; 0: none. Operators skip
  /// work for requests past it.
  std::int64_t deadline_ns = 0;
  /// The ingress that answers the caller and collects the graph outputs.
  caf::actor ingress;
  /// For each operator with a route index (graph/topology.hpp), the replica that receives all
  /// of this request's messages, chosen at admission.
  std::vector<std::uint16_t> route;
};

using context_ptr = std::shared_ptr<const request_context>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_context& x) {
  return f(caf::meta::type_name("request_context"), x.id, x.deadline_ns, x.ingress, x.route);
}

/// The state of an edge for one request.
enum class edge_state : std::uint8_t {
  /// A record arrived.
  present,
  /// The producer was skipped (a false condition upstream): consumers treat it as missing.
  absent,
  /// The request failed upstream; `error` says where and why.
  failed,
};

/// The model versions that served a request so far, shared along its edges; null: none.
using served_trace = std::shared_ptr<const std::vector<served_by>>;

/// One edge's value for one request.
struct edge_value {
  context_ptr ctx;
  /// The receiving operator's input slot, or the graph output index when sent to the ingress.
  std::uint32_t slot = 0;
  edge_state state = edge_state::absent;
  /// Set when state == present.
  record_ptr value;
  /// Set when state == failed: names the operator that failed and why.
  std::string error;
  /// The model versions that served the request on its way here.
  served_trace trace;
  /// Set when state == failed: what kind of failure, which decides the caller's error code
  /// (HTTP status): a request a model refused is the client's error, a kernel that failed is
  /// not.
  errc code = errc::operator_failed;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, served_by& x) {
  return f(caf::meta::type_name("served_by"), x.op, x.model, x.version, x.branch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, edge_value& x) {
  if constexpr (Inspector::reads_state) {
    request_context empty_ctx;
    auto& ctx = x.ctx ? const_cast<request_context&>(*x.ctx) : empty_ctx;
    auto state = static_cast<std::uint8_t>(x.state);
    shared_record value{x.value};
    std::vector<served_by> empty_trace;
    auto& trace = x.trace ? const_cast<std::vector<served_by>&>(*x.trace) : empty_trace;
    auto code = static_cast<std::uint8_t>(x.code);
    return f(caf::meta::type_name("edge_value"), ctx, x.slot, state, value, x.error, trace, code);
  } else {
    request_context ctx;
    std::uint8_t state = 0;
    shared_record value;
    std::vector<served_by> trace;
    std::uint8_t code = 0;
    auto rebuild = [&]() -> caf::error {
      if (state > static_cast<std::uint8_t>(edge_state::failed))
        return caf::make_error(caf::sec::invalid_argument, "edge_value: unknown state");
      x.ctx = std::make_shared<const request_context>(std::move(ctx));
      x.state = static_cast<edge_state>(state);
      x.value = std::move(value.ptr);
      if (!trace.empty())
        x.trace = std::make_shared<const std::vector<served_by>>(std::move(trace));
      if (code > static_cast<std::uint8_t>(errc::unsupported))
        return caf::make_error(caf::sec::invalid_argument, "edge_value: unknown error code");
      x.code = static_cast<errc>(code);
      return caf::none;
    };
    return f(caf::meta::type_name("edge_value"), ctx, x.slot, state, value, x.error, trace, code,
             caf::meta::load_callback(rebuild));
  }
}

/// An output a stateful replica released for one request, kept until the request's deadline:
/// when the request reaches it again (sent again after a failure), the replica answers
/// with this output instead of running the operation, and its state changes once.
struct released_output {
  /// The request: its ingress and the id that ingress gave it.
  caf::actor ingress;
  request_id id = 0;
  std::int64_t deadline_ns = 0;
  shared_record value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, released_output& x) {
  return f(caf::meta::type_name("released_output"), x.ingress, x.id, x.deadline_ns, x.value);
}

/// Primary -> backup, for one call: the operation's state after it, and its output.
struct state_replication {
  record state;
  released_output output;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, state_replication& x) {
  return f(caf::meta::type_name("state_replication"), x.state, x.output);
}

/// Primary -> a new backup: everything it must hold to take over.
struct backup_sync {
  record state;
  std::vector<released_output> released;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backup_sync& x) {
  return f(caf::meta::type_name("backup_sync"), x.state, x.released);
}

/// A client's request: the graph inputs by name.
struct infer_request {
  record inputs;
  /// Deadline relative to arrival at the ingress, milliseconds; 0: the ingress default.
  std::int64_t timeout_ms = 0;
  /// The client's id of the request (KServe's "id"); empty: the answer is known by the
  /// request id the ingress gives it. Feedback names the answer by it (feedback_ledger.hpp).
  std::string client_id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, infer_request& x) {
  return f(caf::meta::type_name("infer_request"), x.inputs, x.timeout_ms, x.client_id);
}

/// The answer to an infer_request: the graph outputs by name. An output whose producer was
/// skipped by a false condition is left out.
struct infer_reply {
  request_id id = 0;
  record outputs;
  /// The model versions that served it, one per model operator it went through.
  std::vector<served_by> served;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, infer_reply& x) {
  return f(caf::meta::type_name("infer_reply"), x.id, x.outputs, x.served);
}

/// The true outcome of an answered request, told afterwards (`POST /v2/models/{graph}/
/// feedback`, `hogar feedback`): a class label, or the expected values of graph outputs.
struct feedback {
  /// The answer's id: the client's, or the ingress's request id when the client gave none.
  std::string id;
  bool has_label = false;
  /// Compared with the class the answer predicted (feedback_ledger.hpp says which): that of
  /// the answer's tensor `output`, or of its first tensor when `output` is empty.
  std::int64_t label = 0;
  std::string output;
  /// Expected tensors by the name the answer gave them; scored by their mean absolute error.
  record expected;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feedback& x) {
  return f(caf::meta::type_name("feedback"), x.id, x.has_label, x.label, x.output, x.expected);
}

/// How the answers of one model version (or of the whole graph: empty op) fared against the
/// feedback given for them.
struct outcome_stats {
  /// The model operator, its model and version; op empty: every answer of the graph.
  std::string op;
  std::string model;
  std::int64_t version = 0;
  /// Answers with feedback, and the sum of their latencies (acceptance to answer).
  std::uint64_t count = 0;
  std::int64_t latency_ns = 0;
  /// Label feedback: how many, and how many of those the answer predicted.
  std::uint64_t labelled = 0;
  std::uint64_t correct = 0;
  /// Expected-value feedback: how many, and the sums of their mean absolute errors and of
  /// its square (for the confidence interval of a difference).
  std::uint64_t scored = 0;
  double error_sum = 0;
  double error_square_sum = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outcome_stats& x) {
  return f(caf::meta::type_name("outcome_stats"), x.op, x.model, x.version, x.count,
           x.latency_ns, x.labelled, x.correct, x.scored, x.error_sum, x.error_square_sum);
}

/// What one feedback did: the answer's predicted label (label feedback) or mean absolute
/// error (expected values), counted for the graph and for each model version that served it.
struct feedback_receipt {
  std::string id;
  bool has_label = false;
  std::int64_t predicted = 0;
  bool correct = false;
  double error = 0;
  /// The model versions it was counted for.
  std::vector<served_by> served;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feedback_receipt& x) {
  return f(caf::meta::type_name("feedback_receipt"), x.id, x.has_label, x.predicted, x.correct,
           x.error, x.served);
}

/// One batch size's figures in a model operator (Triton's batch_stats): the batches of that
/// many items run, and their cumulative times, each batch counted once.
struct batch_size_stats {
  std::int64_t batch_size = 0;
  std::uint64_t count = 0;
  /// Stacking the requests' tensors into the batch's inputs.
  std::int64_t compute_input_ns = 0;
  /// The executor's run of the model.
  std::int64_t compute_infer_ns = 0;
  /// Splitting the batch's outputs back into the requests' records.
  std::int64_t compute_output_ns = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_size_stats& x) {
  return f(caf::meta::type_name("batch_size_stats"), x.batch_size, x.count, x.compute_input_ns,
           x.compute_infer_ns, x.compute_output_ns);
}

/// A model operator replica's figures for one model version it served (Triton's statistics
/// extension, per model and version). Per request, as Triton counts them: a request in a
/// batch adds the whole batch's compute times.
struct model_version_stats {
  /// The repository model (or the file of a `path`) and its version (0 for a file).
  std::string model;
  std::int64_t version = 0;
  /// Requests answered with outputs, and their time from complete inputs to the output.
  std::uint64_t success = 0;
  std::int64_t success_ns = 0;
  /// Requests this version failed (refused by admit, past their deadline in the queue, a
  /// failed batch, the replica stopped), and their time from complete inputs to the failure.
  std::uint64_t fail = 0;
  std::int64_t fail_ns = 0;
  /// Requests dispatched to a batch, and their time waiting in the batch queue.
  std::uint64_t queued = 0;
  std::int64_t queue_ns = 0;
  /// Per successful request: its batch's stacking, model run and splitting times.
  std::int64_t compute_input_ns = 0;
  std::int64_t compute_infer_ns = 0;
  std::int64_t compute_output_ns = 0;
  /// Items of successful requests (a request of shape [3, 64] counts 3), and batches run.
  std::uint64_t inference_count = 0;
  std::uint64_t execution_count = 0;
  /// Wall clock of the last batch that finished, milliseconds since the Unix epoch; 0: none.
  std::int64_t last_inference_unix_ms = 0;
  /// By batch size (items), ascending.
  std::vector<batch_size_stats> batches;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_version_stats& x) {
  return f(caf::meta::type_name("model_version_stats"), x.model, x.version, x.success,
           x.success_ns, x.fail, x.fail_ns, x.queued, x.queue_ns, x.compute_input_ns,
           x.compute_infer_ns, x.compute_output_ns, x.inference_count, x.execution_count,
           x.last_inference_unix_ms, x.batches);
}

/// One knob of a model operator and its value: batch_size, queue_delay_us, instances,
/// intra_op_threads (issue 10).
struct knob_value {
  std::string name;
  std::int64_t value = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, knob_value& x) {
  return f(caf::meta::type_name("knob_value"), x.name, x.value);
}

/// "batch_size=8 queue_delay_us=2000 instances=1 intra_op_threads=2".
std::string to_string(const std::vector<knob_value>& config);

/// Anyone -> model operator replica: (set_knobs_atom, knob_request) -> std::string (the
/// configuration in force afterwards). Knobs not named keep their value.
struct knob_request {
  std::vector<knob_value> knobs;
  /// Why, as status shows it: "hogar tune set", "tuner: explore", ...
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, knob_request& x) {
  return f(caf::meta::type_name("knob_request"), x.knobs, x.reason);
}

/// A change of a model operator's configuration.
struct tuning_change {
  std::int64_t unix_ms = 0;
  std::vector<knob_value> config;
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tuning_change& x) {
  return f(caf::meta::type_name("tuning_change"), x.unix_ms, x.config, x.reason);
}

/// One statistics window of a model operator (what a tuner learns from).
struct window_stats {
  std::uint64_t requests = 0;
  double seconds = 0;
  double arrival_rate = 0;
  double mean_latency_ms = 0;
  double p99_latency_ms = 0;
  double slo_violation_fraction = 0;
  double mean_batch_size = 0;
  /// CPU time per second of the window (1.0: one core busy).
  double cpu_cores = 0;
  std::vector<knob_value> config;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, window_stats& x) {
  return f(caf::meta::type_name("window_stats"), x.requests, x.seconds, x.arrival_rate,
           x.mean_latency_ms, x.p99_latency_ms, x.slo_violation_fraction, x.mean_batch_size,
           x.cpu_cores, x.config);
}

/// A model operator replica's tuning, as status, the inspector and /metrics show it.
struct tuning_status {
  /// "rrl", "q_learning", "static"; empty: no tuning block.
  std::string policy;
  /// The configuration in force, and the tuner's estimate of the best one.
  std::vector<knob_value> config;
  std::vector<knob_value> best;
  /// Distinct configurations measured, windows closed, tuner restarts.
  std::uint64_t tried = 0;
  std::uint64_t windows = 0;
  std::uint64_t tuner_restarts = 0;
  /// CPU time the tuner used, and the operator (its workers and their pools), nanoseconds.
  std::int64_t tuner_cpu_ns = 0;
  std::int64_t operator_cpu_ns = 0;
  /// The last window closed (requests 0: none yet).
  window_stats last_window;
  /// The last changes, oldest first (at most 16).
  std::vector<tuning_change> changes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tuning_status& x) {
  return f(caf::meta::type_name("tuning_status"), x.policy, x.config, x.best, x.tried,
           x.windows, x.tuner_restarts, x.tuner_cpu_ns, x.operator_cpu_ns, x.last_window,
           x.changes);
}

/// Counters of one operator replica.
struct operator_stats {
  std::string op;
  std::uint32_t replica = 0;
  std::uint64_t calls = 0;
  std::uint64_t skipped = 0;
  std::uint64_t failed = 0;
  /// Calls waiting behind a busy replica right now.
  std::uint64_t queued = 0;
  /// Requests partly joined (some inputs in, others awaited) right now.
  std::uint64_t joining = 0;
  /// Sum of compute plus simulated device time, nanoseconds.
  std::int64_t busy_ns = 0;
  /// Requests inside this replica right now: joining, queued or running.
  std::uint64_t in_flight = 0;
  /// Batch settings in force (1 and 0 while the operator does not batch).
  std::int64_t batch_size_max = 1;
  std::int64_t batch_delay_max_us = 0;
  /// Model operators: batches run, and the requests they held (mean batch size = ratio).
  std::uint64_t batches = 0;
  std::uint64_t batched_requests = 0;
  /// Model operators: the versions served and their traffic weights ("detector:2 (90%),
  /// detector:3 (10%)"), and the device ("cpu", "gpu"); empty for other kinds.
  std::string versions;
  std::string device;
  /// Latency from complete inputs to released output, counted per bucket of
  /// scheduling::latency_histogram::bounds_ns (the last bucket: above every bound).
  std::vector<std::uint64_t> latency_buckets;
  std::int64_t latency_sum_ns = 0;
  /// Calls per second over the last ten seconds.
  double calls_per_second = 0;
  /// Sum of the time calls waited with complete inputs before they started (behind a busy
  /// replica, or in a model's batch queue), nanoseconds.
  std::int64_t queue_ns = 0;
  /// Model operators: figures per version served, in the order first served.
  std::vector<model_version_stats> model_versions;
  /// Stateful operators: "primary" or "backup" (empty for others), and for a primary whether
  /// a backup holds its whole state.
  std::string role;
  bool backup_in_sync = false;
  /// ARG (actors/edge_ledger.hpp): messages this replica sent downstream and keeps until they
  /// are acknowledged, and messages it sent again to a replacement after a failure.
  std::uint64_t unacknowledged = 0;
  std::uint64_t replayed = 0;
  /// Model operators: statistics windows and online tuning.
  tuning_status tuning;
  /// Selects: their ensemble's members as feedback labels judged them.
  std::vector<member_outcome> members;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_outcome& x) {
  return f(caf::meta::type_name("member_outcome"), x.member, x.labelled, x.correct, x.accuracy);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, operator_stats& x) {
  return f(caf::meta::type_name("operator_stats"), x.op, x.replica, x.calls, x.skipped,
           x.failed, x.queued, x.joining, x.busy_ns, x.in_flight, x.batch_size_max,
           x.batch_delay_max_us, x.batches, x.batched_requests, x.versions, x.device,
           x.latency_buckets, x.latency_sum_ns, x.calls_per_second, x.queue_ns,
           x.model_versions, x.role, x.backup_in_sync, x.unacknowledged, x.replayed, x.tuning,
           x.members);
}

/// Counters of one ingress.
struct ingress_stats {
  std::uint64_t accepted = 0;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t rejected = 0;
  std::uint64_t in_flight = 0;
  /// Time from acceptance to the answer, summed over the completed requests, and over the
  /// failed and timed-out ones, nanoseconds.
  std::int64_t completed_ns = 0;
  std::int64_t failed_ns = 0;
  /// Wall clock of the last answer with outputs, milliseconds since the Unix epoch; 0: none.
  std::int64_t last_completed_unix_ms = 0;
  /// Requests whose inputs this ingress sent again after a failure, because the replica it
  /// had sent them to was lost (one count per request and rewire), and the epoch of the
  /// graph's wiring this ingress sends through.
  std::uint64_t replayed = 0;
  std::uint32_t epoch = 0;
  /// Feedback on this ingress's answers: the graph's row first, then one per model version.
  std::vector<outcome_stats> outcomes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingress_stats& x) {
  return f(caf::meta::type_name("ingress_stats"), x.accepted, x.completed, x.failed,
           x.timed_out, x.rejected, x.in_flight, x.completed_ns, x.failed_ns,
           x.last_completed_unix_ms, x.replayed, x.epoch, x.outcomes);
}

} // namespace hogar
