// softmax.cu: Softmax and LogSoftmax. Contiguous slices (inner == 1, the usual last-axis case)
// take one block each, reduced with warp shuffles; strided slices (inner > 1) take one thread
// each, neighbouring threads reading neighbouring elements.
#include <cmath>

#include "kernels/nn/softmax.cuh"

namespace hogar::nn::cuda {

namespace {

struct max_op {
  __device__ float operator()(float a, float b) const { return a > b ? a : b; }
};
struct sum_op {
  __device__ float operator()(float a, float b) const { return a + b; }
};

/// Reduces one value per thread over the block (blockDim.x a multiple of 32, at most 1024);
/// every thread gets the result. `scratch` holds 32 floats; the block must not use it until
/// every thread has returned (a trailing __syncthreads is included).
template <class Op>
__device__ float block_reduce(float v, float* scratch, Op op) {
  for (int offset = 16; offset > 0; offset /= 2)
    v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int warps = blockDim.x / 32;
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  v = scratch[0];
  for (int w = 1; w < warps; ++w)
    v = op(v, scratch[w]);
  __syncthreads();
  return v;
}

__global__ void softmax_rows_kernel(const float* __restrict__ x, float* __restrict__ y,
                                    std::int64_t rows, std::int64_t length, bool log) {
  __shared__ float scratch[32];
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * length;
    float* yr = y + r * length;
    float m = -INFINITY;
    for (std::int64_t j = threadIdx.x; j < length; j += blockDim.x)
      m = xr[j] > m ? xr[j] : m;
    m = block_reduce(m, scratch, max_op{});
    float s = 0.0f;
    for (std::int64_t j = threadIdx.x; j < length; j += blockDim.x)
      s += expf(xr[j] - m);
    s = block_reduce(s, scratch, sum_op{});
    if (log) {
      const float log_sum = logf(s);
      for (std::int64_t j = threadIdx.x; j < length; j += blockDim.x)
        yr[j] = (xr[j] - m) - log_sum;
    } else {
      for (std::int64_t j = threadIdx.x; j < length; j += blockDim.x)
        yr[j] = expf(xr[j] - m) / s;
    }
  }
}

__global__ void softmax_strided_kernel(const float* __restrict__ x, float* __restrict__ y,
                                       std::int64_t outer, std::int64_t length,
                                       std::int64_t inner, bool log) {
  const std::int64_t slices = outer * inner;
  for (std::int64_t s = global_index(); s < slices; s += grid_stride()) {
    const std::int64_t o = s / inner, i = s % inner;
    const float* xs = x + o * length * inner + i;
    float* ys = y + o * length * inner + i;
    float m = -INFINITY;
    for (std::int64_t j = 0; j < length; ++j)
      m = xs[j * inner] > m ? xs[j * inner] : m;
    float sum = 0.0f;
    for (std::int64_t j = 0; j < length; ++j)
      sum += expf(xs[j * inner] - m);
    if (log) {
      const float log_sum = logf(sum);
      for (std::int64_t j = 0; j < length; ++j)
        ys[j * inner] = (xs[j * inner] - m) - log_sum;
    } else {
      for (std::int64_t j = 0; j < length; ++j)
        ys[j * inner] = expf(xs[j * inner] - m) / sum;
    }
  }
}

} // namespace

cudaError_t launch_softmax(const float* x, float* y, std::int64_t outer, std::int64_t axis_size,
                           std::int64_t inner, bool log, cudaStream_t stream) {
  if (outer < 0 || axis_size < 0 || inner < 0)
    return cudaErrorInvalidValue;
  if (outer == 0 || axis_size == 0 || inner == 0)
    return cudaSuccess;
  if (inner == 1) {
    // Short rows waste fewer idle threads with small blocks.
    const int threads = axis_size <= 256 ? 32 : axis_size <= 2048 ? 128 : 512;
    const std::int64_t cap = std::int64_t{1} << 20;
    const unsigned blocks = static_cast<unsigned>(outer < cap ? outer : cap);
    softmax_rows_kernel<<<blocks, threads, 0, stream>>>(x, y, outer, axis_size, log);
  } else {
    const std::int64_t slices = outer * inner;
    softmax_strided_kernel<<<grid_blocks(slices), block_threads, 0, stream>>>(x, y, outer,
                                                                             axis_size, inner, log);
  }
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
