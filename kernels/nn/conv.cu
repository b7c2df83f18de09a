// conv.cu: the zero-padded copy of a Conv input (asymmetric pads), one thread per output
// element.
#include "kernels/nn/conv.cuh"

namespace hogar::nn::cuda {

namespace {

/// Spatial dimensions are right-aligned into three: missing leading ones have extent 1.
struct box3 {
  std::int64_t in[3];
  std::int64_t out[3];
  std::int64_t pad[3];
};

__global__ void pad_kernel(const float* __restrict__ x, float* __restrict__ y, box3 box,
                           std::int64_t n) {
  const std::int64_t in_plane = box.in[0] * box.in[1] * box.in[2];
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    std::int64_t rest = i;
    const std::int64_t o2 = rest % box.out[2];
    rest /= box.out[2];
    const std::int64_t o1 = rest % box.out[1];
    rest /= box.out[1];
    const std::int64_t o0 = rest % box.out[0];
    const std::int64_t plane = rest / box.out[0];
    const std::int64_t i0 = o0 - box.pad[0], i1 = o1 - box.pad[1], i2 = o2 - box.pad[2];
    float v = 0.0f;
    if (i0 >= 0 && i0 < box.in[0] && i1 >= 0 && i1 < box.in[1] && i2 >= 0 && i2 < box.in[2])
      v = x[plane * in_plane + (i0 * box.in[1] + i1) * box.in[2] + i2];
    y[i] = v;
  }
}

} // namespace

cudaError_t launch_pad(const float* x, float* y, std::int64_t planes, const dims& in,
                       const dims& out, const dims& pads_begin, cudaStream_t stream) {
  const int rank = in.rank;
  if (rank < 1 || rank > 3 || out.rank != rank || pads_begin.rank != rank || planes < 0)
    return cudaErrorInvalidValue;
  box3 box;
  for (int d = 0; d < 3; ++d) {
    const int from = d - (3 - rank);
    box.in[d] = from >= 0 ? in.v[from] : 1;
    box.out[d] = from >= 0 ? out.v[from] : 1;
    box.pad[d] = from >= 0 ? pads_begin.v[from] : 0;
  }
  const std::int64_t n = planes * box.out[0] * box.out[1] * box.out[2];
  if (n == 0)
    return cudaSuccess;
  pad_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(x, y, box, n);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
