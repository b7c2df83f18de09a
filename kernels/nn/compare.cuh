// compare.cuh: the CUDA launchers of the comparisons, And, Or, Xor (numpy broadcasting) and Not
// (compare_gpu.cpp binds nodes to them; compare.cu holds the kernels). Outputs are bool bytes,
// 0 or 1; a bool input byte other than 0 counts as true.
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// hogar::nn::compare_op (compare.hpp) without Not, which has a launcher of its own.
enum compare_kind : int {
  compare_equal = 0,
  compare_less,
  compare_greater,
  compare_less_equal,
  compare_greater_equal,
  compare_and,
  compare_or,
  compare_xor,
};

/// The element types of the inputs.
enum compare_element : int {
  compare_float32 = 0,
  compare_float64,
  compare_int8,
  compare_uint8,
  compare_int32,
  compare_int64,
  compare_bool,
};

/// y[i] = a[offset_a(i)] op b[offset_b(i)] for every i < element count of `out`, the offsets
/// stepping by `a_strides` / `b_strides` (0 along broadcast dimensions) over the extents of
/// `out` (all three with out.rank entries, at least 1). And, Or and Xor take compare_bool only,
/// the ordered comparisons every element but compare_bool, Equal all: other pairs are refused
/// (cudaErrorInvalidValue).
cudaError_t launch_compare(int kind, int element, const void* a, const void* b, void* y,
                           const dims& out, const dims& a_strides, const dims& b_strides,
                           cudaStream_t stream);

/// y[i] = !x[i] for n bool bytes.
cudaError_t launch_not(const void* x, void* y, std::int64_t n, cudaStream_t stream);

} // namespace hogar::nn::cuda
