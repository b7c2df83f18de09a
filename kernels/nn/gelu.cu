// gelu.cu: Gelu on float32, a grid-stride kernel per form, gelu.hpp's formulas in float.
#include "kernels/nn/gelu.cuh"

namespace hogar::nn::cuda {

namespace {

__global__ void gelu_erf_kernel(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.0f + erff(v * 0.7071067811865476f));
  }
}

__global__ void gelu_tanh_kernel(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
  }
}

} // namespace

cudaError_t launch_gelu(const float* x, float* y, std::int64_t n, bool tanh_form,
                        cudaStream_t stream) {
  if (n <= 0)
    return cudaSuccess;
  if (tanh_form)
    gelu_tanh_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(x, y, n);
  else
    gelu_erf_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(x, y, n);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
