// softmax.cuh: the CUDA launcher of Softmax and LogSoftmax on float32 (softmax_gpu.cpp binds
// nodes to it).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// x, y [outer, axis_size, inner]: every slice of axis_size elements `inner` apart becomes
/// exp(x - max) / sum(exp(x - max)), or with `log` x - max - log(sum(exp(x - max))).
cudaError_t launch_softmax(const float* x, float* y, std::int64_t outer, std::int64_t axis_size,
                           std::int64_t inner, bool log, cudaStream_t stream);

} // namespace hogar::nn::cuda
