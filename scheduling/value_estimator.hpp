// value_estimator.hpp: RRL's estimation function (issue 10; SC'19, design.md "Batching and
// tuning"): a small network that predicts the cost of a configuration under a workload from
// every window measured so far, so that one measurement can move a whole region of the value
// table, and a workload level never seen before starts from what the others taught.
//
// As in the paper and its authors' code: a multilayer perceptron with two hidden layers of 256
// and 64 ReLU units and one output, trained with the FTRL-Proximal optimizer on every
// observation so far. Two choices of ours: the target is the log of the cost (a window whose
// latency exploded 100-fold must not dominate the fit; predictions come back through exp), and
// the loss is Huber's in that log space (a factor of e off costs linearly, not quadratically).
//
// Our own code, not a library: with 3 to 5 inputs (2 to 4 knobs) the network has 17,500 to
// 18,000 parameters, and a refit is a few milliseconds of plain loops; it gives the same
// numbers for a seed on every run of a build (one thread, our own random numbers, a fixed
// summation order; no std:: distribution, whose output differs between standard libraries);
// no BLAS or armadillo thread pool competes with the serving threads of the process it tunes;
// and no heavy header-only library (mlpack) lengthens the build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "scheduling/splitmix64.hpp"

namespace hogar::scheduling {

struct value_estimator_options {
  /// FTRL-Proximal, as TensorFlow's FtrlOptimizer: per-coordinate learning rates
  /// learning_rate / accumulated_gradient^-learning_rate_power, the accumulator starting at
  /// initial_accumulator; l1 and l2 pull weights toward 0 (off by default). One departure:
  /// the linear accumulator starts where it yields the He-initialized weights, not at 0
  /// (which would collapse them toward 0 on the first step).
  double learning_rate = 0.05;
  double learning_rate_power = -0.5;
  double initial_accumulator = 0.1;
  double l1 = 0;
  double l2 = 0;
  /// Huber's threshold, in log-cost units: residuals beyond it cost linearly.
  double huber_delta = 1.0;
  /// The work of one refit, whatever the number of observations: this many optimizer steps,
  /// each on a minibatch of this many observations drawn uniformly from all of them. The
  /// network is warm-started, so refits add up: after n windows it has taken n * steps steps.
  /// 16 x 16 = 256 passes of one observation forward and back: about 4 ms at -O2 on a
  /// 2-core machine, whether 20 or 20,000 observations are kept. Half the steps halves that,
  /// but RRL then ends 1.2 grid steps from the bottom of the tests' noisy 2-knob bowl after
  /// 40 windows, on average over 6 seeds, instead of 0.33.
  std::size_t refit_steps = 16;
  std::size_t minibatch = 16;
};

/// Huber's loss of a residual, and its derivative: r^2 / 2 within delta, linear beyond.
double huber_loss(double residual, double delta) noexcept;
double huber_gradient(double residual, double delta) noexcept;

class value_estimator {
public:
  /// Units of the two hidden layers (the paper's). Fixed at compile time so that the inner
  /// loops vectorize at -O2 without reordering a sum.
  static constexpr std::size_t hidden1 = 256;
  static constexpr std::size_t hidden2 = 64;

  /// A network over `inputs` features (each best scaled to about [0, 1]), He-initialized from
  /// `seed`. The options are taken as valid (make_tuning_policy checks them).
  value_estimator(std::size_t inputs, std::uint64_t seed, value_estimator_options options = {});

  /// One measurement: the cost (finite; anything under 1e-9 is taken as 1e-9) under `features`
  /// (exactly `inputs` of them). Kept for every later refit: one window in a few seconds
  /// makes a day about 10^5 observations, a few MB.
  void add(std::vector<double> features, double cost);

  /// Fits the network further on all observations so far: options.refit_steps minibatch
  /// steps (see value_estimator_options), bounded work per call. Nothing without observations.
  void refit();

  /// The predicted cost under `features`, exp of the network's output. Kept within a factor
  /// of e^5 of the costs observed, so an extrapolating network never gives 0 or infinity.
  /// Meaningless before the first observation.
  double predict(std::span<const double> features) const;

  /// Mean Huber loss over all observations, in log-cost units (0 without observations).
  double loss() const;

  std::size_t inputs() const noexcept { return inputs_; }
  std::size_t observations() const noexcept { return targets_.size(); }
  std::size_t parameters() const noexcept { return weights_.size(); }

private:
  // Offsets of each layer's weights (input-major: in x out) and biases in weights_.
  struct layer {
    std::size_t in = 0, out = 0, w = 0, b = 0;
  };

  double uniform();
  double normal();
  // The output in log-cost units relative to offset_; fills h1, h2 (the hidden activations).
  double forward(const double* x, double* h1, double* h2) const;
  void ftrl_update();

  std::size_t inputs_;
  value_estimator_options options_;
  splitmix64 rng_;
  layer l1_, l2_, l3_;
  // Every parameter, its gradient over the current minibatch, and FTRL's per-coordinate
  // accumulators (squared gradients n, linear term z).
  std::vector<double> weights_, gradient_, n_, z_;
  // Observations: features row by row, targets as log(cost) - offset_.
  std::vector<double> features_, targets_;
  // log of the first cost: the network learns the difference, which starts near 0.
  double offset_ = 0;
  double target_min_ = 0, target_max_ = 0;
  // Scratch for one sample's forward and backward pass.
  std::vector<double> h1_, h2_, d1_, d2_;
};

} // namespace hogar::scheduling
