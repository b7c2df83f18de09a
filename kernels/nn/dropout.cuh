// dropout.cuh: the CUDA launcher that fills Dropout's mask of opsets 7 to 9, a float tensor
// of ones (a bool mask is a cudaMemsetAsync; dropout_gpu.cpp binds the node, dropout.cu holds
// the kernel).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// y[i] = 1 for i < n, y holding float32 (`double_precision` false) or float64 values.
cudaError_t launch_fill_ones(void* y, std::int64_t n, bool double_precision,
                             cudaStream_t stream);

} // namespace hogar::nn::cuda
