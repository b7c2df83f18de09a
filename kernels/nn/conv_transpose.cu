// conv_transpose.cu: ConvTranspose's crop of the full output, with the bias, one thread per
// output element.
#include "kernels/nn/conv_transpose.cuh"

namespace hogar::nn::cuda {

namespace {

/// Spatial dimensions right-aligned into three: missing leading ones have extent 1.
struct crop3 {
  std::int64_t full[3];
  std::int64_t out[3];
  std::int64_t begin[3];
};

__global__ void crop_bias_kernel(const float* __restrict__ full, float* __restrict__ y,
                                 const float* __restrict__ bias, crop3 box,
                                 std::int64_t channels, std::int64_t n) {
  const std::int64_t full_plane = box.full[0] * box.full[1] * box.full[2];
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    std::int64_t rest = i;
    const std::int64_t o2 = rest % box.out[2];
    rest /= box.out[2];
    const std::int64_t o1 = rest % box.out[1];
    rest /= box.out[1];
    const std::int64_t o0 = rest % box.out[0];
    const std::int64_t plane = rest / box.out[0];
    const std::int64_t f0 = o0 + box.begin[0], f1 = o1 + box.begin[1], f2 = o2 + box.begin[2];
    float v = bias ? bias[plane % channels] : 0.0f;
    if (f0 >= 0 && f0 < box.full[0] && f1 >= 0 && f1 < box.full[1] && f2 >= 0 &&
        f2 < box.full[2])
      v += full[plane * full_plane + (f0 * box.full[1] + f1) * box.full[2] + f2];
    y[i] = v;
  }
}

} // namespace

cudaError_t launch_crop_bias(const float* full, float* y, std::int64_t planes,
                             std::int64_t channels, const dims& full_extents, const dims& out,
                             const dims& crop_begin, const float* bias, cudaStream_t stream) {
  const int rank = out.rank;
  if (rank < 1 || rank > 3 || full_extents.rank != rank || crop_begin.rank != rank ||
      planes < 0 || channels < 1)
    return cudaErrorInvalidValue;
  crop3 box;
  for (int d = 0; d < 3; ++d) {
    const int from = d - (3 - rank);
    box.full[d] = from >= 0 ? full_extents.v[from] : 1;
    box.out[d] = from >= 0 ? out.v[from] : 1;
    box.begin[d] = from >= 0 ? crop_begin.v[from] : 0;
  }
  const std::int64_t n = planes * box.out[0] * box.out[1] * box.out[2];
  if (n == 0)
    return cudaSuccess;
  crop_bias_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(full, y, bias, box, channels,
                                                                 n);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
