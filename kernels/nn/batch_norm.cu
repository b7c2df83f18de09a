// batch_norm.cu: BatchNormalization in inference mode, one thread per element. The per-channel
// parameters may be values computed by the model, not only constants, so they are read here
// rather than folded on the host.
#include "kernels/nn/batch_norm.cuh"

namespace hogar::nn::cuda {

namespace {

__global__ void batch_norm_kernel(const float* __restrict__ x, float* __restrict__ y,
                                  const float* __restrict__ scale,
                                  const float* __restrict__ bias,
                                  const float* __restrict__ mean,
                                  const float* __restrict__ var, float epsilon,
                                  std::int64_t channels, std::int64_t spatial, std::int64_t n) {
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    const std::int64_t c = (i / spatial) % channels;
    y[i] = (x[i] - mean[c]) / sqrtf(var[c] + epsilon) * scale[c] + bias[c];
  }
}

} // namespace

cudaError_t launch_batch_norm(const float* x, float* y, const float* scale, const float* bias,
                              const float* mean, const float* var, float epsilon,
                              std::int64_t batch, std::int64_t channels, std::int64_t spatial,
                              cudaStream_t stream) {
  if (batch < 0 || channels < 0 || spatial < 0)
    return cudaErrorInvalidValue;
  const std::int64_t n = batch * channels * spatial;
  if (n == 0)
    return cudaSuccess;
  batch_norm_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(x, y, scale, bias, mean, var,
                                                                  epsilon, channels, spatial, n);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
