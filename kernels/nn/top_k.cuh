// top_k.cuh: the CUDA launcher of TopK on float32 (top_k_gpu.cpp binds nodes to it, top_k.cu
// holds the kernel).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// x [outer, axis_size, inner]; values and indices [outer, k, inner] (either may be null).
/// Each element finds its rank in its slice under top_k.hpp's total order (NaN above every
/// number, ties by lower index) by comparing itself with the whole slice, staged through
/// shared memory, and writes itself at that rank when the rank is below k: O(axis_size^2)
/// comparisons per slice, exact and deterministic, a fraction of a millisecond for the tens
/// of thousands of boxes a detector ranks.
cudaError_t launch_top_k(const float* x, float* values, std::int64_t* indices,
                         std::int64_t outer, std::int64_t axis_size, std::int64_t inner,
                         std::int64_t k, bool largest, cudaStream_t stream);

} // namespace hogar::nn::cuda
