// gelu.cuh: the CUDA launcher of Gelu on float32 (gelu_gpu.cpp binds nodes to it, gelu.cu
// holds the kernel).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// y[i] = gelu(x[i]) for i < n, the tanh approximation when tanh_form; x may equal y.
cudaError_t launch_gelu(const float* x, float* y, std::int64_t n, bool tanh_form,
                        cudaStream_t stream);

} // namespace hogar::nn::cuda
