// splitmix64.hpp: the random source of scheduling/: trace generators, the simulator's noise,
// Boltzmann sampling and the estimation network's initialisation and minibatches.
// splitmix64 (Steele, Lea, Flood) gives the same sequence for a seed on any compiler and
// standard library, which <random>'s distributions do not (their algorithms differ).
#pragma once

#include <cmath>
#include <cstdint>

namespace hogar::scheduling {

class splitmix64 {
public:
  explicit splitmix64(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    auto z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, 1), 53 bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Exponentially distributed with the given mean (> 0), by inversion; 1 - u lies in (0, 1],
  /// so the logarithm is finite.
  double exponential(double mean) noexcept { return -mean * std::log(1.0 - uniform()); }

private:
  std::uint64_t state_;
};

} // namespace hogar::scheduling
