// layer_norm.cuh: the CUDA launcher of LayerNormalization on float32 (layer_norm_gpu.cpp binds
// nodes to it).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// x, y [rows, cols]: one block per row reduces its mean, then its variance (in double), then
/// writes (x - mean) * inv_std * scale + bias. scale_step and bias_step are 1 for one value
/// per column, 0 for a single value; bias, y, mean and inv_std may be null (B not given, an
/// output the node leaves unnamed). mean and inv_std get one float per row.
cudaError_t launch_layer_norm(const float* x, const float* scale, int scale_step,
                              const float* bias, int bias_step, float* y, float* mean,
                              float* inv_std, std::int64_t rows, std::int64_t cols,
                              float epsilon, cudaStream_t stream);

} // namespace hogar::nn::cuda
