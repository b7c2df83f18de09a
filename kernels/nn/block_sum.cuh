// block_sum.cuh: the sum over a thread block that the normalizations (InstanceNormalization,
// LayerNormalization: one block per plane or row) reduce their statistics with.
#pragma once

namespace hogar::nn::cuda {

/// The threads of every normalization block.
constexpr int norm_threads = 256;

/// The sum of every thread's `v` in a block of norm_threads threads, returned to all of them;
/// `shared` holds norm_threads / 32 doubles.
__device__ inline double block_sum(double v, double* shared) {
  for (int offset = 16; offset > 0; offset /= 2)
    v += __shfl_down_sync(0xffffffffu, v, offset);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0)
    shared[warp] = v;
  __syncthreads();
  double total = 0;
  for (int w = 0; w < norm_threads / 32; ++w)
    total += shared[w];
  // shared[] is reused by the next reduction.
  __syncthreads();
  return total;
}

} // namespace hogar::nn::cuda
