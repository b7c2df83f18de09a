// operator_internal.hpp: what operator_actor.cpp and model_batching.cpp share inside one
// operator replica. Not for other actors.
#pragma once

#include <span>
#include <string>

#include <caf/stateful_actor.hpp>

#include "actors/operator_actor.hpp"
#include "actors/tuner_actor.hpp"

namespace hogar::detail {

using operator_ptr = caf::stateful_actor<operator_state>*;

/// The end of every request in a replica: sends `state`/`value`/`error` with `trace` along
/// every outgoing edge (and to the ingress and the filled cache), then gives back the
/// replica's share of the load to whoever counted it.
void finish(operator_ptr self, const context_ptr& ctx, const caf::strong_actor_ptr& assigner,
            edge_state state, const record_ptr& value, const std::string& error,
            const served_trace& trace, errc code = errc::operator_failed);

/// Counts a finished call in the latency histogram and the rate window.
void record_call(operator_ptr self, std::int64_t ready_ns, std::int64_t now_ns);

/// The versions that served a request so far, from its inputs' traces (null: none).
served_trace merged_trace(std::span<const edge_value> inputs);

/// `trace` with `entry` added (a new trace: the old one may be shared by other edges).
served_trace with_entry(const served_trace& trace, served_by entry);

// -- model operators (model_batching.cpp) ----------------------------------------------------

/// Makes the runtime of a model replica: its batching policy and one worker per instance.
void start_model_runtime(operator_ptr self, ops::model_operation& op);

/// A request with complete inputs and an open gate: checked, queued for a batch.
void model_enqueue(operator_ptr self, const context_ptr& ctx, std::span<edge_value> inputs,
                   const caf::strong_actor_ptr& assigner, std::int64_t ready_ns);

/// Dispatches what the policy says to free workers, and asks for a wake-up when it waits.
void model_dispatch(operator_ptr self);

/// A worker is done with a batch.
void model_batch_done(operator_ptr self, model_batch_result& result);

/// reload_atom: starts the loader thread (or notes a reload for after the running one).
caf::result<std::string> model_reload(operator_ptr self);

/// The loader thread's versions: swap (or report why not) and answer the waiting reloads.
void model_versions_loaded(operator_ptr self, loaded_versions& loaded);

/// Model figures for a stats snapshot (queued, in flight, batches, versions).
void model_stats(operator_ptr self, operator_stats& stats);

/// Answers every queued request with `reason` (the replica is going away).
void model_fail_all(operator_ptr self, const std::string& reason);

/// Spawns workers up to the active instances (after start, or a tuner raising them).
void model_spawn_workers(operator_ptr self);

// -- live knobs, windows and the tuner of model operators (model_tuning.cpp) -----------------

/// Starts the replica's statistics windows, and its tuner when its tuning block has a
/// learning policy.
void start_model_tuning(operator_ptr self);

/// A batch ended (its answers counted in the window already): counts its items and CPU time,
/// and closes the window when it is due (sent to the tuner, if any).
void tuning_batch_done(operator_ptr self, std::int64_t items, std::int64_t cpu_ns);

/// set_knobs_atom: checks the knobs against the tuning block's bounds and applies them.
caf::result<std::string> model_set_knobs(operator_ptr self, const knob_request& request);

/// The tuner's decision (ignored unless it comes from the current tuner).
void tuner_decided(operator_ptr self, tuner_decision& decision);

/// A down message: the tuner crashed (start a new one) or ended.
void tuner_down(operator_ptr self, const caf::down_msg& msg);

/// Tuning figures for a stats snapshot.
void tuning_stats(operator_ptr self, operator_stats& stats);

} // namespace hogar::detail
