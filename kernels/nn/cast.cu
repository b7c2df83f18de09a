// cast.cu: Cast's kernel, one instantiation per pair of element types. One thread per element
// in a grid-stride loop. The conversion is cast.hpp's cast_value (which a .cu file cannot
// include), written with the same comparisons so that every value converts as on the CPU.
#include <cstdint>
#include <type_traits>

#include "kernels/nn/cast.cuh"

namespace hogar::nn::cuda {

namespace {

/// The integer targets' bounds (std::numeric_limits is host code to nvcc).
template <typename T>
struct bounds;
template <>
struct bounds<std::int8_t> {
  static constexpr std::int8_t lowest = -128, max = 127;
};
template <>
struct bounds<std::uint8_t> {
  static constexpr std::uint8_t lowest = 0, max = 255;
};
template <>
struct bounds<std::int32_t> {
  static constexpr std::int32_t lowest = -2147483647 - 1, max = 2147483647;
};
template <>
struct bounds<std::int64_t> {
  static constexpr std::int64_t lowest = -9223372036854775807LL - 1, max = 9223372036854775807LL;
};

template <typename To, bool ToBool, typename From, bool FromBool>
__device__ __forceinline__ To cast_value(From v) {
  if constexpr (FromBool) {
    return cast_value<To, ToBool, std::uint8_t, false>(v != 0 ? 1 : 0);
  } else if constexpr (ToBool) {
    return v != From(0) ? 1 : 0;
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    // In double, where each integer type's bounds are exact or round up (2^63 for int64's).
    const double d = static_cast<double>(v);
    if (d != d) // NaN
      return To(0);
    if (d <= static_cast<double>(bounds<To>::lowest))
      return bounds<To>::lowest;
    if (d >= static_cast<double>(bounds<To>::max))
      return bounds<To>::max;
    return static_cast<To>(d);
  } else {
    return static_cast<To>(v);
  }
}

template <typename To, bool ToBool, typename From, bool FromBool>
__global__ void cast_kernel(const From* __restrict__ x, To* __restrict__ y, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride())
    y[i] = cast_value<To, ToBool, From, FromBool>(x[i]);
}

template <typename To, bool ToBool, typename From, bool FromBool>
cudaError_t launch(const void* x, void* y, std::int64_t n, cudaStream_t stream) {
  cast_kernel<To, ToBool, From, FromBool><<<grid_blocks(n), block_threads, 0, stream>>>(
    static_cast<const From*>(x), static_cast<To*>(y), n);
  return cudaGetLastError();
}

template <typename From, bool FromBool>
cudaError_t launch_to(int to, const void* x, void* y, std::int64_t n, cudaStream_t stream) {
  switch (to) {
    case cast_float32: return launch<float, false, From, FromBool>(x, y, n, stream);
    case cast_float64: return launch<double, false, From, FromBool>(x, y, n, stream);
    case cast_int8: return launch<std::int8_t, false, From, FromBool>(x, y, n, stream);
    case cast_uint8: return launch<std::uint8_t, false, From, FromBool>(x, y, n, stream);
    case cast_int32: return launch<std::int32_t, false, From, FromBool>(x, y, n, stream);
    case cast_int64: return launch<std::int64_t, false, From, FromBool>(x, y, n, stream);
    case cast_bool: return launch<std::uint8_t, true, From, FromBool>(x, y, n, stream);
    default: return cudaErrorInvalidValue;
  }
}

} // namespace

cudaError_t launch_cast(int from, int to, const void* x, void* y, std::int64_t n,
                        cudaStream_t stream) {
  if (n <= 0)
    return n < 0 ? cudaErrorInvalidValue : cudaSuccess;
  switch (from) {
    case cast_float32: return launch_to<float, false>(to, x, y, n, stream);
    case cast_float64: return launch_to<double, false>(to, x, y, n, stream);
    case cast_int8: return launch_to<std::int8_t, false>(to, x, y, n, stream);
    case cast_uint8: return launch_to<std::uint8_t, false>(to, x, y, n, stream);
    case cast_int32: return launch_to<std::int32_t, false>(to, x, y, n, stream);
    case cast_int64: return launch_to<std::int64_t, false>(to, x, y, n, stream);
    case cast_bool: return launch_to<std::uint8_t, true>(to, x, y, n, stream);
    default: return cudaErrorInvalidValue;
  }
}

} // namespace hogar::nn::cuda
