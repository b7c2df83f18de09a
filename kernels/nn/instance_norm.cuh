// instance_norm.cuh: the CUDA launcher of InstanceNormalization on float32
// (instance_norm_gpu.cpp binds nodes to it).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// x, y [planes, plane_size] with planes = batch * channels: one block per plane reduces its
/// mean, then its variance (in double), then writes scale[c] * (x - mean) * rstd + bias[c].
cudaError_t launch_instance_norm(const float* x, const float* scale, const float* bias, float* y,
                                 std::int64_t planes, std::int64_t channels,
                                 std::int64_t plane_size, float epsilon, cudaStream_t stream);

} // namespace hogar::nn::cuda
