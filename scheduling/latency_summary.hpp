// latency_summary.hpp: percentiles of a set of latency samples (the CLI's and the
// benchmarks' summaries).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hogar::scheduling {

struct latency_summary {
  std::size_t count = 0;
  double min_us = 0;
  double mean_us = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double max_us = 0;
};

/// Nearest-rank percentiles over the samples (nanoseconds); sorts its argument.
latency_summary summarize_latencies(std::vector<std::int64_t>& samples_ns);

/// The p-th percentile (0..100) of sorted samples, nearest rank; 0 for no samples.
std::int64_t percentile_sorted(const std::vector<std::int64_t>& sorted_ns, double p);

/// "p50 1.20 ms  p90 1.90 ms  p99 3.40 ms  max 5.00 ms" with units picked per value.
std::string to_string(const latency_summary& s);

/// 850 -> "850 us", 12500 -> "12.5 ms", 2.5e6 -> "2.50 s".
std::string format_duration_us(double us);

} // namespace hogar::scheduling
