// gemm.cu: Gemm's C operand broadcast into the output and scaled by beta.
#include "kernels/nn/gemm.cuh"

namespace hogar::nn::cuda {

namespace {

__global__ void broadcast_scale_kernel(const float* __restrict__ c, float* __restrict__ y,
                                       std::int64_t cols, std::int64_t row_stride,
                                       std::int64_t col_stride, float scale, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    const std::int64_t r = i / cols, k = i % cols;
    y[i] = scale * c[r * row_stride + k * col_stride];
  }
}

} // namespace

cudaError_t launch_broadcast_scale(const float* c, float* y, std::int64_t rows, std::int64_t cols,
                                   std::int64_t row_stride, std::int64_t col_stride, float scale,
                                   cudaStream_t stream) {
  if (rows < 0 || cols < 0)
    return cudaErrorInvalidValue;
  const std::int64_t n = rows * cols;
  if (n == 0)
    return cudaSuccess;
  broadcast_scale_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(c, y, cols, row_stride,
                                                                       col_stride, scale, n);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
