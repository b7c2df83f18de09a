// prelu.cu: PRelu on float32, one thread per element.
#include "kernels/nn/prelu.cuh"

namespace hogar::nn::cuda {

namespace {

__global__ void prelu_kernel(const float* __restrict__ x, const float* __restrict__ slope,
                             float* __restrict__ y, dims out, dims slope_strides,
                             std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    std::int64_t rest = i, offset = 0;
    for (int d = out.rank - 1; d >= 0; --d) {
      offset += rest % out.v[d] * slope_strides.v[d];
      rest /= out.v[d];
    }
    const float v = x[i];
    y[i] = v < 0.0f ? slope[offset] * v : v;
  }
}

} // namespace

cudaError_t launch_prelu(const float* x, const float* slope, float* y, const dims& out,
                         const dims& slope_strides, cudaStream_t stream) {
  // X is contiguous: only the slope steps by strides of its own.
  const std::int64_t n = broadcast_element_count(out, slope_strides, slope_strides);
  if (n <= 0)
    return n < 0 ? cudaErrorInvalidValue : cudaSuccess;
  prelu_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(x, slope, y, out, slope_strides, n);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
