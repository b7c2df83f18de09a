// pow.cu: Pow with broadcasting, one thread per output element in a grid-stride loop. A
// float32 base is raised in float (powf, the exponent converted to float), a float64 one in
// double; the caller merged the dimensions that broadcast alike.
#include <cstdint>

#include "kernels/nn/pow.cuh"

namespace hogar::nn::cuda {

namespace {

__device__ __forceinline__ float raise(float x, float e) { return powf(x, e); }
__device__ __forceinline__ double raise(double x, double e) { return pow(x, e); }

template <typename T, typename E>
__global__ void pow_kernel(const T* __restrict__ x, const E* __restrict__ e, T* __restrict__ y,
                           dims out, dims x_strides, dims e_strides, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    std::int64_t rest = i, ix = 0, ie = 0;
    for (int d = out.rank - 1; d >= 0; --d) {
      const std::int64_t index = rest % out.v[d];
      rest /= out.v[d];
      ix += index * x_strides.v[d];
      ie += index * e_strides.v[d];
    }
    y[i] = raise(x[ix], static_cast<T>(e[ie]));
  }
}

template <typename T, typename E>
cudaError_t launch(const void* x, const void* e, void* y, const dims& out, const dims& sx,
                   const dims& se, std::int64_t n, cudaStream_t stream) {
  pow_kernel<T, E><<<grid_blocks(n), block_threads, 0, stream>>>(
    static_cast<const T*>(x), static_cast<const E*>(e), static_cast<T*>(y), out, sx, se, n);
  return cudaGetLastError();
}

template <typename T>
cudaError_t launch_exponent(int exponent, const void* x, const void* e, void* y,
                            const dims& out, const dims& sx, const dims& se, std::int64_t n,
                            cudaStream_t stream) {
  switch (exponent) {
    case pow_float32: return launch<T, float>(x, e, y, out, sx, se, n, stream);
    case pow_float64: return launch<T, double>(x, e, y, out, sx, se, n, stream);
    case pow_int8: return launch<T, std::int8_t>(x, e, y, out, sx, se, n, stream);
    case pow_uint8: return launch<T, std::uint8_t>(x, e, y, out, sx, se, n, stream);
    case pow_int32: return launch<T, std::int32_t>(x, e, y, out, sx, se, n, stream);
    case pow_int64: return launch<T, std::int64_t>(x, e, y, out, sx, se, n, stream);
    default: return cudaErrorInvalidValue;
  }
}

} // namespace

cudaError_t launch_pow(int base, int exponent, const void* x, const void* e, void* y,
                       const dims& out, const dims& x_strides, const dims& e_strides,
                       cudaStream_t stream) {
  const std::int64_t n = broadcast_element_count(out, x_strides, e_strides);
  if (n <= 0)
    return n < 0 ? cudaErrorInvalidValue : cudaSuccess;
  switch (base) {
    case pow_float32:
      return launch_exponent<float>(exponent, x, e, y, out, x_strides, e_strides, n, stream);
    case pow_float64:
      return launch_exponent<double>(exponent, x, e, y, out, x_strides, e_strides, n, stream);
    default: return cudaErrorInvalidValue;
  }
}

} // namespace hogar::nn::cuda
