// cast.cuh: the CUDA launcher of Cast and CastLike between hogar's dtypes (cast_gpu.cpp binds
// nodes to it; cast.cu holds the kernel).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// The element types converted from and to.
enum cast_element : int {
  cast_float32 = 0,
  cast_float64,
  cast_int8,
  cast_uint8,
  cast_int32,
  cast_int64,
  cast_bool,
};

/// y[i] = x[i] converted from `from` to `to` for i < n, by cast.hpp's rules (floating to
/// integer truncated and saturated, NaN to 0; to bool != 0; integers wrap). Unknown elements
/// are refused (cudaErrorInvalidValue).
cudaError_t launch_cast(int from, int to, const void* x, void* y, std::int64_t n,
                        cudaStream_t stream);

} // namespace hogar::nn::cuda
