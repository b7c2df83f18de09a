// instance_norm.cu: InstanceNormalization on float32, one block per (image, channel) plane.
#include "kernels/nn/instance_norm.cuh"

#include "kernels/nn/block_sum.cuh"

namespace hogar::nn::cuda {

namespace {

__global__ void instance_norm_kernel(const float* __restrict__ x, const float* __restrict__ scale,
                                     const float* __restrict__ bias, float* __restrict__ y,
                                     std::int64_t planes, std::int64_t channels,
                                     std::int64_t plane_size, float epsilon) {
  __shared__ double partial[norm_threads / 32];
  for (std::int64_t p = blockIdx.x; p < planes; p += gridDim.x) {
    const float* xp = x + p * plane_size;
    float* yp = y + p * plane_size;
    double sum = 0;
    for (std::int64_t j = threadIdx.x; j < plane_size; j += blockDim.x)
      sum += xp[j];
    const double n = static_cast<double>(plane_size);
    const double mean = plane_size > 0 ? block_sum(sum, partial) / n : 0;
    double squares = 0;
    for (std::int64_t j = threadIdx.x; j < plane_size; j += blockDim.x) {
      const double d = xp[j] - mean;
      squares += d * d;
    }
    const double variance = plane_size > 0 ? block_sum(squares, partial) / n : 0;
    const std::int64_t c = p % channels;
    const float factor = static_cast<float>(scale[c] / sqrt(variance + epsilon));
    const float shift = static_cast<float>(bias[c] - mean * factor);
    for (std::int64_t j = threadIdx.x; j < plane_size; j += blockDim.x)
      yp[j] = xp[j] * factor + shift;
  }
}

} // namespace

cudaError_t launch_instance_norm(const float* x, const float* scale, const float* bias, float* y,
                                 std::int64_t planes, std::int64_t channels,
                                 std::int64_t plane_size, float epsilon, cudaStream_t stream) {
  if (planes < 0 || channels <= 0 || plane_size < 0)
    return planes == 0 ? cudaSuccess : cudaErrorInvalidValue;
  if (planes == 0)
    return cudaSuccess;
  const std::int64_t cap = std::int64_t{1} << 20;
  const unsigned blocks = static_cast<unsigned>(planes < cap ? planes : cap);
  instance_norm_kernel<<<blocks, norm_threads, 0, stream>>>(x, scale, bias, y, planes, channels,
                                                            plane_size, epsilon);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
