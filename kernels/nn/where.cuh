// where.cuh: the CUDA launcher of Where, condition ? X : Y with numpy broadcasting of all
// three inputs, for elements of 1, 2, 4 or 8 bytes whatever they hold (where_gpu.cpp binds
// nodes to it; where.cu holds the kernel).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// z[i] = c[offset_c(i)] != 0 ? x[offset_x(i)] : y[offset_y(i)] for every i < element count of
/// `out`, each offset stepping by its strides (0 along broadcast dimensions) over the extents
/// of `out`; all four dims have out.rank entries (1 to max_rank). `c` holds bool bytes; x, y
/// and z hold elements of `element_bytes` (1, 2, 4 or 8; others are refused with
/// cudaErrorInvalidValue).
cudaError_t launch_where(int element_bytes, const void* c, const void* x, const void* y, void* z,
                         const dims& out, const dims& c_strides, const dims& x_strides,
                         const dims& y_strides, cudaStream_t stream);

} // namespace hogar::nn::cuda
