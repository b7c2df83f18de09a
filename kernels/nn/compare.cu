// compare.cu: the comparisons, And, Or and Xor with broadcasting, and Not. One thread per
// output element in a grid-stride loop; the caller merged the dimensions that broadcast alike,
// so the usual cases (same shapes, a scalar, a row) run with one dimension. The formulas are
// compare.hpp's compare_value, with the same comparisons so that NaN comes out as on the CPU.
#include <cstdint>

#include "kernels/nn/compare.cuh"

namespace hogar::nn::cuda {

namespace {

/// Boolean: the operands are bool bytes, read as != 0.
template <int Op, bool Boolean, typename T>
__device__ __forceinline__ std::uint8_t compare_value(T a, T b) {
  if constexpr (Boolean) {
    const bool x = a != T(0), y = b != T(0);
    if constexpr (Op == compare_and) return x && y;
    else if constexpr (Op == compare_or) return x || y;
    else if constexpr (Op == compare_xor) return x != y;
    else return x == y;
  } else {
    if constexpr (Op == compare_equal) return a == b;
    else if constexpr (Op == compare_less) return a < b;
    else if constexpr (Op == compare_greater) return a > b;
    else if constexpr (Op == compare_less_equal) return a <= b;
    else return a >= b;
  }
}

/// Contiguous runs only (both inputs step by 1 or by 0 along one dimension).
template <int Op, bool Boolean, typename T>
__global__ void compare_flat_kernel(const T* __restrict__ a, std::int64_t sa,
                                    const T* __restrict__ b, std::int64_t sb,
                                    std::uint8_t* __restrict__ y, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride())
    y[i] = compare_value<Op, Boolean>(a[i * sa], b[i * sb]);
}

template <int Op, bool Boolean, typename T>
__global__ void compare_strided_kernel(const T* __restrict__ a, const T* __restrict__ b,
                                       std::uint8_t* __restrict__ y, dims out, dims a_strides,
                                       dims b_strides, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    std::int64_t rest = i, ia = 0, ib = 0;
    for (int d = out.rank - 1; d >= 0; --d) {
      const std::int64_t index = rest % out.v[d];
      rest /= out.v[d];
      ia += index * a_strides.v[d];
      ib += index * b_strides.v[d];
    }
    y[i] = compare_value<Op, Boolean>(a[ia], b[ib]);
  }
}

__global__ void not_kernel(const std::uint8_t* __restrict__ x, std::uint8_t* __restrict__ y,
                           std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride())
    y[i] = x[i] == 0;
}

template <int Op, bool Boolean, typename T>
cudaError_t launch(const void* a_bytes, const void* b_bytes, void* y_bytes, const dims& out,
                   const dims& sa, const dims& sb, std::int64_t n, cudaStream_t stream) {
  const auto* a = static_cast<const T*>(a_bytes);
  const auto* b = static_cast<const T*>(b_bytes);
  auto* y = static_cast<std::uint8_t*>(y_bytes);
  const unsigned blocks = grid_blocks(n);
  if (out.rank == 1)
    compare_flat_kernel<Op, Boolean, T>
      <<<blocks, block_threads, 0, stream>>>(a, sa.v[0], b, sb.v[0], y, n);
  else
    compare_strided_kernel<Op, Boolean, T>
      <<<blocks, block_threads, 0, stream>>>(a, b, y, out, sa, sb, n);
  return cudaGetLastError();
}

/// An ordered comparison or Equal on a numeric element type.
template <int Op>
cudaError_t launch_numeric(int element, const void* a, const void* b, void* y, const dims& out,
                           const dims& sa, const dims& sb, std::int64_t n, cudaStream_t stream) {
  switch (element) {
    case compare_float32: return launch<Op, false, float>(a, b, y, out, sa, sb, n, stream);
    case compare_float64: return launch<Op, false, double>(a, b, y, out, sa, sb, n, stream);
    case compare_int8: return launch<Op, false, std::int8_t>(a, b, y, out, sa, sb, n, stream);
    case compare_uint8: return launch<Op, false, std::uint8_t>(a, b, y, out, sa, sb, n, stream);
    case compare_int32: return launch<Op, false, std::int32_t>(a, b, y, out, sa, sb, n, stream);
    case compare_int64: return launch<Op, false, std::int64_t>(a, b, y, out, sa, sb, n, stream);
    default: return cudaErrorInvalidValue;
  }
}

/// And, Or, Xor, and Equal of bools.
template <int Op>
cudaError_t launch_boolean(int element, const void* a, const void* b, void* y, const dims& out,
                           const dims& sa, const dims& sb, std::int64_t n, cudaStream_t stream) {
  if (element != compare_bool)
    return cudaErrorInvalidValue;
  return launch<Op, true, std::uint8_t>(a, b, y, out, sa, sb, n, stream);
}

} // namespace

cudaError_t launch_compare(int kind, int element, const void* a, const void* b, void* y,
                           const dims& out, const dims& a_strides, const dims& b_strides,
                           cudaStream_t stream) {
  const std::int64_t n = broadcast_element_count(out, a_strides, b_strides);
  if (n <= 0)
    return n < 0 ? cudaErrorInvalidValue : cudaSuccess;
  const auto& sa = a_strides;
  const auto& sb = b_strides;
  switch (kind) {
    case compare_equal:
      if (element == compare_bool)
        return launch_boolean<compare_equal>(element, a, b, y, out, sa, sb, n, stream);
      return launch_numeric<compare_equal>(element, a, b, y, out, sa, sb, n, stream);
    case compare_less: return launch_numeric<compare_less>(element, a, b, y, out, sa, sb, n, stream);
    case compare_greater:
      return launch_numeric<compare_greater>(element, a, b, y, out, sa, sb, n, stream);
    case compare_less_equal:
      return launch_numeric<compare_less_equal>(element, a, b, y, out, sa, sb, n, stream);
    case compare_greater_equal:
      return launch_numeric<compare_greater_equal>(element, a, b, y, out, sa, sb, n, stream);
    case compare_and: return launch_boolean<compare_and>(element, a, b, y, out, sa, sb, n, stream);
    case compare_or: return launch_boolean<compare_or>(element, a, b, y, out, sa, sb, n, stream);
    case compare_xor: return launch_boolean<compare_xor>(element, a, b, y, out, sa, sb, n, stream);
    default: return cudaErrorInvalidValue;
  }
}

cudaError_t launch_not(const void* x, void* y, std::int64_t n, cudaStream_t stream) {
  if (n <= 0)
    return n < 0 ? cudaErrorInvalidValue : cudaSuccess;
  not_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(static_cast<const std::uint8_t*>(x),
                                                           static_cast<std::uint8_t*>(y), n);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
