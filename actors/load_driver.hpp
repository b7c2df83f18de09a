// load_driver.hpp: a closed-loop client that keeps `concurrency` requests in flight against an
// ingress until `requests` have been answered, timing each one. `hogar run` and the
// benchmarks use it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/messages.hpp"

namespace hogar {

struct load_plan {
  /// Request inputs, used in turn (request i sends inputs[i % size]).
  std::vector<record> inputs;
  std::size_t requests = 1;
  std::size_t concurrency = 1;
  /// Deadline of each request, milliseconds; 0: the ingress default.
  std::int64_t timeout_ms = 0;
  /// How many replies (the first ones) to keep in full, for printing.
  std::size_t keep_replies = 0;
};

struct request_outcome {
  /// Index of the request in send order.
  std::size_t index = 0;
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
  std::int64_t wall_ns = 0;

  std::size_t failures() const;
  double requests_per_second() const;
  /// Latencies of the successful requests, nanoseconds.
  std::vector<std::int64_t> latencies_ns() const;
};

/// Runs the plan to completion and returns the report (blocks the calling thread).
load_report run_load(caf::actor_system& sys, const caf::actor& ingress, load_plan plan);

} // namespace hogar
