// gather.cuh: the CUDA launcher of Gather, for elements of 1, 2, 4 or 8 bytes whatever they
// hold and int32 or int64 indices (gather_gpu.cpp binds nodes to it; gather.cu holds the
// kernel).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"
#include "kernels/nn/gpu_fault.cuh"

namespace hogar::nn::cuda {

/// data [outer, extent, inner] gathered along its middle axis by `count` indices (int64 when
/// `indices_int64`, else int32; negative ones counted from the back) into out [outer, count,
/// inner]. An index outside [-extent, extent) is recorded in `f` (its element and value; of
/// several, the lowest element) and its output elements are written as zero bytes: the
/// caller fails the batch. `f` must not be null; a bad element size or extent is refused with
/// cudaErrorInvalidValue.
cudaError_t launch_gather(int element_bytes, const void* data, const void* indices,
                          bool indices_int64, void* out, std::int64_t outer, std::int64_t extent,
                          std::int64_t inner, std::int64_t count, fault* f, cudaStream_t stream);

} // namespace hogar::nn::cuda
