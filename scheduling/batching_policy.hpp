// batching_policy.hpp: when a model operator dispatches the requests waiting in its queue as
// one batch. Plain classes fed with clock readings: the model actor asks `decide` whenever a
// request arrives, an executor instance frees up, or the wake-up time it was given comes;
// tests step them with a fake clock and no threads.
//
// Three policies, as the graph language's `batching.policy` names them:
//   static      Triton's dynamic batcher: dispatch when max_batch_size items wait, or when the
//               oldest request has waited max_queue_delay_us.
//   slo_greedy  Rafiki: wait for a fuller batch only while the oldest request would still meet
//               the latency objective with the largest batch's (learned) latency.
//   aimd        Clipper: the batch size limit grows by 2 while batches finish under 90% of
//               the objective, holds between 90% and 100%, and shrinks by 10% above.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace hogar::scheduling {

/// One waiting request as a policy sees it.
struct queued_request {
  /// When it joined the queue, nanoseconds on the caller's clock.
  std::int64_t arrival_ns = 0;
  /// The batch items it carries (1, or its leading extent when it brings its own batch).
  std::int64_t items = 1;
};

struct batch_decision {
  /// Requests to take from the head of the queue now (0: wait).
  std::size_t take = 0;
  /// While waiting: the clock reading at which to decide again unless something happens
  /// first; nullopt: only when a request arrives.
  std::optional<std::int64_t> wake_at_ns;
};

class batching_policy {
public:
  virtual ~batching_policy() = default;

  /// What to do with `queue` (oldest first, never empty) at `now_ns`, given that an executor
  /// instance is free.
  virtual batch_decision decide(std::span<const queued_request> queue,
                                std::int64_t now_ns) const = 0;

  /// A batch of `items` took `latency_ns` from dispatch to its last output (adaptive
  /// policies learn from it).
  virtual void observe(std::int64_t items, std::int64_t latency_ns);

  /// New limits while serving (a tuner, or `hogar tune set`): the largest batch and the
  /// longest wait. Requests already queued keep their order; the next decision uses them.
  /// Adaptive policies take the batch size as their ceiling.
  virtual void set_limits(std::int64_t max_batch_size, std::int64_t max_queue_delay_us) = 0;

  /// The largest batch, in items, the policy forms now.
  virtual std::int64_t batch_size_limit() const noexcept = 0;
  /// The largest it may ever form: the limit a tuner sets (an adaptive policy's limit moves
  /// below it).
  virtual std::int64_t batch_size_ceiling() const noexcept { return batch_size_limit(); }
  /// The longest the oldest request may wait for a fuller batch, microseconds.
  virtual std::int64_t queue_delay_limit_us() const noexcept = 0;
};

/// How many requests from the head of `queue` fit in `limit_items` (at least one: a request
/// larger than the limit goes alone; the model operator refuses requests larger than the
/// model's batch limit before they queue).
std::size_t requests_within(std::span<const queued_request> queue, std::int64_t limit_items);

struct batching_config {
  /// "static", "slo_greedy" or "aimd".
  std::string policy = "static";
  std::int64_t max_batch_size = 1;
  std::int64_t max_queue_delay_us = 0;
  /// The operator's latency objective (slo_ms), microseconds; 0: none.
  std::int64_t slo_us = 0;
};

/// The policy `config` names, or an error naming the unknown policy.
result<std::unique_ptr<batching_policy>> make_batching_policy(const batching_config& config);

} // namespace hogar::scheduling
