// layer_norm.cu: LayerNormalization on float32, one block per row (a token's features).
#include "kernels/nn/layer_norm.cuh"

#include "kernels/nn/block_sum.cuh"

namespace hogar::nn::cuda {

namespace {

__global__ void layer_norm_kernel(const float* __restrict__ x, const float* __restrict__ scale,
                                  int scale_step, const float* __restrict__ bias, int bias_step,
                                  float* __restrict__ y, float* __restrict__ mean_out,
                                  float* __restrict__ inv_std_out, std::int64_t rows,
                                  std::int64_t cols, float epsilon) {
  __shared__ double partial[norm_threads / 32];
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * cols;
    double sum = 0;
    for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x)
      sum += xr[j];
    const double n = static_cast<double>(cols);
    const double mean = cols > 0 ? block_sum(sum, partial) / n : 0;
    double squares = 0;
    for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      const double d = xr[j] - mean;
      squares += d * d;
    }
    const double variance = cols > 0 ? block_sum(squares, partial) / n : 0;
    const double inv_std = 1.0 / sqrt(variance + static_cast<double>(epsilon));
    if (y) {
      const float m = static_cast<float>(mean), rs = static_cast<float>(inv_std);
      float* yr = y + r * cols;
      for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
        const float b = bias ? bias[j * bias_step] : 0.0f;
        yr[j] = (xr[j] - m) * rs * scale[j * scale_step] + b;
      }
    }
    if (threadIdx.x == 0) {
      if (mean_out)
        mean_out[r] = static_cast<float>(mean);
      if (inv_std_out)
        inv_std_out[r] = static_cast<float>(inv_std);
    }
  }
}

} // namespace

cudaError_t launch_layer_norm(const float* x, const float* scale, int scale_step,
                              const float* bias, int bias_step, float* y, float* mean,
                              float* inv_std, std::int64_t rows, std::int64_t cols,
                              float epsilon, cudaStream_t stream) {
  if (rows < 0 || cols < 0 || scale_step < 0 || scale_step > 1 || bias_step < 0 ||
      bias_step > 1)
    return cudaErrorInvalidValue;
  if (rows == 0)
    return cudaSuccess;
  const std::int64_t cap = std::int64_t{1} << 20;
  const unsigned blocks = static_cast<unsigned>(rows < cap ? rows : cap);
  layer_norm_kernel<<<blocks, norm_threads, 0, stream>>>(x, scale, scale_step, bias, bias_step,
                                                         y, mean, inv_std, rows, cols, epsilon);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
