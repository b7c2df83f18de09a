// batch_norm.cuh: the CUDA launcher of BatchNormalization in inference mode on float32
// (batch_norm_gpu.cpp binds nodes to it).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// x, y [batch, channels, spatial]; scale, bias, mean, var [channels]:
/// y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + bias[c].
cudaError_t launch_batch_norm(const float* x, float* y, const float* scale, const float* bias,
                              const float* mean, const float* var, float epsilon,
                              std::int64_t batch, std::int64_t channels, std::int64_t spatial,
                              cudaStream_t stream);

} // namespace hogar::nn::cuda
