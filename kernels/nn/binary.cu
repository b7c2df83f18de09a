// binary.cu: Add, Sub, Mul and Div on float32 with broadcasting. One thread per output
// element in a grid-stride loop; the caller merged the dimensions that broadcast alike, so the
// usual cases (same shapes, a scalar, a per-channel bias) run with one or two dimensions.
#include "kernels/nn/binary.cuh"

namespace hogar::nn::cuda {

namespace {

template <int Op>
__device__ __forceinline__ float apply_binary(float x, float y) {
  if constexpr (Op == binary_add) return x + y;
  else if constexpr (Op == binary_sub) return x - y;
  else if constexpr (Op == binary_mul) return x * y;
  else return x / y;
}

/// Contiguous runs only (both inputs step by 1 or by 0 along one dimension).
template <int Op>
__global__ void binary_flat_kernel(const float* __restrict__ a, std::int64_t sa,
                                   const float* __restrict__ b, std::int64_t sb,
                                   float* __restrict__ y, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride())
    y[i] = apply_binary<Op>(a[i * sa], b[i * sb]);
}

template <int Op>
__global__ void binary_strided_kernel(const float* __restrict__ a, const float* __restrict__ b,
                                      float* __restrict__ y, dims out, dims a_strides,
                                      dims b_strides, std::int64_t n) {
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

template <int Op>
void launch(const float* a, const float* b, float* y, const dims& out, const dims& sa,
            const dims& sb, std::int64_t n, cudaStream_t stream) {
  const unsigned blocks = grid_blocks(n);
  if (out.rank == 1)
    binary_flat_kernel<Op><<<blocks, block_threads, 0, stream>>>(a, sa.v[0], b, sb.v[0], y, n);
  else
    binary_strided_kernel<Op><<<blocks, block_threads, 0, stream>>>(a, b, y, out, sa, sb, n);
}

} // namespace

cudaError_t launch_binary(int kind, const float* a, const float* b, float* y, const dims& out,
                          const dims& a_strides, const dims& b_strides, cudaStream_t stream) {
  if (out.rank < 1 || out.rank > max_rank || a_strides.rank != out.rank ||
      b_strides.rank != out.rank)
    return cudaErrorInvalidValue;
  std::int64_t n = 1;
  for (int d = 0; d < out.rank; ++d)
    n *= out.v[d];
  if (n == 0)
    return cudaSuccess;
  switch (kind) {
    case binary_add: launch<binary_add>(a, b, y, out, a_strides, b_strides, n, stream); break;
    case binary_sub: launch<binary_sub>(a, b, y, out, a_strides, b_strides, n, stream); break;
    case binary_mul: launch<binary_mul>(a, b, y, out, a_strides, b_strides, n, stream); break;
    case binary_div: launch<binary_div>(a, b, y, out, a_strides, b_strides, n, stream); break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
