// tuning_policy.hpp: what an online tuner decides, window by window (issue 10; design.md
// "Batching and tuning").
//
// A tuned model operator serves under one configuration (one value per knob of a
// tuning_grid: batch size, queue delay, instances, intra-op threads) for a window of requests,
// measures the window (window_observation) and asks its policy for the configuration of the
// next window. The policies are plain classes stepped by the tuner actor, by the simulator
// (scheduling/serving_simulator.hpp) and by tests alike, with a fixed seed and no threads:
//   rrl         region-based reinforcement learning (SC'19): a value table per workload level,
//               an estimation network refit on every observation, region updates, Boltzmann
//               sampling; and a guard that returns to the best configuration measured when
//               the cost explodes (scheduling/rrl_policy.hpp).
//   q_learning  plain tabular Q-learning over the same grid and workload levels, without the
//               region update and the estimation network (the paper's baseline;
//               scheduling/q_learning_policy.hpp).
//   static      keeps the configuration it starts with (what a Model Analyzer user deploys).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "scheduling/tuning_grid.hpp"
#include "scheduling/value_estimator.hpp"

namespace hogar::scheduling {

/// One window measured under one configuration.
struct window_observation {
  /// The knob values in force during the window, in the grid's knob order.
  std::vector<std::int64_t> config;
  /// Requests answered in the window, and its length in seconds.
  std::uint64_t requests = 0;
  double seconds = 0;
  /// Requests that arrived per second.
  double arrival_rate = 0;
  /// Latency from arrival to answer, milliseconds.
  double mean_latency_ms = 0;
  double p99_latency_ms = 0;
  /// Share of the window's requests slower than the objective (0 without one).
  double slo_violation_fraction = 0;
  double mean_batch_size = 0;
  /// CPU time the operator used per second of the window (1.0: one core busy).
  double cpu_cores = 0;
};

/// The multi-objective cost a policy minimizes (the paper's reward, as a cost), milliseconds:
///   mean_latency_ms + slo_weight * slo_ms * slo_violation_fraction + cpu_weight_ms * cpu_cores
/// With both weights 0 it is the mean latency alone.
struct cost_weights {
  double slo_ms = 0;
  double slo_weight = 0;
  double cpu_weight_ms = 0;
};

double window_cost(const window_observation& w, const cost_weights& weights);

/// "batch_size=8, queue_delay_us=2000": a configuration as a user reads it.
std::string describe(const tuning_grid& grid, const std::vector<std::int64_t>& config);

/// A policy's answer: the configuration for the next window, and why.
struct tuning_decision {
  std::vector<std::int64_t> config;
  /// One short phrase a user reads in `hogar status`: "start", "explore", "exploit",
  /// "guard: cost 4.2x the best (12.1 ms), back to batch_size=8, ...", "hold",
  /// "hold: no request in the window", "hold: the window's cost is not finite".
  std::string reason;
};

/// A workload level: arrival rates (requests per second) in log-spaced buckets, level k
/// holding [ratio^k, ratio^(k+1)). Each level has its own value table: the best configuration
/// at 50 requests/s is rarely the best at 500. Rates below 1e-3/s count as 1e-3/s.
std::int32_t workload_level(double arrival_rate, double ratio);

/// RRL's settings (scheduling/rrl_policy.hpp).
struct rrl_options {
  /// The region update: configurations within this distance (in grid steps) of the one tried
  /// move toward the estimate, keeping this share of their value (the paper's 3 and 0.7).
  double radius = 3;
  double keep = 0.7;
  /// Boltzmann temperature over preferences min(Q) / Q (region_values.hpp): it starts at
  /// `temperature` in each workload level and is multiplied by `temperature_decay` after each
  /// window there, down to `temperature_min`, so that a level explores while it is new and
  /// then settles on its best. With the defaults: at first a configuration twice as slow as
  /// the best is drawn e^-1.25 (0.29) times as often; after 30 windows (0.086) 0.003 times;
  /// from about 85 windows on (the floor) a configuration 5% slower about e^-9.5 times as
  /// often. Colder starts settle sooner but, on a 2-knob bowl in tests, often a few steps
  /// from its minimum, because one measurement moves the region only 30% of the way.
  double temperature = 0.4;
  double temperature_decay = 0.95;
  double temperature_min = 0.005;
  /// Not in the paper: when a window costs more than guard_factor times the lowest cost last
  /// measured at a configuration of its workload level, the next window goes back to that
  /// configuration.
  double guard_factor = 3;
  value_estimator_options estimator;
};

/// Plain Q-learning's settings (scheduling/q_learning_policy.hpp).
struct q_learning_options {
  /// Q <- (1 - alpha) Q + alpha * cost for the configuration measured (the first sets it).
  double alpha = 0.5;
  /// The share of windows spent on a uniformly random configuration: `epsilon` in a new
  /// workload level, multiplied by `epsilon_decay` after each window there, down to
  /// `epsilon_min`; the others go to the lowest Q measured.
  double epsilon = 0.2;
  double epsilon_decay = 0.98;
  double epsilon_min = 0.05;
};

struct tuning_policy_config {
  /// "rrl", "q_learning" or "static".
  std::string policy = "rrl";
  /// The knobs and their bounds; decisions are always grid points, never outside them.
  std::vector<knob_range> knobs;
  /// Values per knob (RRL's 11).
  std::size_t points = 11;
  /// Where to start (snapped to the nearest grid point).
  std::vector<std::int64_t> initial;
  cost_weights weights;
  std::uint64_t seed = 1;
  /// The width of a workload level (workload_level): each spans a factor of level_ratio in
  /// arrival rate, about 3 levels per tenfold change of load with 2. Narrower levels track
  /// the load more closely but each starts its own table, and the rate a window of a few
  /// dozen Poisson arrivals measures is itself off by 20-30%: with 1.25, windows of one
  /// steady load fell into neighbouring levels, each exploring anew (in the simulator on
  /// the dynamic trace, RRL's mean latency was 27% higher than with 2).
  double level_ratio = 2;
  rrl_options rrl;
  q_learning_options q_learning;
};

class tuning_policy {
public:
  virtual ~tuning_policy() = default;

  virtual const std::string& name() const noexcept = 0;
  const tuning_grid& grid() const noexcept { return grid_; }

  /// The configuration for the first window.
  virtual tuning_decision start() = 0;

  /// The window just measured under `w.config`; returns the configuration for the next one.
  virtual tuning_decision next(const window_observation& w) = 0;

  /// The configuration the policy now believes best for the workload it saw last.
  virtual std::vector<std::int64_t> best_estimate() const = 0;

  /// Distinct configurations measured so far.
  virtual std::size_t configurations_tried() const = 0;

protected:
  explicit tuning_policy(tuning_grid grid) : grid_(std::move(grid)) {}
  tuning_grid grid_;
};

/// The policy `config` names; refused naming the field: an unknown policy, bad knobs (see
/// tuning_grid::make), an initial configuration of the wrong length, a setting out of its
/// range (level_ratio, rrl.*, q_learning.*; only the named policy's are checked).
result<std::unique_ptr<tuning_policy>> make_tuning_policy(const tuning_policy_config& config);

} // namespace hogar::scheduling
