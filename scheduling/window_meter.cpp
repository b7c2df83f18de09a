#include "scheduling/window_meter.hpp"

#include <algorithm>
#include <cmath>

namespace hogar::scheduling {

window_meter::window_meter(window_limits limits, double slo_ms, std::int64_t now_ns)
  : limits_(limits), slo_ns_(slo_ms * 1e6), start_ns_(now_ns) {}

void window_meter::answered(std::int64_t latency_ns) {
  ++answers_;
  latency_sum_ns_ += static_cast<double>(latency_ns);
  if (slo_ns_ > 0 && static_cast<double>(latency_ns) > slo_ns_)
    ++violations_;
  if (samples_.size() < max_samples)
    samples_.push_back(latency_ns);
}

void window_meter::batch(std::int64_t items, std::int64_t cpu_ns) noexcept {
  ++batches_;
  batch_items_ += items;
  cpu_ns_ += cpu_ns;
}

bool window_meter::due(std::int64_t now_ns) const noexcept {
  if (answers_ == 0)
    return false;
  return (limits_.requests > 0 && answers_ >= limits_.requests) ||
         (limits_.length_ns > 0 && now_ns - start_ns_ >= limits_.length_ns);
}

window_observation window_meter::close(std::int64_t now_ns, std::vector<std::int64_t> config) {
  window_observation w;
  w.config = std::move(config);
  w.requests = answers_;
  w.seconds = std::max(1e-9, static_cast<double>(now_ns - start_ns_) / 1e9);
  w.arrival_rate = static_cast<double>(arrivals_) / w.seconds;
  if (answers_ > 0) {
    w.mean_latency_ms = latency_sum_ns_ / static_cast<double>(answers_) / 1e6;
    w.slo_violation_fraction = static_cast<double>(violations_) / static_cast<double>(answers_);
    // The sample at rank ceil(0.99 n): the smallest latency at least 99% of answers meet.
    auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(samples_.size())));
    auto at = samples_.begin() + static_cast<std::ptrdiff_t>(std::max<std::size_t>(rank, 1) - 1);
    std::nth_element(samples_.begin(), at, samples_.end());
    w.p99_latency_ms = static_cast<double>(*at) / 1e6;
  }
  if (batches_ > 0)
    w.mean_batch_size = static_cast<double>(batch_items_) / static_cast<double>(batches_);
  w.cpu_cores = static_cast<double>(cpu_ns_) / 1e9 / w.seconds;
  *this = window_meter{limits_, slo_ns_ / 1e6, now_ns};
  return w;
}

} // namespace hogar::scheduling
