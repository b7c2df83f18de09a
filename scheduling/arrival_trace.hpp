// arrival_trace.hpp: when requests arrive at a model operator, as a list of inter-arrival
// times, for the serving simulator (scheduling/serving_simulator.hpp) that studies online
// tuners over thousands of windows (issue 10; design.md "Batching and tuning").
//
// A trace comes from a file (one inter-arrival time in seconds per line, '#' comments) or from
// one of three generators, each the workload of a paper the tuners are compared with:
//   step_poisson  RRL's (SC'19) "dynamic" trace: Poisson arrivals whose mean inter-arrival
//                 time steps, e.g. 0.07 -> 0.06 -> 0.07 -> 0.10 -> 0.12 s;
//   diurnal       Rafiki's sine: a non-homogeneous Poisson process whose rate follows a sine;
//   bursty        an on/off Markov-modulated Poisson process: quiet gaps and bursts of
//                 exponentially distributed lengths.
// Generators are deterministic for a seed on any compiler and standard library: they draw from
// splitmix64 below, never from <random>'s distributions (whose algorithms differ between
// libraries).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "scheduling/splitmix64.hpp"

namespace hogar::scheduling {

/// Inter-arrival times, seconds: the first is the time from the trace's start to the first
/// arrival, each next one the time since the previous arrival. Never negative; zero means two
/// requests arrive together.
struct arrival_trace {
  std::vector<double> interarrival_s;

  std::size_t size() const noexcept { return interarrival_s.size(); }
  /// From the start to the last arrival, seconds.
  double duration_s() const noexcept;
  /// Arrivals per second over the whole trace (0 for an empty or zero-length trace).
  double mean_rate() const noexcept;
};

/// The longest inter-arrival time a trace may hold, seconds (one hour): anything longer is a
/// unit mistake (milliseconds written for seconds) rather than a workload.
inline constexpr double arrival_trace_max_interarrival_s = 3600.0;

/// The most arrivals a generator is asked for (rate x duration), so that a mistyped parameter
/// cannot exhaust memory: 50 million (400 MB of times).
inline constexpr double arrival_trace_max_generated = 50e6;

/// Reads the trace file format: one non-negative decimal number (seconds) per line; blank
/// lines and everything after a '#' are ignored. Refused (invalid_argument), as
/// "SOURCE:LINE: ...": a line that is not one number, a negative number, NaN or infinity, more
/// than an hour; and a text with no numbers at all ("SOURCE: no inter-arrival times").
result<arrival_trace> parse_arrival_trace(std::string_view text, std::string_view source_name);

/// parse_arrival_trace on the file at `path`; io_error naming the path when it cannot be read.
result<arrival_trace> read_arrival_trace(const std::string& path);

/// The file format, one time per line after a '#' header line, each written with the fewest
/// digits that read back to the same double.
std::string format_arrival_trace(const arrival_trace& trace);

// The generators refuse (invalid_argument, naming the parameter) a parameter that is not
// finite or out of its range, and a trace expected to hold more than
// arrival_trace_max_generated arrivals.

/// Poisson arrivals for mean_interarrival_s.size() * seconds_per_step seconds; during step i
/// the mean inter-arrival time is mean_interarrival_s[i] (> 0). The rate changes exactly at the
/// step boundaries (the exponential is memoryless: a draw that crosses a boundary is redrawn
/// from the boundary with the next step's mean).
result<arrival_trace> step_poisson_trace(const std::vector<double>& mean_interarrival_s,
                                         double seconds_per_step, std::uint64_t seed);

/// Non-homogeneous Poisson arrivals for duration_s seconds at the rate
///   mean_rate * (1 + amplitude * sin(2 pi t / period_s))   (requests/s; amplitude in [0, 1]),
/// drawn by thinning (Lewis and Shedler): candidates at the peak rate, each kept with
/// probability rate(t) / peak.
result<arrival_trace> diurnal_trace(double mean_rate, double amplitude, double period_s,
                                    double duration_s, std::uint64_t seed);

/// On/off Markov-modulated Poisson arrivals for duration_s seconds: gaps at base_rate
/// (requests/s, may be 0) and bursts at burst_rate, their lengths exponential with means
/// mean_gap_s and mean_burst_s. Starts in a gap. The long-run rate is
///   (base_rate * mean_gap_s + burst_rate * mean_burst_s) / (mean_gap_s + mean_burst_s).
result<arrival_trace> bursty_trace(double base_rate, double burst_rate, double mean_burst_s,
                                   double mean_gap_s, double duration_s, std::uint64_t seed);

} // namespace hogar::scheduling
