// pow.cuh: the CUDA launcher of Pow with numpy broadcasting: a float32 or float64 base, an
// exponent of any numeric type hogar has (pow_gpu.cpp binds nodes to it; pow.cu holds the
// kernel).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// The element types of base and exponent.
enum pow_element : int {
  pow_float32 = 0,
  pow_float64,
  pow_int8,
  pow_uint8,
  pow_int32,
  pow_int64,
};

/// y[i] = x[offset_x(i)] ^ e[offset_e(i)] for every i < element count of `out`, the offsets
/// stepping by `x_strides` / `e_strides` (0 along broadcast dimensions); all three dims have
/// out.rank entries (at least 1). x and y hold `base` elements (float32 or float64), e holds
/// `exponent` elements; other pairs are refused (cudaErrorInvalidValue).
cudaError_t launch_pow(int base, int exponent, const void* x, const void* e, void* y,
                       const dims& out, const dims& x_strides, const dims& e_strides,
                       cudaStream_t stream);

} // namespace hogar::nn::cuda
