// random_tensor.hpp: deterministic pseudo-random tensors, for load generation (`hogar load`
// fills a graph's declared inputs), simulated operators and tests. The same seed always gives
// the same bytes, on every machine.
#pragma once

#include <cstdint>

#include "base/dtype.hpp"
#include "kernels/tensor.hpp"

namespace hogar {

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast and well mixed; every value here comes
/// from it so that results do not depend on the standard library's distributions.
class splitmix64 {
public:
  explicit splitmix64(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, 1), with 53 random bits.
  double next_unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
  std::uint64_t state_;
};

/// The extent a dynamic dimension (-1, or any negative extent) of a declared shape gets in a
/// random tensor: 8, small enough to stay cheap and large enough to be a real batch or axis.
inline constexpr std::int64_t random_dynamic_extent = 8;

/// `declared` with every negative extent replaced by random_dynamic_extent.
shape_t concrete_shape(const shape_t& declared);

/// `declared` with its first negative extent (the batch dimension) `batch` and the others
/// random_dynamic_extent.
shape_t batch_shape(const shape_t& declared, std::int64_t batch);

/// A tensor of `shape` (fully known) with uniform values from `seed`: floats in [0, 1), bool
/// 0 or 1, integer types in [0, int_bound) (int_bound must fit the type: at most 128 for int8,
/// 256 for uint8).
tensor uniform_tensor(dtype type, const shape_t& shape, std::uint64_t seed,
                      std::uint64_t int_bound);

/// A random tensor for a declared input: dynamic extents become random_dynamic_extent; values
/// uniform: uint8 in 0..255 (pixels), other integers in 0..99, floats in [0, 1), bool 0 or 1.
tensor random_tensor(dtype type, const shape_t& declared, std::uint64_t seed);

} // namespace hogar
