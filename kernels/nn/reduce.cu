// reduce.cu: the reductions and ArgMax / ArgMin. Contiguous rows (the last axes) take one
// block each, reduced with warp shuffles; every other layout takes one thread per output,
// neighbouring threads reading neighbouring elements when the innermost axis is kept.
// LogSumExp sweeps twice: the maximum, then the sum of exp(x - max).
#include <cmath>

#include "kernels/nn/reduce.cuh"

namespace hogar::nn::cuda {

namespace {

/// What one sweep accumulates (cf. reduce_cpu.cpp).
enum sweep : int { sweep_sum, sweep_square, sweep_abs, sweep_prod, sweep_max, sweep_min,
                   sweep_exp };

__host__ __device__ int sweep_of(int op) {
  switch (op) {
    case reduce_sum_square:
    case reduce_l2: return sweep_square;
    case reduce_l1: return sweep_abs;
    case reduce_prod: return sweep_prod;
    case reduce_max: return sweep_max;
    case reduce_min: return sweep_min;
    case reduce_log_sum_exp: return sweep_exp;
    default: return sweep_sum;
  }
}

__device__ float identity_of(int s) {
  switch (s) {
    case sweep_prod: return 1.0f;
    case sweep_max: return -INFINITY;
    case sweep_min: return INFINITY;
    default: return 0.0f;
  }
}

/// Max and Min keep a NaN once met, as numpy's do.
__device__ float step(int s, float acc, float v, float shift) {
  switch (s) {
    case sweep_square: return acc + v * v;
    case sweep_abs: return acc + fabsf(v);
    case sweep_prod: return acc * v;
    case sweep_max: return (v > acc || v != v) ? v : acc;
    case sweep_min: return (v < acc || v != v) ? v : acc;
    case sweep_exp: return acc + expf(v - shift);
    default: return acc + v;
  }
}

/// Two partial results into one.
__device__ float combine(int s, float a, float b) {
  switch (s) {
    case sweep_prod: return a * b;
    case sweep_max: return (b > a || b != b) ? b : a;
    case sweep_min: return (b < a || b != b) ? b : a;
    default: return a + b;
  }
}

__device__ float finish(int op, float acc, float m, std::int64_t n) {
  switch (op) {
    case reduce_mean: return acc / static_cast<float>(n);
    case reduce_l2: return sqrtf(acc);
    case reduce_log_sum: return logf(acc);
    case reduce_log_sum_exp: return (isnan(m) || isinf(m)) ? m : m + logf(acc);
    default: return acc;
  }
}

__device__ std::int64_t offset_of(const dims& extents, const dims& strides, std::int64_t i) {
  std::int64_t offset = 0;
  for (int d = extents.rank - 1; d >= 0; --d) {
    offset += i % extents.v[d] * strides.v[d];
    i /= extents.v[d];
  }
  return offset;
}

/// One value per thread combined over the block (blockDim.x a multiple of 32, at most 1024);
/// every thread gets the result. `scratch` holds 32 floats.
__device__ float block_combine(int s, float v, float* scratch) {
  for (int offset = 16; offset > 0; offset /= 2)
    v = combine(s, v, __shfl_xor_sync(0xffffffffu, v, offset));
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  v = scratch[0];
  for (int w = 1; w < static_cast<int>(blockDim.x / 32); ++w)
    v = combine(s, v, scratch[w]);
  __syncthreads();
  return v;
}

__global__ void reduce_rows_kernel(const float* __restrict__ x, float* __restrict__ y, int op,
                                   std::int64_t rows, std::int64_t length) {
  __shared__ float scratch[32];
  const int s = sweep_of(op);
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * length;
    float m = 0.0f;
    if (op == reduce_log_sum_exp) {
      float local = -INFINITY;
      for (std::int64_t j = threadIdx.x; j < length; j += blockDim.x)
        local = step(sweep_max, local, xr[j], 0.0f);
      m = block_combine(sweep_max, local, scratch);
    }
    float acc = identity_of(s);
    for (std::int64_t j = threadIdx.x; j < length; j += blockDim.x)
      acc = step(s, acc, xr[j], m);
    acc = block_combine(s, acc, scratch);
    if (threadIdx.x == 0)
      y[r] = finish(op, acc, m, length);
  }
}

__global__ void reduce_strided_kernel(const float* __restrict__ x, float* __restrict__ y, int op,
                                      dims kept_extents, dims kept_strides, dims reduced_extents,
                                      dims reduced_strides, std::int64_t outputs,
                                      std::int64_t n) {
  const int s = sweep_of(op);
  // One reduced run (the common case) needs no index arithmetic per element.
  const bool one_run = reduced_extents.rank == 1;
  const std::int64_t stride = one_run ? reduced_strides.v[0] : 0;
  for (std::int64_t o = global_index(); o < outputs; o += grid_stride()) {
    const float* xo = x + offset_of(kept_extents, kept_strides, o);
    auto at = [&](std::int64_t r) {
      return xo[one_run ? r * stride : offset_of(reduced_extents, reduced_strides, r)];
    };
    float m = 0.0f;
    if (op == reduce_log_sum_exp) {
      m = -INFINITY;
      for (std::int64_t r = 0; r < n; ++r)
        m = step(sweep_max, m, at(r), 0.0f);
    }
    float acc = identity_of(s);
    for (std::int64_t r = 0; r < n; ++r)
      acc = step(s, acc, at(r), m);
    y[o] = finish(op, acc, m, n);
  }
}

__global__ void arg_reduce_kernel(const float* __restrict__ x, std::int64_t* __restrict__ y,
                                  std::int64_t outer, std::int64_t length, std::int64_t inner,
                                  bool is_max, bool select_last) {
  const std::int64_t slices = outer * inner;
  for (std::int64_t t = global_index(); t < slices; t += grid_stride()) {
    const std::int64_t o = t / inner, i = t % inner;
    const float* xs = x + o * length * inner + i;
    float best = xs[0];
    std::int64_t index = 0;
    for (std::int64_t j = 1; j < length; ++j) {
      const float v = xs[j * inner];
      // NaN is the extreme: the first wins, the last with select_last.
      const bool take = best != best
                          ? (select_last && v != v)
                          : (v != v || (is_max ? v > best : v < best) ||
                             (select_last && v == best));
      if (take) {
        best = v;
        index = j;
      }
    }
    y[t] = index;
  }
}

} // namespace

cudaError_t launch_reduce(const float* x, float* y, int op, const dims& kept_extents,
                          const dims& kept_strides, const dims& reduced_extents,
                          const dims& reduced_strides, std::int64_t output_count,
                          std::int64_t reduced_count, bool rows, cudaStream_t stream) {
  if (output_count < 0 || reduced_count < 0)
    return cudaErrorInvalidValue;
  if (output_count == 0)
    return cudaSuccess;
  if (rows && reduced_count > 0) {
    // Short rows waste fewer idle threads with small blocks.
    const int threads = reduced_count <= 256 ? 32 : reduced_count <= 2048 ? 128 : 512;
    const std::int64_t cap = std::int64_t{1} << 20;
    const unsigned blocks = static_cast<unsigned>(output_count < cap ? output_count : cap);
    reduce_rows_kernel<<<blocks, threads, 0, stream>>>(x, y, op, output_count, reduced_count);
  } else {
    reduce_strided_kernel<<<grid_blocks(output_count), block_threads, 0, stream>>>(
      x, y, op, kept_extents, kept_strides, reduced_extents, reduced_strides, output_count,
      reduced_count);
  }
  return cudaGetLastError();
}

cudaError_t launch_arg_reduce(const float* x, std::int64_t* y, std::int64_t outer,
                              std::int64_t axis_size, std::int64_t inner, bool is_max,
                              bool select_last, cudaStream_t stream) {
  if (outer < 0 || axis_size <= 0 || inner < 0)
    return cudaErrorInvalidValue;
  const std::int64_t slices = outer * inner;
  if (slices == 0)
    return cudaSuccess;
  arg_reduce_kernel<<<grid_blocks(slices), block_threads, 0, stream>>>(x, y, outer, axis_size,
                                                                      inner, is_max, select_last);
  return cudaGetLastError();
}

} // namespace hogar::nn::cuda
