// conv_transpose.cuh: the CUDA helper of ConvTranspose (conv_transpose_gpu.cpp runs the
// transposed convolution itself through cuDNN's cudnnConvolutionBackwardData). Crops cuDNN
// cannot express with its symmetric padding (output_padding of a stride or more, uneven pads,
// an output_shape past the full output) are made by computing the full output into a buffer
// and cutting it to the output with launch_crop_bias, which adds the bias on the way.
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// full [planes, full...] -> y [planes, out...] (row-major, `full`, `out` and `crop_begin` of
/// equal rank 1 to 3; planes = images x channels): y[p, o] = full[p, o + crop_begin] where
/// that lies inside `full`, else 0; plus bias[p % channels] when `bias` is not null. Every
/// element of y is written.
cudaError_t launch_crop_bias(const float* full, float* y, std::int64_t planes,
                             std::int64_t channels, const dims& full_extents, const dims& out,
                             const dims& crop_begin, const float* bias, cudaStream_t stream);

} // namespace hogar::nn::cuda
