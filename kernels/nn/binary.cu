// binary.cu: Add, Sub, Mul and Div with broadcasting (float32, float64, int32, int64), and the
// steps of Sum, Max, Min and Mean (nary_gpu.cpp). One thread per output
// element in a grid-stride loop; the caller merged the dimensions that broadcast alike, so the
// usual cases (same shapes, a scalar, a per-channel bias) run with one or two dimensions.
#include <type_traits>

#include "kernels/nn/binary.cuh"

namespace hogar::nn::cuda {

namespace {

template <int Op, typename T>
__device__ __forceinline__ T apply_binary(T x, T y) {
  if constexpr (Op == binary_add) return x + y;
  else if constexpr (Op == binary_sub) return x - y;
  else if constexpr (Op == binary_mul) return x * y;
  // x != x: x is NaN (never for integers); a NaN y falls through to y.
  else if constexpr (Op == binary_max) return (x > y || x != x) ? x : y;
  else if constexpr (Op == binary_min) return (x < y || x != x) ? x : y;
  else return x / y;
}

/// Contiguous runs only (both inputs step by 1 or by 0 along one dimension). No __restrict__
/// on a and y: the n-ary steps pass the output as a.
template <int Op, typename T>
__global__ void binary_flat_kernel(const T* a, std::int64_t sa, const T* __restrict__ b,
                                   std::int64_t sb, T* y, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride())
    y[i] = apply_binary<Op>(a[i * sa], b[i * sb]);
}

template <int Op, typename T>
__global__ void binary_strided_kernel(const T* a, const T* __restrict__ b, T* y, dims out,
                                      dims a_strides, dims b_strides, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    std::int64_t rest = i, ia = 0, ib = 0;
    for (int d = out.rank - 1; d >= 0; --d) {
      const std::int64_t index = rest % out.v[d];
      rest /= out.v[d];
      ia += index * a_strides.v[d];
      ib += index * b_strides.v[d];
    }
    y[i] = apply_binary<Op>(a[ia], b[ib]);
  }
}

template <int Op, typename T>
void launch(const void* a_bytes, const void* b_bytes, void* y_bytes, const dims& out,
            const dims& sa, const dims& sb, std::int64_t n, cudaStream_t stream) {
  const auto* a = static_cast<const T*>(a_bytes);
  const auto* b = static_cast<const T*>(b_bytes);
  auto* y = static_cast<T*>(y_bytes);
  const unsigned blocks = grid_blocks(n);
  if (out.rank == 1)
    binary_flat_kernel<Op, T><<<blocks, block_threads, 0, stream>>>(a, sa.v[0], b, sb.v[0], y, n);
  else
    binary_strided_kernel<Op, T><<<blocks, block_threads, 0, stream>>>(a, b, y, out, sa, sb, n);
}

template <typename T>
cudaError_t launch_kind(int kind, const void* a, const void* b, void* y, const dims& out,
                        const dims& sa, const dims& sb, std::int64_t n, cudaStream_t stream) {
  switch (kind) {
    case binary_add: launch<binary_add, T>(a, b, y, out, sa, sb, n, stream); break;
    case binary_sub: launch<binary_sub, T>(a, b, y, out, sa, sb, n, stream); break;
    case binary_mul: launch<binary_mul, T>(a, b, y, out, sa, sb, n, stream); break;
    case binary_max: launch<binary_max, T>(a, b, y, out, sa, sb, n, stream); break;
    case binary_min: launch<binary_min, T>(a, b, y, out, sa, sb, n, stream); break;
    case binary_div:
      if constexpr (std::is_integral_v<T>)
        return cudaErrorInvalidValue;
      else
        launch<binary_div, T>(a, b, y, out, sa, sb, n, stream);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

} // namespace

cudaError_t launch_binary(int kind, int element, const void* a, const void* b, void* y,
                          const dims& out, const dims& a_strides, const dims& b_strides,
                          cudaStream_t stream) {
  const std::int64_t n = broadcast_element_count(out, a_strides, b_strides);
  if (n <= 0)
    return n < 0 ? cudaErrorInvalidValue : cudaSuccess;
  switch (element) {
    case binary_float32: return launch_kind<float>(kind, a, b, y, out, a_strides, b_strides, n, stream);
    case binary_float64: return launch_kind<double>(kind, a, b, y, out, a_strides, b_strides, n, stream);
    case binary_int32: return launch_kind<std::int32_t>(kind, a, b, y, out, a_strides, b_strides, n, stream);
    case binary_int64: return launch_kind<std::int64_t>(kind, a, b, y, out, a_strides, b_strides, n, stream);
    default: return cudaErrorInvalidValue;
  }
}

} // namespace hogar::nn::cuda
