// serving_simulator.hpp: a discrete-event simulation of one batched model operator, so that
// the online tuners (scheduling/tuning_policy.hpp) can be studied over thousands of windows in
// seconds, deterministically (issue 10; design.md "Batching and tuning").
//
// What it models, and how it matches the engine:
//   - arrivals from an arrival_trace; the trace is replayed from its start when it runs out
//     (wraps), so a window always ends and a short measured trace can drive a long study;
//   - one FIFO queue; the engine's own static batching policy (make_batching_policy, policy
//     "static") decides when to dispatch, with the configuration's batch size and queue delay,
//     whenever a request arrives, an instance frees up or the policy's wake-up time comes;
//   - `instances` servers, each running one batch at a time on intra_op_threads threads;
//   - a batch's time alone from the service_profile, times a seeded noise factor drawn
//     uniformly from [1 - noise, 1 + noise] (mean 1), stretched while the running batches'
//     threads exceed the cores (processor sharing, see service_profile.hpp);
//   - every request carries one item.
// A configuration change between windows takes effect at once for the next dispatch: queued
// requests carry over, running batches finish on the threads they started with, and with
// fewer instances no batch starts until fewer than the new count run.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "scheduling/arrival_trace.hpp"
#include "scheduling/batching_policy.hpp"
#include "scheduling/service_profile.hpp"
#include "scheduling/tuning_grid.hpp"
#include "scheduling/tuning_policy.hpp"

namespace hogar::scheduling {

/// The knobs of a configuration, in the order a configuration vector lists them (the order
/// of the tuning grid a tuner of this operator uses).
inline constexpr std::array<std::string_view, 4> serving_knobs{
  "batch_size", "queue_delay_us", "instances", "intra_op_threads"};

struct serving_options {
  /// CPU cores the instances share (> 0).
  double cores = 1;
  /// Relative spread of the service time: each batch's time is multiplied by a factor drawn
  /// uniformly from [1 - noise, 1 + noise]; in [0, 1), 0 for none.
  double noise = 0;
  /// The latency objective slo_violation_fraction counts against, milliseconds; 0: none.
  double slo_ms = 0;
  /// Seeds the noise (and, for steady_state and oracle, the Poisson arrivals).
  std::uint64_t seed = 1;
};

class serving_simulator {
public:
  /// Refused (invalid_argument, naming the field): an empty trace or one whose times add up
  /// to less than a nanosecond (the simulator's clock step: it would never advance), cores
  /// not positive, noise outside [0, 1), a negative slo_ms.
  static result<serving_simulator> make(service_profile profile, arrival_trace trace,
                                        serving_options options);

  /// Serves under `config` (serving_knobs order) from the current clock until at least
  /// `requests` requests have been answered (a finishing batch may take it a few past), and
  /// measures that window: latency from arrival to answer of the requests answered in it
  /// (including those that arrived in earlier windows), arrivals per second during it, the
  /// mean size of the batches that finished in it, and cpu_cores = the threads that did work,
  /// at most the cores, integrated over the window, per second. Refused (invalid_argument): a
  /// configuration of the wrong length, a batch size, instance or thread count below 1, a
  /// negative queue delay.
  result<window_observation> run_window(const std::vector<std::int64_t>& config,
                                        std::size_t requests);

  /// The simulated clock, seconds since the trace started.
  double now_s() const noexcept { return static_cast<double>(now_ns_) * 1e-9; }
  /// Requests waiting in the queue, and in batches still running.
  std::size_t queued() const noexcept { return queue_.size() - head_; }
  std::size_t in_service() const noexcept;
  /// Requests arrived and answered since the start.
  std::uint64_t arrived() const noexcept { return arrived_; }
  std::uint64_t answered() const noexcept { return answered_; }

private:
  struct running_batch {
    /// Work left, nanoseconds of running alone.
    double remaining_ns = 0;
    std::int64_t threads = 1;
    std::vector<std::int64_t> arrivals_ns;
  };

  serving_simulator(service_profile profile, arrival_trace trace, serving_options options);

  /// How fast every running batch advances now (1: as fast as alone).
  double progress_rate() const noexcept;
  void admit_arrivals();

  service_profile profile_;
  arrival_trace trace_;
  serving_options options_;
  splitmix64 noise_;
  std::int64_t now_ns_ = 0;
  /// The trace entry that brought the next arrival, and when that arrival comes.
  std::size_t cursor_ = 0;
  std::int64_t next_arrival_ns_ = 0;
  /// Waiting requests are queue_[head_..]; the consumed prefix is dropped now and then.
  std::vector<queued_request> queue_;
  std::size_t head_ = 0;
  std::vector<running_batch> running_;
  std::uint64_t arrived_ = 0;
  std::uint64_t answered_ = 0;
};

/// The window a long stationary run of `config` measures: Poisson arrivals at arrival_rate
/// (requests/s) seeded with options.seed, a warm-up of requests / 10 answered requests
/// discarded, then a window of `requests`. The same seed gives every configuration the same
/// arrivals and noise (common random numbers), so configurations compare fairly. Refused: a
/// rate that is not positive and finite, no requests, and what make and run_window refuse.
result<window_observation> steady_state(const service_profile& profile,
                                        const serving_options& options,
                                        const std::vector<std::int64_t>& config,
                                        double arrival_rate, std::size_t requests = 20'000);

/// steady_state's mean latency, milliseconds.
result<double> expected_latency_ms(const service_profile& profile,
                                   const serving_options& options,
                                   const std::vector<std::int64_t>& config, double arrival_rate,
                                   std::size_t requests = 20'000);

/// The best static configuration for one arrival rate, found offline by measuring every
/// configuration of the grid with steady_state: what a tuner is compared with.
struct oracle_choice {
  std::vector<std::int64_t> config;
  double mean_latency_ms = 0;
  window_observation observation;
};

/// The grid configuration with the lowest steady-state mean latency at arrival_rate (ties to
/// the lowest grid index). Cost: grid.size() runs of 1.1 * requests, some milliseconds each
/// at the default (the simulator answers a few million requests a second; overloaded
/// configurations cost more): seconds for a thousand configurations, minutes for RRL's 11^4.
/// The grid's knobs are taken as serving_knobs, in that order (a grid with another number of
/// knobs is refused).
result<oracle_choice> oracle(const service_profile& profile, const serving_options& options,
                             const tuning_grid& grid, double arrival_rate,
                             std::size_t requests = 20'000);

} // namespace hogar::scheduling
