#include "scheduling/serving_simulator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scheduling/latency_summary.hpp"

namespace hogar::scheduling {

namespace {

constexpr double ns_per_ms = 1e6;

std::int64_t to_ns(double seconds) { return std::llround(seconds * 1e9); }

/// The knob values of a configuration, checked.
struct knobs {
  std::int64_t batch_size = 1;
  std::int64_t queue_delay_us = 0;
  std::int64_t instances = 1;
  std::int64_t intra_op_threads = 1;
};

result<knobs> read_config(const std::vector<std::int64_t>& config) {
  if (config.size() != serving_knobs.size())
    return fail(errc::invalid_argument,
                fmt::format("serving simulator: a configuration needs {} values ({}), not {}",
                            serving_knobs.size(), fmt::join(serving_knobs, ", "),
                            config.size()));
  for (std::size_t k = 0; k < config.size(); ++k) {
    auto least = k == 1 ? 0 : 1;
    if (config[k] < least)
      return fail(errc::invalid_argument,
                  fmt::format("serving simulator: {}={} must be at least {}", serving_knobs[k],
                              config[k], least));
  }
  return knobs{config[0], config[1], config[2], config[3]};
}

/// A seed for the noise that differs from the arrivals' seed (the same options.seed seeds both).
std::uint64_t noise_seed(std::uint64_t seed) { return seed ^ 0x6a09e667f3bcc909ULL; }

} // namespace

result<serving_simulator> serving_simulator::make(service_profile profile, arrival_trace trace,
                                                  serving_options options) {
  if (trace.interarrival_s.empty())
    return fail(errc::invalid_argument, "serving simulator: the arrival trace is empty");
  std::int64_t cycle_ns = 0;
  for (auto x : trace.interarrival_s)
    cycle_ns += to_ns(x);
  if (cycle_ns <= 0)
    return fail(errc::invalid_argument,
                "serving simulator: the arrival trace's times add up to less than a nanosecond: "
                "the clock would never advance");
  if (!(std::isfinite(options.cores) && options.cores > 0))
    return fail(errc::invalid_argument,
                fmt::format("serving simulator: cores = {} must be positive", options.cores));
  if (!(options.noise >= 0 && options.noise < 1))
    return fail(errc::invalid_argument,
                fmt::format("serving simulator: noise = {} must be in [0, 1)", options.noise));
  if (!(std::isfinite(options.slo_ms) && options.slo_ms >= 0))
    return fail(errc::invalid_argument,
                fmt::format("serving simulator: slo_ms = {} must be 0 or more", options.slo_ms));
  return serving_simulator{std::move(profile), std::move(trace), options};
}

serving_simulator::serving_simulator(service_profile profile, arrival_trace trace,
                                     serving_options options)
  : profile_(std::move(profile)),
    trace_(std::move(trace)),
    options_(options),
    noise_(noise_seed(options.seed)),
    next_arrival_ns_(to_ns(trace_.interarrival_s.front())) {}

std::size_t serving_simulator::in_service() const noexcept {
  std::size_t n = 0;
  for (auto& b : running_)
    n += b.arrivals_ns.size();
  return n;
}

double serving_simulator::progress_rate() const noexcept {
  double threads = 0;
  for (auto& b : running_)
    threads += static_cast<double>(b.threads);
  return 1.0 / contention_stretch(threads, options_.cores);
}

void serving_simulator::admit_arrivals() {
  while (next_arrival_ns_ <= now_ns_) {
    queue_.push_back({next_arrival_ns_, 1});
    ++arrived_;
    cursor_ = cursor_ + 1 == trace_.size() ? 0 : cursor_ + 1; // the trace wraps
    next_arrival_ns_ += to_ns(trace_.interarrival_s[cursor_]);
  }
}

result<window_observation> serving_simulator::run_window(const std::vector<std::int64_t>& config,
                                                         std::size_t requests) {
  auto k = read_config(config);
  if (!k)
    return k.error();
  // The engine's own policy class; a static policy keeps no state, so a fresh one per window
  // decides exactly as one whose limits were changed.
  auto policy = make_batching_policy({"static", k->batch_size, k->queue_delay_us, 0});
  if (!policy)
    return policy.error();

  const auto start_ns = now_ns_;
  const auto arrived_before = arrived_;
  std::vector<std::int64_t> latencies_ns;
  latencies_ns.reserve(requests + static_cast<std::size_t>(k->batch_size));
  std::uint64_t batches = 0;
  double working_thread_ns = 0;

  while (latencies_ns.size() < requests) {
    // Dispatch while an instance is free and the policy says go.
    std::optional<std::int64_t> wake_ns;
    while (running_.size() < static_cast<std::size_t>(k->instances) && head_ < queue_.size()) {
      std::span<const queued_request> waiting{queue_.data() + head_, queue_.size() - head_};
      auto d = (*policy)->decide(waiting, now_ns_);
      if (d.take == 0) {
        wake_ns = d.wake_at_ns;
        break;
      }
      running_batch b;
      b.threads = k->intra_op_threads;
      for (std::size_t i = 0; i < d.take; ++i)
        b.arrivals_ns.push_back(waiting[i].arrival_ns);
      auto factor = 1.0 + options_.noise * (2.0 * noise_.uniform() - 1.0);
      b.remaining_ns =
        profile_.batch_ms(static_cast<std::int64_t>(d.take), b.threads) * ns_per_ms * factor;
      running_.push_back(std::move(b));
      head_ += d.take;
    }
    if (head_ > 4096 && head_ * 2 > queue_.size()) {
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }

    // The next event: an arrival, the policy's wake-up, or the first batch to finish.
    auto next_ns = next_arrival_ns_;
    if (wake_ns)
      next_ns = std::min(next_ns, std::max(*wake_ns, now_ns_ + 1));
    const auto rate = progress_rate();
    if (!running_.empty()) {
      double least = std::numeric_limits<double>::infinity();
      for (auto& b : running_)
        least = std::min(least, b.remaining_ns);
      auto finish = now_ns_ + std::max<std::int64_t>(0, static_cast<std::int64_t>(
                                                          std::ceil(least / rate)));
      next_ns = std::min(next_ns, finish);
    }

    // Advance every running batch to then.
    const auto dt = static_cast<double>(next_ns - now_ns_);
    double threads = 0;
    for (auto& b : running_) {
      b.remaining_ns -= dt * rate;
      threads += static_cast<double>(b.threads);
    }
    working_thread_ns += std::min(threads, options_.cores) * dt;
    now_ns_ = next_ns;

    // Finished batches answer their requests (half a nanosecond absorbs rounding).
    for (std::size_t i = 0; i < running_.size();) {
      if (running_[i].remaining_ns > 0.5) {
        ++i;
        continue;
      }
      for (auto a : running_[i].arrivals_ns)
        latencies_ns.push_back(now_ns_ - a);
      ++batches;
      if (i + 1 != running_.size())
        running_[i] = std::move(running_.back());
      running_.pop_back();
    }
    admit_arrivals();
  }
  answered_ += latencies_ns.size();

  window_observation w;
  w.config = config;
  w.requests = latencies_ns.size();
  w.seconds = static_cast<double>(now_ns_ - start_ns) * 1e-9;
  if (w.seconds > 0) {
    w.arrival_rate = static_cast<double>(arrived_ - arrived_before) / w.seconds;
    w.cpu_cores = working_thread_ns / static_cast<double>(now_ns_ - start_ns);
  }
  if (batches > 0)
    w.mean_batch_size = static_cast<double>(w.requests) / static_cast<double>(batches);
  if (options_.slo_ms > 0 && w.requests > 0) {
    auto slo_ns = options_.slo_ms * ns_per_ms;
    auto over = std::count_if(latencies_ns.begin(), latencies_ns.end(),
                              [&](std::int64_t l) { return static_cast<double>(l) > slo_ns; });
    w.slo_violation_fraction = static_cast<double>(over) / static_cast<double>(w.requests);
  }
  auto summary = summarize_latencies(latencies_ns);
  w.mean_latency_ms = summary.mean_us / 1000.0;
  w.p99_latency_ms = summary.p99_us / 1000.0;
  return w;
}

result<window_observation> steady_state(const service_profile& profile,
                                        const serving_options& options,
                                        const std::vector<std::int64_t>& config,
                                        double arrival_rate, std::size_t requests) {
  if (!(std::isfinite(arrival_rate) && arrival_rate > 0))
    return fail(errc::invalid_argument,
                fmt::format("steady state: arrival rate {} must be positive", arrival_rate));
  if (requests == 0)
    return fail(errc::invalid_argument, "steady state: no requests to measure");
  auto warmup = std::max<std::size_t>(1, requests / 10);
  // Enough arrivals for the run at this rate; an overloaded configuration wraps around them.
  auto seconds = static_cast<double>(requests + warmup) * 1.05 / arrival_rate;
  auto trace = step_poisson_trace({1.0 / arrival_rate}, seconds, options.seed);
  if (!trace)
    return trace.error();
  auto sim = serving_simulator::make(profile, std::move(*trace), options);
  if (!sim)
    return sim.error();
  auto warm = sim->run_window(config, warmup);
  if (!warm)
    return warm.error();
  return sim->run_window(config, requests);
}

result<double> expected_latency_ms(const service_profile& profile,
                                   const serving_options& options,
                                   const std::vector<std::int64_t>& config, double arrival_rate,
                                   std::size_t requests) {
  auto w = steady_state(profile, options, config, arrival_rate, requests);
  if (!w)
    return w.error();
  return w->mean_latency_ms;
}

result<oracle_choice> oracle(const service_profile& profile, const serving_options& options,
                             const tuning_grid& grid, double arrival_rate,
                             std::size_t requests) {
  if (grid.dims() != serving_knobs.size())
    return fail(errc::invalid_argument,
                fmt::format("oracle: the grid has {} knobs, not the simulator's {} ({})",
                            grid.dims(), serving_knobs.size(), fmt::join(serving_knobs, ", ")));
  std::optional<oracle_choice> best;
  for (std::size_t c = 0; c < grid.size(); ++c) {
    auto config = grid.values(c);
    auto w = steady_state(profile, options, config, arrival_rate, requests);
    if (!w)
      return w.error();
    if (!best || w->mean_latency_ms < best->mean_latency_ms)
      best = oracle_choice{config, w->mean_latency_ms, *w};
  }
  return *best;
}

} // namespace hogar::scheduling
