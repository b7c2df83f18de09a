// region_values.hpp: RRL's value table over a tuning grid, its region update, and the
// Boltzmann sampling that picks the next configuration to try (issue 10; RRL, SC'19).
//
// The value of a configuration is the mean latency measured under it (lower is better). RRL
// learns faster than plain Q-learning because one measurement moves a whole region: after
// configuration c is tried, every configuration within a radius of c (3 in grid coordinates,
// tuning_grid::distance) moves toward what the estimation function now predicts for it,
// Q <- keep * Q + (1 - keep) * estimate (keep 0.7), while c itself takes the measurement.
// The next configuration is drawn with Boltzmann probabilities over 1/Q.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "scheduling/splitmix64.hpp"
#include "scheduling/tuning_grid.hpp"

namespace hogar::scheduling {

class region_values {
public:
  /// Every configuration starts at `initial` (e.g. the first measurement, or a prior).
  region_values(const tuning_grid& grid, double initial);

  double value(std::size_t config) const { return values_[config]; }
  std::span<const double> values() const noexcept { return values_; }
  /// Measurements taken under a configuration.
  std::uint32_t visits(std::size_t config) const { return visits_[config]; }

  /// The measured value of the configuration tried.
  void observe(std::size_t tried, double measured);

  /// The region update around `tried` (itself excluded: it holds its measurement): each
  /// configuration within `radius` moves toward estimate(config) by (1 - keep).
  template <class Estimate>
  void spread(std::size_t tried, double radius, double keep, Estimate&& estimate) {
    for (auto c : grid_->within(tried, radius))
      if (c != tried)
        values_[c] = keep * values_[c] + (1 - keep) * estimate(c);
  }

  /// The configuration with the lowest value; ties go to the most visited, then the lowest
  /// index.
  std::size_t best() const;

private:
  const tuning_grid* grid_;
  std::vector<double> values_;
  std::vector<std::uint32_t> visits_;
};

/// Draws configurations with probability proportional to exp(preference / temperature), where
/// a configuration's preference is min(Q) / Q (1 for the best, smaller for slower ones): the
/// paper's Boltzmann over 1/Q, made unitless so that one temperature fits any latency scale.
/// Deterministic for a seed, on any standard library.
class boltzmann_sampler {
public:
  explicit boltzmann_sampler(std::uint64_t seed) : rng_(seed) {}

  /// An index into `values` (all positive); temperature > 0 (near 0: nearly always the best).
  std::size_t pick(std::span<const double> values, double temperature);

  /// A uniform number in [0, 1).
  double uniform() { return rng_.uniform(); }

private:
  splitmix64 rng_;
};

} // namespace hogar::scheduling
