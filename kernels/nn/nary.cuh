// nary.cuh: Mean's division on the GPU. nary_gpu.cpp makes Sum, Max, Min and Mean in steps, as
// every path does (y = x0 op x1, then y = y op xk, then Mean's division): the steps are
// binary.cu's broadcast kernel (binary.cuh), the division is here.
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// The element types of Mean's division.
enum nary_element : int { nary_float32 = 0, nary_float64 };

/// Mean's last step: y[i] /= divisor for i < n (float32 and float64 only).
cudaError_t launch_nary_divide(int element, void* y, std::int64_t n, double divisor,
                               cudaStream_t stream);

} // namespace hogar::nn::cuda
