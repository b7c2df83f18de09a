// shape_ops.cuh: the CUDA launcher of Transpose for every dtype (shape_ops_gpu.cpp binds
// nodes to it; Concat needs no kernel of its own: it is one 2-D copy per input).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// y[i] = x[sum_d index_d(i) * in_strides[d]] where index(i) is i's multi-index over
/// `out` (row-major): a permutation of x's dimensions when in_strides are x's strides
/// permuted. Elements are moved as opaque blocks of element_size bytes (1, 2, 4 or 8).
cudaError_t launch_transpose(const void* x, void* y, std::size_t element_size, const dims& out,
                             const dims& in_strides, cudaStream_t stream);

} // namespace hogar::nn::cuda
