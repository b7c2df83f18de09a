// conv.cuh: the CUDA helper of Conv (conv_gpu.cpp runs the convolution itself through cuDNN).
// cuDNN pads symmetrically only; a Conv with pads_begin != pads_end first copies its input
// into a zero-bordered buffer with launch_pad, then convolves that with no padding.
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// x [planes, in...] -> y [planes, out...] (row-major, `in` and `out` of equal rank 1 to 3):
/// y[p, o] = x[p, o - pads_begin] where that lies inside `in`, else 0. Every element of y is
/// written.
cudaError_t launch_pad(const float* x, float* y, std::int64_t planes, const dims& in,
                       const dims& out, const dims& pads_begin, cudaStream_t stream);

} // namespace hogar::nn::cuda
