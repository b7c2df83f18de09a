#include "scheduling/arrival_trace.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>
#include <optional>

#include <fmt/format.h>

#include "scheduling/text_lines.hpp"

namespace hogar::scheduling {

namespace {

/// A line as an error message quotes it: at most 40 characters.
std::string quoted(std::string_view s) {
  if (s.size() > 40)
    return fmt::format("'{}...'", s.substr(0, 37));
  return fmt::format("'{}'", s);
}

error_info bad_parameter(std::string_view generator, std::string_view name, double value,
                         std::string_view wanted) {
  return fail(errc::invalid_argument,
              fmt::format("{}: {} = {} must be {}", generator, name, value, wanted));
}

bool positive(double x) { return std::isfinite(x) && x > 0; }

/// Refuses a trace expected to hold more than the generator limit.
std::optional<error_info> too_many(std::string_view generator, double expected) {
  if (expected <= arrival_trace_max_generated)
    return std::nullopt;
  return fail(errc::invalid_argument,
              fmt::format("{}: about {:.3g} arrivals asked for, more than the limit of {:.3g}",
                          generator, expected, arrival_trace_max_generated));
}

/// Poisson arrivals at `rate` between `from` and `to` (absolute seconds), appended to `out`
/// as inter-arrival times after the arrival at `last`.
void poisson_between(double from, double to, double rate, double& last, splitmix64& random,
                     arrival_trace& out) {
  if (rate <= 0)
    return;
  auto t = from;
  for (;;) {
    t += random.exponential(1.0 / rate);
    if (t >= to)
      return;
    out.interarrival_s.push_back(t - last);
    last = t;
  }
}

} // namespace

double arrival_trace::duration_s() const noexcept {
  double total = 0;
  for (auto x : interarrival_s)
    total += x;
  return total;
}

double arrival_trace::mean_rate() const noexcept {
  auto d = duration_s();
  return d > 0 ? static_cast<double>(size()) / d : 0.0;
}

result<arrival_trace> parse_arrival_trace(std::string_view text, std::string_view source_name) {
  arrival_trace trace;
  auto problem = for_each_content_line(text, [&](std::size_t line_no, std::string_view line)
                                                 -> std::optional<error_info> {
    auto where = fmt::format("{}:{}", source_name, line_no);
    double value = 0;
    auto [stop, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
    if (ec != std::errc{} || stop != line.data() + line.size())
      return fail(errc::invalid_argument,
                  fmt::format("{}: {} is not one number of seconds", where, quoted(line)));
    if (!std::isfinite(value))
      return fail(errc::invalid_argument,
                  fmt::format("{}: {} is not a finite number of seconds", where, quoted(line)));
    if (value < 0)
      return fail(errc::invalid_argument,
                  fmt::format("{}: a negative inter-arrival time ({} s)", where, value));
    if (value > arrival_trace_max_interarrival_s)
      return fail(errc::invalid_argument,
                  fmt::format("{}: {} s between two arrivals is more than an hour (milliseconds "
                              "written as seconds?)",
                              where, value));
    trace.interarrival_s.push_back(value);
    return std::nullopt;
  });
  if (problem)
    return *problem;
  if (trace.interarrival_s.empty())
    return fail(errc::invalid_argument, fmt::format("{}: no inter-arrival times", source_name));
  return trace;
}

result<arrival_trace> read_arrival_trace(const std::string& path) {
  auto text = read_text_file(path);
  if (!text)
    return text.error();
  return parse_arrival_trace(*text, path);
}

std::string format_arrival_trace(const arrival_trace& trace) {
  std::string out = "# hogar arrival trace: inter-arrival times in seconds, one per line\n";
  for (auto x : trace.interarrival_s)
    out += fmt::format("{}\n", x); // shortest text that reads back to the same double
  return out;
}

result<arrival_trace> step_poisson_trace(const std::vector<double>& mean_interarrival_s,
                                         double seconds_per_step, std::uint64_t seed) {
  constexpr std::string_view name = "step_poisson_trace";
  if (mean_interarrival_s.empty())
    return fail(errc::invalid_argument, fmt::format("{}: no steps", name));
  if (!positive(seconds_per_step))
    return bad_parameter(name, "seconds_per_step", seconds_per_step, "positive");
  double expected = 0;
  for (std::size_t i = 0; i < mean_interarrival_s.size(); ++i) {
    if (!positive(mean_interarrival_s[i]))
      return bad_parameter(name, fmt::format("mean_interarrival_s[{}]", i), mean_interarrival_s[i],
                           "positive");
    expected += seconds_per_step / mean_interarrival_s[i];
  }
  if (auto e = too_many(name, expected))
    return *e;
  splitmix64 random{seed};
  arrival_trace out;
  out.interarrival_s.reserve(static_cast<std::size_t>(expected * 1.1) + 16);
  double last = 0;
  for (std::size_t i = 0; i < mean_interarrival_s.size(); ++i)
    poisson_between(static_cast<double>(i) * seconds_per_step,
                    static_cast<double>(i + 1) * seconds_per_step, 1.0 / mean_interarrival_s[i],
                    last, random, out);
  return out;
}

result<arrival_trace> diurnal_trace(double mean_rate, double amplitude, double period_s,
                                    double duration_s, std::uint64_t seed) {
  constexpr std::string_view name = "diurnal_trace";
  if (!positive(mean_rate))
    return bad_parameter(name, "mean_rate", mean_rate, "positive");
  if (!std::isfinite(amplitude) || amplitude < 0 || amplitude > 1)
    return bad_parameter(name, "amplitude", amplitude, "between 0 and 1");
  if (!positive(period_s))
    return bad_parameter(name, "period_s", period_s, "positive");
  if (!positive(duration_s))
    return bad_parameter(name, "duration_s", duration_s, "positive");
  auto peak = mean_rate * (1 + amplitude);
  if (auto e = too_many(name, peak * duration_s))
    return *e;
  splitmix64 random{seed};
  arrival_trace out;
  out.interarrival_s.reserve(static_cast<std::size_t>(mean_rate * duration_s * 1.1) + 16);
  double t = 0;
  double last = 0;
  for (;;) {
    t += random.exponential(1.0 / peak);
    if (t >= duration_s)
      break;
    auto rate = mean_rate * (1 + amplitude * std::sin(2 * std::numbers::pi * t / period_s));
    if (random.uniform() * peak < rate) {
      out.interarrival_s.push_back(t - last);
      last = t;
    }
  }
  return out;
}

result<arrival_trace> bursty_trace(double base_rate, double burst_rate, double mean_burst_s,
                                   double mean_gap_s, double duration_s, std::uint64_t seed) {
  constexpr std::string_view name = "bursty_trace";
  if (!std::isfinite(base_rate) || base_rate < 0)
    return bad_parameter(name, "base_rate", base_rate, "0 or more");
  if (!positive(burst_rate))
    return bad_parameter(name, "burst_rate", burst_rate, "positive");
  if (!positive(mean_burst_s))
    return bad_parameter(name, "mean_burst_s", mean_burst_s, "positive");
  if (!positive(mean_gap_s))
    return bad_parameter(name, "mean_gap_s", mean_gap_s, "positive");
  if (!positive(duration_s))
    return bad_parameter(name, "duration_s", duration_s, "positive");
  if (auto e = too_many(name, std::max(base_rate, burst_rate) * duration_s))
    return *e;
  splitmix64 random{seed};
  arrival_trace out;
  double t = 0;
  double last = 0;
  bool burst = false;
  while (t < duration_s) {
    auto end = std::min(duration_s, t + random.exponential(burst ? mean_burst_s : mean_gap_s));
    poisson_between(t, end, burst ? burst_rate : base_rate, last, random, out);
    t = end;
    burst = !burst;
  }
  return out;
}

} // namespace hogar::scheduling
