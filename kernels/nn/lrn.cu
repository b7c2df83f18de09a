// lrn.cu: LRN on float32, one thread per output element.
#include "kernels/nn/lrn.cuh"

namespace hogar::nn::cuda {

namespace {

__global__ void lrn_kernel(const float* x, float* y, lrn_geometry g, std::int64_t n) {
  const float scale = g.alpha / static_cast<float>(g.size);
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    const std::int64_t s = i % g.spatial;
    const std::int64_t c = i / g.spatial % g.channels;
    const std::int64_t image = i / (g.spatial * g.channels);
    const std::int64_t first = c - g.before < 0 ? 0 : c - g.before;
    const std::int64_t last = c + g.after > g.channels - 1 ? g.channels - 1 : c + g.after;
    float squares = 0;
    for (std::int64_t k = first; k <= last; ++k) {
      const float v = x[(image * g.channels + k) * g.spatial + s];
      squares += v * v;
    }
    y[i] = x[i] / powf(g.bias + scale * squares, g.beta);
  }
}

} // namespace

cudaError_t launch_lrn(const float* x, float* y, const lrn_geometry& g, cudaStream_t stream) {
  if (g.batch < 0 || g.channels < 0 || g.spatial < 0)
    return cudaErrorInvalidValue;
  const std::int64_t n = g.batch * g.channels * g.spatial;
  if (n == 0)
    return cudaSuccess;
  lrn_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(x, y, g, n);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
