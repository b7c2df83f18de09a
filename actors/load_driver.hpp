// load_driver.hpp: a client that sends requests to a target and times each one. Closed loop
// keeps `concurrency` requests in flight; open loop sends on a Poisson schedule at
// `rate_per_second` whether or not earlier requests have answered. Either stops after
// `requests` sends or when `duration` has passed, then waits for the outstanding answers.
// `hogar run`, `hogar load` and the benchmarks use it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/messages.hpp"

namespace hogar {

/// What the driver has done so far; handed to load_plan::on_progress.
struct load_progress {
  std::size_t sent = 0;
  /// Answers received, failures included.
  std::size_t answered = 0;
  /// Answers that were errors (a subset of `answered`).
  std::size_t failed = 0;
  /// Since the first request was sent.
  std::chrono::nanoseconds elapsed{0};
};

struct load_plan {
  /// Request inputs, used in turn (request i sends inputs[i % size]).
  std::vector<record> inputs;
  /// How many requests to send; 0: no count limit (then `duration` must be set).
  std::size_t requests = 1;
  /// Closed loop: requests kept in flight. Ignored in open loop.
  std::size_t concurrency = 1;
  /// Deadline of each request, milliseconds; 0: the ingress default.
  std::int64_t timeout_ms = 0;
  /// How many replies (the first ones) to keep in full, for printing.
  std::size_t keep_replies = 0;
  /// Empty: the target is an ingress, sent (infer_atom, infer_request). Otherwise the target is
  /// a daemon's node actor, sent (infer_atom, graph, infer_request), which it forwards to its
  /// ingress for that graph.
  std::string graph;
  /// Open loop: mean arrivals per second of a Poisson process; 0: closed loop.
  double rate_per_second = 0;
  /// No request is sent (open loop: scheduled) this long after the start; 0: no time limit.
  std::chrono::milliseconds duration{0};
  /// Open loop replaying a trace (`hogar load --trace FILE`): the inter-arrival times in
  /// seconds, in order, the first one before the first request; sending stops at the
  /// trace's end (or earlier at `requests` or `duration`). Overrides rate_per_second.
  std::vector<double> trace_gaps_s;
  /// Seed of the open loop's inter-arrival times; the same seed gives the same schedule.
  std::uint64_t seed = 1;
  /// Called on the driver's actor every 100 ms while it runs, and once when it is done; it
  /// must be quick (it delays the next send) and must not block.
  std::function<void(const load_progress&)> on_progress;
};

struct request_outcome {
  /// Index of the request in send order.
  std::size_t index = 0;
  /// When the request was sent, nanoseconds since the driver started.
  std::int64_t send_offset_ns = 0;
  /// When the schedule meant it to go: the open loop's arrival time (a driver that ran late
  /// sends it a little after, never before); the send time in a closed loop.
  std::int64_t scheduled_offset_ns = 0;
  std::int64_t latency_ns = 0;
  bool ok = false;
  /// Set when !ok.
  std::string error;
  /// Set for the first `keep_replies` requests that succeeded.
  std::optional<infer_reply> reply;
};

struct load_report {
  /// In completion order.
  std::vector<request_outcome> outcomes;
  /// From the first send to the last answer.
  std::int64_t wall_ns = 0;
  /// From the first send until sending stopped: the plan's duration when it ended the
  /// sending, else the send offset of the last request.
  std::int64_t send_window_ns = 0;

  std::size_t failures() const;
  /// Answers per second of wall time.
  double requests_per_second() const;
  /// Requests sent per second of the send window: the offered rate, which in open loop does
  /// not depend on how fast the target answers.
  double sent_per_second() const;
  /// Latencies of the successful requests, nanoseconds.
  std::vector<std::int64_t> latencies_ns() const;
};

/// Runs the plan to completion and returns the report (blocks the calling thread). `target` is
/// an ingress, or a node actor when plan.graph is set. A plan with no inputs, or with neither
/// a request count nor a duration, sends nothing.
load_report run_load(caf::actor_system& sys, const caf::actor& target, load_plan plan);

} // namespace hogar
