// prelu.cuh: the CUDA launcher of PRelu on float32 (prelu_gpu.cpp binds nodes to it).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// y[i] = x[i] < 0 ? slope[offset(i)] * x[i] : x[i] over the extents of `out`, the slope's
/// offset stepping by `slope_strides` (0 along broadcast dimensions); x is contiguous.
cudaError_t launch_prelu(const float* x, const float* slope, float* y, const dims& out,
                         const dims& slope_strides, cudaStream_t stream);

} // namespace hogar::nn::cuda
