#include "scheduling/batching_policy.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace hogar::scheduling {

namespace {

constexpr std::int64_t ns_per_us = 1000;

std::int64_t items_of(std::span<const queued_request> queue, std::size_t count) {
  std::int64_t total = 0;
  for (std::size_t i = 0; i < count; ++i)
    total += queue[i].items;
  return total;
}

/// The rule static and aimd share: dispatch a full batch at once; otherwise wait until the
/// oldest request has waited `delay_ns`.
batch_decision full_or_timed(std::span<const queued_request> queue, std::int64_t now_ns,
                             std::int64_t limit, std::int64_t delay_ns) {
  auto take = requests_within(queue, limit);
  // Full: the limit is reached, or the next request would not fit anyway.
  if (items_of(queue, take) >= limit || take < queue.size())
    return {take, std::nullopt};
  auto due = queue.front().arrival_ns + delay_ns;
  if (now_ns >= due)
    return {take, std::nullopt};
  return {0, due};
}

class static_batching final : public batching_policy {
public:
  explicit static_batching(const batching_config& c)
    : max_(c.max_batch_size), delay_us_(c.max_queue_delay_us) {}

  batch_decision decide(std::span<const queued_request> queue, std::int64_t now_ns) const override {
    return full_or_timed(queue, now_ns, max_, delay_us_ * ns_per_us);
  }
  void set_limits(std::int64_t max_batch_size, std::int64_t max_queue_delay_us) override {
    max_ = std::max<std::int64_t>(1, max_batch_size);
    delay_us_ = std::max<std::int64_t>(0, max_queue_delay_us);
  }
  std::int64_t batch_size_limit() const noexcept override { return max_; }
  std::int64_t queue_delay_limit_us() const noexcept override { return delay_us_; }

private:
  std::int64_t max_;
  std::int64_t delay_us_;
};

class slo_greedy_batching final : public batching_policy {
public:
  explicit slo_greedy_batching(const batching_config& c)
    : max_(c.max_batch_size), delay_us_(c.max_queue_delay_us), slo_ns_(c.slo_us * ns_per_us) {}

  batch_decision decide(std::span<const queued_request> queue, std::int64_t now_ns) const override {
    if (slo_ns_ <= 0)
      return full_or_timed(queue, now_ns, max_, delay_us_ * ns_per_us);
    auto take = requests_within(queue, max_);
    if (items_of(queue, take) >= max_ || take < queue.size())
      return {take, std::nullopt};
    // Wait for a fuller batch only while the oldest request, run in the largest batch, still
    // finishes within the objective (with a tenth of it to spare).
    auto margin = slo_ns_ / 10;
    auto due = queue.front().arrival_ns + slo_ns_ - estimate_ns(max_) - margin;
    if (delay_us_ > 0)
      due = std::min(due, queue.front().arrival_ns + delay_us_ * ns_per_us);
    if (now_ns >= due)
      return {take, std::nullopt};
    return {0, due};
  }

  void observe(std::int64_t items, std::int64_t latency_ns) override {
    auto [it, fresh] = latency_ns_.emplace(items, static_cast<double>(latency_ns));
    if (!fresh)
      it->second = 0.8 * it->second + 0.2 * static_cast<double>(latency_ns);
  }

  void set_limits(std::int64_t max_batch_size, std::int64_t max_queue_delay_us) override {
    max_ = std::max<std::int64_t>(1, max_batch_size);
    delay_us_ = std::max<std::int64_t>(0, max_queue_delay_us);
  }

  std::int64_t batch_size_limit() const noexcept override { return max_; }
  std::int64_t queue_delay_limit_us() const noexcept override { return delay_us_; }

private:
  /// Latency of a batch of `items`: the average seen for that size, else a straight line
  /// through the nearest sizes seen (through the origin below the smallest), else 0.
  std::int64_t estimate_ns(std::int64_t items) const {
    if (latency_ns_.empty())
      return 0;
    auto hi = latency_ns_.lower_bound(items);
    if (hi != latency_ns_.end() && hi->first == items)
      return static_cast<std::int64_t>(hi->second);
    if (hi == latency_ns_.begin())
      return static_cast<std::int64_t>(hi->second * static_cast<double>(items) /
                                       static_cast<double>(hi->first));
    auto lo = std::prev(hi);
    if (hi == latency_ns_.end()) {
      // Beyond the largest size seen: grow in proportion.
      return static_cast<std::int64_t>(lo->second * static_cast<double>(items) /
                                       static_cast<double>(lo->first));
    }
    double t = static_cast<double>(items - lo->first) / static_cast<double>(hi->first - lo->first);
    return static_cast<std::int64_t>(lo->second + t * (hi->second - lo->second));
  }

  std::int64_t max_;
  std::int64_t delay_us_;
  std::int64_t slo_ns_;
  /// Smoothed latency per batch size seen, nanoseconds.
  std::map<std::int64_t, double> latency_ns_;
};

class aimd_batching final : public batching_policy {
public:
  explicit aimd_batching(const batching_config& c)
    : max_(c.max_batch_size),
      delay_us_(c.max_queue_delay_us),
      slo_ns_(c.slo_us * ns_per_us),
      limit_(slo_ns_ > 0 ? 1 : c.max_batch_size) {}

  batch_decision decide(std::span<const queued_request> queue, std::int64_t now_ns) const override {
    return full_or_timed(queue, now_ns, limit_, delay_us_ * ns_per_us);
  }

  void observe(std::int64_t items, std::int64_t latency_ns) override {
    if (slo_ns_ <= 0)
      return;
    if (latency_ns > slo_ns_) {
      limit_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(limit_ * 0.9)));
      return;
    }
    // Clipper's band: grow under 90% of the objective, hold between 90% and 100%. Grow only
    // after a batch that tried the limit: a small batch says nothing about it.
    if (latency_ns < slo_ns_ / 10 * 9 && items >= limit_)
      limit_ = std::min(max_, limit_ + step);
  }

  void set_limits(std::int64_t max_batch_size, std::int64_t max_queue_delay_us) override {
    max_ = std::max<std::int64_t>(1, max_batch_size);
    delay_us_ = std::max<std::int64_t>(0, max_queue_delay_us);
    limit_ = std::min(limit_, max_);
  }

  std::int64_t batch_size_limit() const noexcept override { return limit_; }
  std::int64_t batch_size_ceiling() const noexcept override { return max_; }
  std::int64_t queue_delay_limit_us() const noexcept override { return delay_us_; }

private:
  std::int64_t max_;
  std::int64_t delay_us_;
  std::int64_t slo_ns_;
  std::int64_t limit_;
  /// Clipper's additive step.
  static constexpr std::int64_t step = 2;
};

} // namespace

void batching_policy::observe(std::int64_t, std::int64_t) {
}

std::size_t requests_within(std::span<const queued_request> queue, std::int64_t limit_items) {
  std::size_t count = 0;
  std::int64_t items = 0;
  for (auto& r : queue) {
    if (count > 0 && items + r.items > limit_items)
      break;
    items += r.items;
    ++count;
  }
  return count;
}

result<std::unique_ptr<batching_policy>> make_batching_policy(const batching_config& config) {
  if (config.max_batch_size < 1)
    return fail(errc::invalid_argument,
                fmt::format("batching: max_batch_size must be at least 1, got {}",
                            config.max_batch_size));
  if (config.max_queue_delay_us < 0)
    return fail(errc::invalid_argument,
                fmt::format("batching: max_queue_delay_us must be at least 0, got {}",
                            config.max_queue_delay_us));
  if (config.policy == "static")
    return std::unique_ptr<batching_policy>{std::make_unique<static_batching>(config)};
  if (config.policy == "slo_greedy")
    return std::unique_ptr<batching_policy>{std::make_unique<slo_greedy_batching>(config)};
  if (config.policy == "aimd")
    return std::unique_ptr<batching_policy>{std::make_unique<aimd_batching>(config)};
  return fail(errc::invalid_argument,
              fmt::format("batching: unknown policy '{}' (static, slo_greedy or aimd)",
                          config.policy));
}

} // namespace hogar::scheduling
