// gemm.cuh: the CUDA helper of Gemm (gemm_gpu.cpp runs the products through cuBLAS): C,
// broadcast to the output's shape and scaled by beta, is written into Y before cuBLAS adds
// alpha * A' B' to it.
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// y [rows, cols] = scale * c[r * row_stride + k * col_stride] (strides in elements, 0 along a
/// broadcast dimension).
cudaError_t launch_broadcast_scale(const float* c, float* y, std::int64_t rows, std::int64_t cols,
                                   std::int64_t row_stride, std::int64_t col_stride, float scale,
                                   cudaStream_t stream);

} // namespace hogar::nn::cuda
