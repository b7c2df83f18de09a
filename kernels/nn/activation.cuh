// activation.cuh: CUDA launchers of the element-wise activations on float32, standalone
// (Relu, LeakyRelu, Sigmoid, Tanh, Clip nodes) and as the fused epilogue of Conv and Gemm.
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// y[i] = activate(x[i]) for i < n; x may equal y (in place).
cudaError_t launch_activation(const activation_params& act, const float* x, float* y,
                              std::int64_t n, cudaStream_t stream);

/// Clip with bounds that are model values (opset 11 on): y[i] = min(max(x[i], lo), hi) where
/// lo = *min_bound when min_bound is not null, else `lo`; likewise hi. The bounds are device
/// pointers read by the kernel, so they need not be known when the node is bound.
cudaError_t launch_clip(const float* x, float* y, std::int64_t n, const float* min_bound,
                        const float* max_bound, float lo, float hi, cudaStream_t stream);

/// y viewed as [outer, channels, inner]: y = activate(y + bias[channel]) in place; `bias` may be
/// null (the activation alone). Conv's bias and epilogue after cuDNN's convolution.
cudaError_t launch_bias_activation(const activation_params& act, float* y, const float* bias,
                                   std::int64_t outer, std::int64_t channels, std::int64_t inner,
                                   cudaStream_t stream);

} // namespace hogar::nn::cuda
