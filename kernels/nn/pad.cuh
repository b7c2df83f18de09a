// pad.cuh: the CUDA launcher of Pad for every dtype (pad_gpu.cpp binds nodes to it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// Mirror hogar::nn::pad_mode (pad.hpp), which the .cu files cannot include.
enum pad_mode_kind : int {
  pad_mode_constant = 0,
  pad_mode_reflect = 1,
  pad_mode_edge = 2,
};

/// y (extents `out`) is x (extents `in`, same rank) padded by `begin` elements before each
/// dimension (negative: cropped), in mode `mode`; positions outside x in constant mode get
/// *value_device when it is not null (a device pointer: a request's constant_value), else
/// the element whose bytes are the low end of `value_bits`. Elements are moved as opaque
/// blocks of element_size bytes (1, 2, 4 or 8).
cudaError_t launch_pad(const void* x, void* y, std::size_t element_size, const dims& out,
                       const dims& in, const dims& begin, int mode, const void* value_device,
                       std::uint64_t value_bits, cudaStream_t stream);

} // namespace hogar::nn::cuda
