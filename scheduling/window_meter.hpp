// window_meter.hpp: the statistics window of a model operator (issue 10): what happened
// between two clock readings, as a tuner learns from it. The operator counts each arrival,
// each answer (its latency from arrival) and each batch (its items and CPU time); a window
// closes after a number of answers or a length of time, whichever comes first, and another
// starts at once. A plain class fed with clock readings: tests step it with no threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "scheduling/tuning_policy.hpp"

namespace hogar::scheduling {

struct window_limits {
  /// Answers that close a window (0: no limit).
  std::uint64_t requests = 100;
  /// Length that closes a window, nanoseconds (0: no limit).
  std::int64_t length_ns = 10'000'000'000;
};

class window_meter {
public:
  /// `slo_ms` 0: no objective, no violations.
  window_meter(window_limits limits, double slo_ms, std::int64_t now_ns);

  void arrival() noexcept { ++arrivals_; }
  void answered(std::int64_t latency_ns);
  void batch(std::int64_t items, std::int64_t cpu_ns) noexcept;

  /// Whether the window is complete at `now_ns` (an empty window never is: there is nothing
  /// to learn from it; it closes with its first answer once its time is up).
  bool due(std::int64_t now_ns) const noexcept;
  std::uint64_t answers() const noexcept { return answers_; }

  /// The window's figures under `config`; the next window starts at `now_ns`.
  window_observation close(std::int64_t now_ns, std::vector<std::int64_t> config);

private:
  /// Latencies kept for the p99: enough for any sensible window, bounded whatever the load.
  static constexpr std::size_t max_samples = 100'000;

  window_limits limits_;
  double slo_ns_;
  std::int64_t start_ns_;
  std::uint64_t arrivals_ = 0;
  std::uint64_t answers_ = 0;
  std::uint64_t violations_ = 0;
  double latency_sum_ns_ = 0;
  std::vector<std::int64_t> samples_;
  std::uint64_t batches_ = 0;
  std::int64_t batch_items_ = 0;
  std::int64_t cpu_ns_ = 0;
};

} // namespace hogar::scheduling
