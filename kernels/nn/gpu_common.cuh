// gpu_common.cuh: plain types shared by the CUDA launchers (X.cuh / X.cu) and their C++20
// callers (X_gpu.cpp). nvcc compiles the .cu files as C++17, so nothing here may include a
// hogar header: interfaces are pointers, int64 extents and a cudaStream_t. Every launcher
// enqueues its work on the given stream and returns cudaGetLastError() (cudaSuccess when it
// had nothing to do), so that the caller can name the node whose launch failed.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace hogar::nn::cuda {

/// Dimensions a launcher takes after its caller merged what can be merged; shapes needing more
/// are refused when the node is bound, with a message.
constexpr int max_rank = 16;

/// Extents (or strides) of up to max_rank dimensions, passed by value as a kernel argument.
struct dims {
  int rank = 0;
  std::int64_t v[max_rank] = {};
};

/// Mirrors hogar::nn::activation (epilogue.hpp), which the .cu files cannot include.
enum activation_kind : int {
  activation_none = 0,
  activation_relu,
  activation_leaky_relu,
  activation_clip,
  activation_sigmoid,
  activation_tanh,
  activation_silu,
  activation_gelu,
};

/// An activation applied element-wise (a standalone activation node or a fused epilogue).
struct activation_params {
  int kind = activation_none;
  float alpha = 0.01f;
  float min = 0.0f;
  float max = 0.0f;
};

/// The element count of `out` for a launcher whose operands step over it by `a` and `b`
/// (each with out.rank entries, 1 to max_rank); -1 when the dims do not fit that.
inline std::int64_t broadcast_element_count(const dims& out, const dims& a, const dims& b) {
  if (out.rank < 1 || out.rank > max_rank || a.rank != out.rank || b.rank != out.rank)
    return -1;
  std::int64_t n = 1;
  for (int d = 0; d < out.rank; ++d)
    n *= out.v[d];
  return n;
}

#ifdef __CUDACC__

/// The formulas of epilogue.hpp's apply(), written with the same comparisons so that NaN and
/// infinities come out as on the CPU.
__device__ __forceinline__ float activate(const activation_params& a, float x) {
  switch (a.kind) {
    case activation_relu: return x > 0.0f ? x : 0.0f;
    case activation_leaky_relu: return x >= 0.0f ? x : a.alpha * x;
    case activation_clip: {
      // std::min(std::max(x, lo), hi)
      float y = x < a.min ? a.min : x;
      return a.max < y ? a.max : y;
    }
    case activation_sigmoid: return 1.0f / (1.0f + expf(-x));
    case activation_tanh: return tanhf(x);
    case activation_silu: return x / (1.0f + expf(-x));
    case activation_gelu: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    default: return x;
  }
}

/// Threads per block of the element-wise kernels.
constexpr int block_threads = 256;

/// Blocks for a grid-stride loop over n elements (n > 0): enough to fill an H100 many times
/// over, few enough that gridDim.x never overflows.
inline unsigned grid_blocks(std::int64_t n, int threads = block_threads) {
  std::int64_t blocks = (n + threads - 1) / threads;
  const std::int64_t cap = std::int64_t{1} << 20;
  return static_cast<unsigned>(blocks < cap ? blocks : cap);
}

/// Index of this thread in a 1-D grid, and the grid's stride, in 64 bits.
__device__ __forceinline__ std::int64_t global_index() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ std::int64_t grid_stride() {
  return static_cast<std::int64_t>(gridDim.x) * blockDim.x;
}

#endif

/// Calls fn(word<T>{}) with T the unsigned integer of `bytes` bytes (1, 2, 4 or 8) and returns
/// what it returns: data movement (transpose, pad, gather, where) copies the elements of any
/// dtype as such words. cudaErrorInvalidValue for another size.
template <class T>
struct word {
  using type = T;
};
template <class F>
cudaError_t with_word(std::size_t bytes, F&& fn) {
  switch (bytes) {
    case 1: return fn(word<std::uint8_t>{});
    case 2: return fn(word<std::uint16_t>{});
    case 4: return fn(word<std::uint32_t>{});
    case 8: return fn(word<std::uint64_t>{});
    default: return cudaErrorInvalidValue;
  }
}

} // namespace hogar::nn::cuda
