// tuning_grid.hpp: the action space of online tuning (issue 10; design.md "Batching and
// tuning"): every combination of a few knobs, each a handful of values between the bounds the
// graph file declares.
//
// RRL (SC'19) lays each knob out as 11 evenly spaced values and measures closeness of two
// configurations as the Euclidean distance between their grid coordinates (so "within distance
// 3" means a few steps along one or two knobs, whatever the knobs' units). Knobs here are
// integers (batch size, queue delay in microseconds, instances, threads): a range narrower than
// the point count gets one point per integer, never a repeated value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace hogar::scheduling {

/// One knob and its inclusive bounds.
struct knob_range {
  std::string name;
  std::int64_t lo = 0;
  std::int64_t hi = 0;
};

class tuning_grid {
public:
  /// A grid with up to `points` values per knob. Refused, naming the knob: no knobs, an empty
  /// name, reversed bounds (lo > hi), fewer than 1 point, or more than `max_size`
  /// configurations in all.
  static result<tuning_grid> make(std::vector<knob_range> knobs, std::size_t points = 11,
                                  std::size_t max_size = 1'000'000);

  /// Configurations in all, and knobs per configuration.
  std::size_t size() const noexcept { return size_; }
  std::size_t dims() const noexcept { return knobs_.size(); }
  const std::vector<knob_range>& knobs() const noexcept { return knobs_; }

  /// The values of knob `k`, ascending.
  const std::vector<std::int64_t>& values_of(std::size_t k) const { return values_[k]; }

  /// Configuration `index` as grid coordinates (one per knob) and as knob values.
  std::vector<std::size_t> coords(std::size_t index) const;
  std::vector<std::int64_t> values(std::size_t index) const;
  std::size_t index_of(const std::vector<std::size_t>& coords) const;

  /// The configuration nearest to `values` (each knob to its nearest grid value): where a
  /// tuner starts from the configuration the graph file sets.
  std::size_t nearest(const std::vector<std::int64_t>& values) const;

  /// Euclidean distance between two configurations in grid coordinates.
  double distance(std::size_t a, std::size_t b) const;

  /// Every configuration within `radius` of `center` (itself included), ascending.
  std::vector<std::size_t> within(std::size_t center, double radius) const;

private:
  std::vector<knob_range> knobs_;
  std::vector<std::vector<std::int64_t>> values_;
  std::size_t size_ = 0;
};

} // namespace hogar::scheduling
