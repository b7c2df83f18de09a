#include "scheduling/latency_histogram.hpp"

namespace hogar::scheduling {

double latency_histogram::percentile_us(std::span<const std::uint64_t> counts, double p) {
  std::uint64_t total = 0;
  for (auto c : counts)
    total += c;
  if (total == 0)
    return 0;
  auto target = p / 100.0 * static_cast<double>(total);
  double seen = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0)
      continue;
    if (seen + static_cast<double>(counts[i]) >= target) {
      if (i >= bounds_ns.size())
        return static_cast<double>(bounds_ns.back()) / 1000.0;
      double lower = i == 0 ? 0.0 : static_cast<double>(bounds_ns[i - 1]);
      double upper = static_cast<double>(bounds_ns[i]);
      double fraction = (target - seen) / static_cast<double>(counts[i]);
      return (lower + fraction * (upper - lower)) / 1000.0;
    }
    seen += static_cast<double>(counts[i]);
  }
  return static_cast<double>(bounds_ns.back()) / 1000.0;
}

} // namespace hogar::scheduling
