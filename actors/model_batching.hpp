// model_batching.hpp: the batching runtime of a model operator replica.
//
// A model replica's complete requests wait in batch queues, one per batch key (same version,
// same shapes past the batch dimension). Whenever a request arrives, a worker frees up or a
// wake-up time it asked for comes, the replica asks its batching policy
// (scheduling/batching_policy.hpp) what to dispatch, and hands each batch to a free worker: a
// detached actor, one per executor instance, so that a batch runs on a thread of its own
// while the replica goes on taking requests. Results come back as a message and are emitted
// request by request, each with the version that served it.
//
// A reload (hot swap) builds the new versions on a loader thread; requests admitted before the
// swap finish on the version that admitted them, requests after it go to the new versions, and
// none fails on the way.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/response_promise.hpp>

#include "actors/messages.hpp"
#include "actors/model_tuning.hpp"
#include "kernels/ops/model.hpp"
#include "scheduling/batching_policy.hpp"

namespace hogar {

/// Model operator -> its worker: run this batch.
using run_batch_atom = caf::atom_constant<caf::atom("runbatch")>;
/// Model operator -> itself: a batch wake-up time has come.
using batch_wake_atom = caf::atom_constant<caf::atom("batchwake")>;
/// Node (or anyone) -> model operator: read the repository again and swap to what it serves
/// now; answers a one-line summary, or an error when the new versions cannot be loaded (the
/// old ones keep serving).
using reload_atom = caf::atom_constant<caf::atom("reload")>;
/// Loader thread -> model operator: the versions it built.
using versions_atom = caf::atom_constant<caf::atom("versions")>;

/// A batch as a worker gets it. Local only (workers live in the replica's process).
struct model_batch_job {
  std::uint64_t id = 0;
  /// The intra-op threads the instance runs it with (a tuner may have changed them).
  std::size_t intra_op_threads = 1;
  std::shared_ptr<ops::model_version> version;
  std::vector<std::shared_ptr<const ops::model_request>> requests;
};

/// What a worker answers: each request's outputs, or the error that failed the batch.
struct model_batch_result {
  std::uint64_t id = 0;
  std::vector<record> outputs;
  std::optional<error_info> error;
  /// The worker's own time on the batch (stacking, running, splitting), nanoseconds.
  std::int64_t run_ns = 0;
  /// CPU time the batch used: the worker's thread and its instance's pool, nanoseconds.
  std::int64_t cpu_ns = 0;
  /// Where that time went.
  ops::batch_timing timing;
};

/// What the loader thread built (or why it could not).
struct loaded_versions {
  std::shared_ptr<const ops::model_versions> versions;
  std::optional<error_info> error;
};

/// A request of a model replica waiting for its batch.
struct waiting_request {
  context_ptr ctx;
  caf::strong_actor_ptr assigner;
  /// When its inputs were complete (actor clock, ns): the start of its latency.
  std::int64_t ready_ns = 0;
  served_trace trace;
  /// The version that admitted it: it runs there, even after a swap.
  std::shared_ptr<ops::model_version> version;
  std::shared_ptr<const ops::model_request> request;
};

/// A batch on a worker.
struct running_batch {
  std::vector<waiting_request> requests;
  std::shared_ptr<ops::model_version> version;
  std::size_t worker = 0;
  std::int64_t items = 0;
  std::int64_t dispatched_ns = 0;
};

struct model_runtime {
  /// The replica's operation (owned by operator_init::impl).
  ops::model_operation* op = nullptr;
  std::unique_ptr<scheduling::batching_policy> policy;
  /// Waiting requests per batch key, each queue oldest first.
  std::map<std::string, std::deque<waiting_request>> queues;
  /// Requests in all queues.
  std::size_t waiting = 0;
  /// One per executor instance: worker i runs instance i of every version.
  std::vector<caf::actor> workers;
  std::vector<bool> busy;
  /// Instances that take batches now (the `instances` knob; a worker past it finishes its
  /// batch and takes no more), and the intra-op threads each runs with.
  std::size_t active_instances = 1;
  std::size_t intra_op_threads = 1;
  /// Statistics windows and the tuner.
  std::unique_ptr<model_tuning> tuning;
  std::unordered_map<std::uint64_t, running_batch> running;
  std::uint64_t next_batch = 1;
  /// The batch wake-up already asked for (0: none).
  std::int64_t wake_at_ns = 0;
  /// Reloads waiting for the loader thread, and whether it runs.
  std::vector<caf::response_promise> reloads;
  bool loading = false;
  /// A reload asked for while the loader ran: it runs again afterwards (a new version may
  /// have arrived on disk in the meantime).
  bool reload_again = false;
  /// Figures per version served (Triton's statistics), in the order first served; versions
  /// swapped out keep theirs.
  std::vector<model_version_stats> version_stats;
};

} // namespace hogar

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hogar::model_batch_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hogar::model_batch_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hogar::loaded_versions)
