// latency_histogram.hpp: latencies counted in fixed buckets: cheap to record on the hot path,
// small to ship to the inspector, and exactly what Prometheus histograms expose.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace hogar::scheduling {

class latency_histogram {
public:
  /// Upper bounds of the buckets in nanoseconds (50 us ... 10 s); a last, implicit bucket
  /// holds everything above.
  static constexpr std::array<std::int64_t, 17> bounds_ns = {
    50'000,      100'000,     250'000,       500'000,       1'000'000,     2'500'000,
    5'000'000,   10'000'000,  25'000'000,    50'000'000,    100'000'000,   250'000'000,
    500'000'000, 1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
  static constexpr std::size_t bucket_count = bounds_ns.size() + 1;

  void record(std::int64_t ns) noexcept {
    std::size_t i = 0;
    while (i < bounds_ns.size() && ns > bounds_ns[i])
      ++i;
    ++counts_[i];
    ++count_;
    sum_ns_ += ns;
  }

  std::uint64_t count() const noexcept { return count_; }
  std::int64_t sum_ns() const noexcept { return sum_ns_; }
  /// Per-bucket counts (not cumulative).
  std::span<const std::uint64_t> counts() const noexcept { return counts_; }

  /// Estimated p-th percentile (0..100) of per-bucket `counts`, interpolating linearly
  /// inside the bucket; 0 without samples. Values above the last bound report that bound.
  static double percentile_us(std::span<const std::uint64_t> counts, double p);

private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::int64_t sum_ns_ = 0;
};

/// Events per second over a sliding window of whole seconds, fed with a clock reading.
class rate_window {
public:
  static constexpr std::size_t seconds = 10;

  void record(std::int64_t now_ns) noexcept {
    advance(now_ns);
    ++slots_[current_ % seconds];
  }

  /// Mean rate over the completed seconds of the window (the current one excluded).
  double per_second(std::int64_t now_ns) noexcept {
    advance(now_ns);
    std::uint64_t total = 0;
    std::size_t filled = 0;
    for (std::size_t k = 1; k < seconds && k <= current_ - first_; ++k) {
      total += slots_[(current_ - k) % seconds];
      ++filled;
    }
    return filled == 0 ? 0.0 : static_cast<double>(total) / static_cast<double>(filled);
  }

private:
  void advance(std::int64_t now_ns) noexcept {
    auto second = static_cast<std::uint64_t>(now_ns / 1'000'000'000);
    if (!started_) {
      started_ = true;
      current_ = first_ = second;
      return;
    }
    while (current_ < second) {
      ++current_;
      slots_[current_ % seconds] = 0;
      if (current_ - first_ > seconds)
        first_ = current_ - seconds;
    }
  }

  std::array<std::uint64_t, seconds> slots_{};
  std::uint64_t current_ = 0;
  std::uint64_t first_ = 0;
  bool started_ = false;
};

} // namespace hogar::scheduling
