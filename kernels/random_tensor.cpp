#include "kernels/random_tensor.hpp"

#include <type_traits>

#include "kernels/ops/common.hpp"

namespace hogar {

shape_t concrete_shape(const shape_t& declared) {
  shape_t shape = declared;
  for (auto& extent : shape)
    if (extent < 0)
      extent = random_dynamic_extent;
  return shape;
}

shape_t batch_shape(const shape_t& declared, std::int64_t batch) {
  shape_t shape = declared;
  bool first = true;
  for (auto& extent : shape)
    if (extent < 0) {
      extent = first ? batch : random_dynamic_extent;
      first = false;
    }
  return shape;
}

tensor uniform_tensor(dtype type, const shape_t& shape, std::uint64_t seed,
                      std::uint64_t int_bound) {
  tensor out{type, shape};
  splitmix64 rng{seed};
  auto n = out.element_count();
  ops::visit_dtype(type, [&](auto zero) {
    using T = decltype(zero);
    T* v = ops::raw_mutable_values<T>(out);
    if constexpr (std::is_same_v<T, float>) {
      // 24 random bits: exact in float and below 1 (rounding a double could reach 1.0f).
      for (std::int64_t i = 0; i < n; ++i)
        v[i] = static_cast<float>(rng.next() >> 40) * 0x1.0p-24f;
    } else if constexpr (std::is_same_v<T, double>) {
      for (std::int64_t i = 0; i < n; ++i)
        v[i] = rng.next_unit();
    } else {
      // Bool storage is uint8: values 0 or 1.
      std::uint64_t bound = type == dtype::boolean ? 2 : (int_bound == 0 ? 1 : int_bound);
      for (std::int64_t i = 0; i < n; ++i)
        v[i] = static_cast<T>(rng.next() % bound);
    }
  });
  return out;
}

tensor random_tensor(dtype type, const shape_t& declared, std::uint64_t seed) {
  return uniform_tensor(type, concrete_shape(declared), seed, type == dtype::uint8 ? 256 : 100);
}

} // namespace hogar
