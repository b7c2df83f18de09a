// decay_schedule.hpp: how a tuner's exploration cools in a workload level: RRL's Boltzmann
// temperature and Q-learning's epsilon both start high, shrink by a factor every window of
// the level, and stop at a floor.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace hogar::scheduling {

/// max(floor, start * decay^windows).
inline double decayed(double start, double decay, double floor, std::size_t windows) {
  return std::max(floor, start * std::pow(decay, static_cast<double>(windows)));
}

} // namespace hogar::scheduling
