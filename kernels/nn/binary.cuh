// binary.cuh: the CUDA launcher of Add, Sub, Mul and Div with numpy broadcasting, on float32,
// float64, int32 and int64 (binary_gpu.cpp binds nodes to it; binary.cu holds the kernel).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// hogar::nn::binary_op (binary.hpp), then the steps of Max and Min (nary_gpu.cpp), which
/// return a NaN operand as the CPU paths do.
enum binary_kind : int { binary_add = 0, binary_sub, binary_mul, binary_div, binary_max, binary_min };

/// The element types the kernel runs.
enum binary_element : int { binary_float32 = 0, binary_float64, binary_int32, binary_int64 };

/// y[i] = a[offset_a(i)] op b[offset_b(i)] for every i < element count of `out`: the offsets
/// step by `a_strides` / `b_strides` (0 along broadcast dimensions) over the extents of `out`.
/// All three dims have out.rank entries (at least 1); a, b and y hold `element`s, and `a` may
/// be `y` with contiguous strides (the n-ary ops' steps run in place). Integer division is
/// refused (cudaErrorInvalidValue): a kernel cannot report a division by zero.
cudaError_t launch_binary(int kind, int element, const void* a, const void* b, void* y,
                          const dims& out, const dims& a_strides, const dims& b_strides,
                          cudaStream_t stream);

} // namespace hogar::nn::cuda
