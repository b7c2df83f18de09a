#include "scheduling/latency_summary.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace hogar::scheduling {

std::int64_t percentile_sorted(const std::vector<std::int64_t>& sorted_ns, double p) {
  if (sorted_ns.empty())
    return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted_ns.size()));
  rank = std::clamp<std::size_t>(rank, 1, sorted_ns.size());
  return sorted_ns[rank - 1];
}

latency_summary summarize_latencies(std::vector<std::int64_t>& samples_ns) {
  latency_summary s;
  s.count = samples_ns.size();
  if (samples_ns.empty())
    return s;
  std::sort(samples_ns.begin(), samples_ns.end());
  auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1000.0; };
  s.min_us = us(samples_ns.front());
  s.max_us = us(samples_ns.back());
  s.mean_us = std::accumulate(samples_ns.begin(), samples_ns.end(), 0.0) / 1000.0
              / static_cast<double>(samples_ns.size());
  s.p50_us = us(percentile_sorted(samples_ns, 50));
  s.p90_us = us(percentile_sorted(samples_ns, 90));
  s.p99_us = us(percentile_sorted(samples_ns, 99));
  return s;
}

std::string format_duration_us(double us) {
  if (us < 1000)
    return fmt::format("{:.1f} us", us);
  if (us < 1e6)
    return fmt::format("{:.2f} ms", us / 1000);
  return fmt::format("{:.2f} s", us / 1e6);
}

std::string to_string(const latency_summary& s) {
  return fmt::format("p50 {}  p90 {}  p99 {}  max {}", format_duration_us(s.p50_us),
                     format_duration_us(s.p90_us), format_duration_us(s.p99_us),
                     format_duration_us(s.max_us));
}

} // namespace hogar::scheduling
