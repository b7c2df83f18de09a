// top_k.cu: TopK on float32 by ranking: a thread per element counts the elements of its slice
// that come before it; the k with ranks below k write themselves out.
#include "kernels/nn/top_k.cuh"

namespace hogar::nn::cuda {

namespace {

constexpr int rank_threads = 256;

/// top_k.hpp's top_k_before() on the device.
__device__ __forceinline__ bool before(bool largest, float a, std::int64_t ia, float b,
                                       std::int64_t ib) {
  const bool na = isnan(a), nb = isnan(b);
  if (na || nb) {
    if (na && nb)
      return ia < ib;
    return largest ? na : nb;
  }
  if (a != b)
    return largest ? a > b : a < b;
  return ia < ib;
}

/// blockIdx.x: a chunk of rank_threads elements of a slice; blockIdx.y (grid-stride): slices.
__global__ void top_k_rank_kernel(const float* __restrict__ x, float* __restrict__ values,
                                  std::int64_t* __restrict__ indices, std::int64_t slices,
                                  std::int64_t axis_size, std::int64_t inner, std::int64_t k,
                                  bool largest) {
  __shared__ float tile[rank_threads];
  const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * rank_threads + threadIdx.x;
  for (std::int64_t slice = blockIdx.y; slice < slices; slice += gridDim.y) {
    const std::int64_t o = slice / inner, i = slice % inner;
    const float* s = x + o * axis_size * inner + i;
    const bool mine = j < axis_size;
    const float v = mine ? s[j * inner] : 0.0f;
    std::int64_t rank = 0;
    for (std::int64_t start = 0; start < axis_size; start += rank_threads) {
      const std::int64_t t = start + threadIdx.x;
      if (t < axis_size)
        tile[threadIdx.x] = s[t * inner];
      __syncthreads();
      const std::int64_t count =
        axis_size - start < rank_threads ? axis_size - start : rank_threads;
      if (mine)
        for (std::int64_t c = 0; c < count; ++c)
          rank += before(largest, tile[c], start + c, v, j) ? 1 : 0;
      __syncthreads();
    }
    if (mine && rank < k) {
      const std::int64_t at = (o * k + rank) * inner + i;
      if (values)
        values[at] = v;
      if (indices)
        indices[at] = j;
    }
  }
}

} // namespace

cudaError_t launch_top_k(const float* x, float* values, std::int64_t* indices,
                         std::int64_t outer, std::int64_t axis_size, std::int64_t inner,
                         std::int64_t k, bool largest, cudaStream_t stream) {
  if (outer < 0 || axis_size < 0 || inner < 0 || k < 0 || k > axis_size)
    return cudaErrorInvalidValue;
  const std::int64_t slices = outer * inner;
  if (slices == 0 || k == 0)
    return cudaSuccess;
  const std::int64_t chunks = (axis_size + rank_threads - 1) / rank_threads;
  // gridDim.x may reach 2^31 - 1, gridDim.y 65535 (slices beyond loop).
  if (chunks > 0x7fffffff)
    return cudaErrorInvalidValue;
  const unsigned ys = static_cast<unsigned>(slices < 65535 ? slices : 65535);
  top_k_rank_kernel<<<dim3(static_cast<unsigned>(chunks), ys), rank_threads, 0, stream>>>(
    x, values, indices, slices, axis_size, inner, k, largest);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
