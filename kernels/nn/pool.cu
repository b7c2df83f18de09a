// pool.cu: MaxPool and AveragePool (one thread per output element, windows of 1 to 3 spatial
// dimensions right-aligned into three) and GlobalAveragePool (one block per plane).
#include <cfloat>

#include "kernels/nn/pool.cuh"

namespace hogar::nn::cuda {

namespace {

/// pool_window with the spatial dimensions right-aligned into three (leading ones: extent 1,
/// kernel 1, no padding).
struct window3 {
  std::int64_t in[3];
  std::int64_t out[3];
  std::int64_t kernel[3];
  std::int64_t stride[3];
  std::int64_t dilation[3];
  std::int64_t pad_begin[3];
  std::int64_t pad_end[3];
};

bool to_window3(const pool_window& w, window3& out) {
  const int rank = w.in.rank;
  if (rank < 1 || rank > 3)
    return false;
  for (const dims* d : {&w.out, &w.kernel, &w.strides, &w.dilations, &w.pads_begin, &w.pads_end})
    if (d->rank != rank)
      return false;
  for (int d = 0; d < 3; ++d) {
    const int from = d - (3 - rank);
    const bool real = from >= 0;
    out.in[d] = real ? w.in.v[from] : 1;
    out.out[d] = real ? w.out.v[from] : 1;
    out.kernel[d] = real ? w.kernel.v[from] : 1;
    out.stride[d] = real ? w.strides.v[from] : 1;
    out.dilation[d] = real ? w.dilations.v[from] : 1;
    out.pad_begin[d] = real ? w.pads_begin.v[from] : 0;
    out.pad_end[d] = real ? w.pads_end.v[from] : 0;
  }
  return true;
}

/// Splits output index i into its plane and the three spatial coordinates.
__device__ __forceinline__ std::int64_t split_output(const window3& w, std::int64_t i,
                                                     std::int64_t o[3]) {
  o[2] = i % w.out[2];
  i /= w.out[2];
  o[1] = i % w.out[1];
  i /= w.out[1];
  o[0] = i % w.out[0];
  return i / w.out[0];
}

__global__ void max_pool_kernel(const float* __restrict__ x, float* __restrict__ y, window3 w,
                                std::int64_t n) {
  const std::int64_t plane_size = w.in[0] * w.in[1] * w.in[2];
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    std::int64_t o[3];
    const std::int64_t plane = split_output(w, i, o);
    const float* xp = x + plane * plane_size;
    // Padding never wins: a window entirely in the padding gives the lowest float.
    float best = -FLT_MAX;
    for (std::int64_t k0 = 0; k0 < w.kernel[0]; ++k0) {
      const std::int64_t i0 = o[0] * w.stride[0] - w.pad_begin[0] + k0 * w.dilation[0];
      if (i0 < 0 || i0 >= w.in[0])
        continue;
      for (std::int64_t k1 = 0; k1 < w.kernel[1]; ++k1) {
        const std::int64_t i1 = o[1] * w.stride[1] - w.pad_begin[1] + k1 * w.dilation[1];
        if (i1 < 0 || i1 >= w.in[1])
          continue;
        const float* row = xp + (i0 * w.in[1] + i1) * w.in[2];
        for (std::int64_t k2 = 0; k2 < w.kernel[2]; ++k2) {
          const std::int64_t i2 = o[2] * w.stride[2] - w.pad_begin[2] + k2 * w.dilation[2];
          if (i2 >= 0 && i2 < w.in[2] && row[i2] > best)
            best = row[i2];
        }
      }
    }
    y[i] = best;
  }
}

__global__ void average_pool_kernel(const float* __restrict__ x, float* __restrict__ y,
                                    window3 w, bool count_include_pad, std::int64_t n) {
  const std::int64_t plane_size = w.in[0] * w.in[1] * w.in[2];
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    std::int64_t o[3];
    const std::int64_t plane = split_output(w, i, o);
    const float* xp = x + plane * plane_size;
    float sum = 0.0f;
    std::int64_t inside = 1, padded = 1;
    // Per dimension: window positions inside the input and inside the padded input; the
    // counts of the whole window are their products.
    std::int64_t first[3], count[3];
    for (int d = 0; d < 3; ++d) {
      std::int64_t in_count = 0, pad_count = 0, lo = -1;
      for (std::int64_t k = 0; k < w.kernel[d]; ++k) {
        const std::int64_t at = o[d] * w.stride[d] - w.pad_begin[d] + k * w.dilation[d];
        if (at >= -w.pad_begin[d] && at < w.in[d] + w.pad_end[d])
          ++pad_count;
        if (at >= 0 && at < w.in[d]) {
          if (lo < 0)
            lo = k;
          ++in_count;
        }
      }
      first[d] = lo;
      count[d] = in_count;
      inside *= in_count;
      padded *= pad_count;
    }
    if (inside > 0) {
      // Positions inside the input are consecutive window positions along each dimension.
      for (std::int64_t k0 = first[0]; k0 < first[0] + count[0]; ++k0) {
        const std::int64_t i0 = o[0] * w.stride[0] - w.pad_begin[0] + k0 * w.dilation[0];
        for (std::int64_t k1 = first[1]; k1 < first[1] + count[1]; ++k1) {
          const std::int64_t i1 = o[1] * w.stride[1] - w.pad_begin[1] + k1 * w.dilation[1];
          const float* row = xp + (i0 * w.in[1] + i1) * w.in[2];
          for (std::int64_t k2 = first[2]; k2 < first[2] + count[2]; ++k2)
            sum += row[o[2] * w.stride[2] - w.pad_begin[2] + k2 * w.dilation[2]];
        }
      }
    }
    const std::int64_t divisor = count_include_pad ? padded : inside;
    y[i] = divisor > 0 ? sum / static_cast<float>(divisor) : 0.0f;
  }
}

constexpr int reduce_threads = 256;

__global__ void global_average_kernel(const float* __restrict__ x, float* __restrict__ y,
                                      std::int64_t planes, std::int64_t plane_size) {
  __shared__ float partial[reduce_threads / 32];
  for (std::int64_t p = blockIdx.x; p < planes; p += gridDim.x) {
    const float* xp = x + p * plane_size;
    float sum = 0.0f;
    for (std::int64_t j = threadIdx.x; j < plane_size; j += blockDim.x)
      sum += xp[j];
    for (int offset = 16; offset > 0; offset /= 2)
      sum += __shfl_down_sync(0xffffffffu, sum, offset);
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (lane == 0)
      partial[warp] = sum;
    __syncthreads();
    if (warp == 0) {
      sum = lane < reduce_threads / 32 ? partial[lane] : 0.0f;
      for (int offset = 16; offset > 0; offset /= 2)
        sum += __shfl_down_sync(0xffffffffu, sum, offset);
      if (lane == 0)
        y[p] = plane_size > 0 ? sum / static_cast<float>(plane_size) : 0.0f;
    }
    // partial[] is reused by the next plane of this block.
    __syncthreads();
  }
}

} // namespace

cudaError_t launch_max_pool(const float* x, float* y, std::int64_t planes, const pool_window& w,
                            cudaStream_t stream) {
  window3 w3;
  if (!to_window3(w, w3) || planes < 0)
    return cudaErrorInvalidValue;
  const std::int64_t n = planes * w3.out[0] * w3.out[1] * w3.out[2];
  if (n == 0)
    return cudaSuccess;
  max_pool_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(x, y, w3, n);
  return cudaGetLastError();
}

cudaError_t launch_average_pool(const float* x, float* y, std::int64_t planes,
                                const pool_window& w, bool count_include_pad,
                                cudaStream_t stream) {
  window3 w3;
  if (!to_window3(w, w3) || planes < 0)
    return cudaErrorInvalidValue;
  const std::int64_t n = planes * w3.out[0] * w3.out[1] * w3.out[2];
  if (n == 0)
    return cudaSuccess;
  average_pool_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(x, y, w3, count_include_pad,
                                                                    n);
  return cudaGetLastError();
}

cudaError_t launch_global_average_pool(const float* x, float* y, std::int64_t planes,
                                       std::int64_t plane_size, cudaStream_t stream) {
  if (planes < 0 || plane_size < 0)
    return cudaErrorInvalidValue;
  if (planes == 0)
    return cudaSuccess;
  const std::int64_t cap = std::int64_t{1} << 20;
  const unsigned blocks = static_cast<unsigned>(planes < cap ? planes : cap);
  global_average_kernel<<<blocks, reduce_threads, 0, stream>>>(x, y, planes, plane_size);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
