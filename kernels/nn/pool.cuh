// pool.cuh: CUDA launchers of MaxPool, AveragePool and GlobalAveragePool on float32
// (pool_gpu.cpp binds nodes to them).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// The window geometry of pool.hpp's pool_params, 1 to 3 spatial dimensions (every dims of
/// equal rank).
struct pool_window {
  dims in;
  dims out;
  dims kernel;
  dims strides;
  dims dilations;
  dims pads_begin;
  dims pads_end;
};

/// x [planes, in...] -> y [planes, out...], as pool_ref.cpp computes it. Window position k of
/// output o reads input element o * stride - pads_begin + k * dilation (per dimension);
/// positions past the end padding (the overhang of ceil_mode) are skipped. MaxPool takes the
/// largest element inside the input (the lowest float when the window holds none);
/// AveragePool divides the sum of the elements inside the input by their count, or with
/// count_include_pad by the count of positions inside the padded input (0 when that is 0).
cudaError_t launch_max_pool(const float* x, float* y, std::int64_t planes, const pool_window& w,
                            cudaStream_t stream);
cudaError_t launch_average_pool(const float* x, float* y, std::int64_t planes,
                                const pool_window& w, bool count_include_pad,
                                cudaStream_t stream);

/// y[p] = mean of x[p, 0 .. plane_size) (0 for empty planes): one block per plane.
cudaError_t launch_global_average_pool(const float* x, float* y, std::int64_t planes,
                                       std::int64_t plane_size, cudaStream_t stream);

} // namespace hogar::nn::cuda
