// reduce.cuh: the CUDA launchers of the reductions and of ArgMax / ArgMin on float32
// (reduce_gpu.cpp binds nodes to them).
#pragma once

#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// Mirrors hogar::nn::reduce_kind (reduce.hpp), which the .cu files cannot include.
enum reduce_op : int {
  reduce_sum = 0,
  reduce_mean,
  reduce_max,
  reduce_min,
  reduce_prod,
  reduce_sum_square,
  reduce_l1,
  reduce_l2,
  reduce_log_sum,
  reduce_log_sum_exp,
};

/// y[o] = the reduction of the `reduced_count` elements of output o. Output o's first element
/// is at kept's row-major offset of o (extents and input strides), its elements at reduced's
/// offsets of 0 .. reduced_count - 1. Max and Min propagate NaN. With `rows` (kept is one run
/// of stride reduced_count, reduced one run of stride 1) a block reduces each row.
cudaError_t launch_reduce(const float* x, float* y, int op, const dims& kept_extents,
                          const dims& kept_strides, const dims& reduced_extents,
                          const dims& reduced_strides, std::int64_t output_count,
                          std::int64_t reduced_count, bool rows, cudaStream_t stream);

/// x [outer, axis_size, inner] (axis_size > 0), y [outer, inner]: the index along the axis of
/// each slice's first maximum (minimum unless is_max; the last with select_last); NaN counts
/// as the extreme.
cudaError_t launch_arg_reduce(const float* x, std::int64_t* y, std::int64_t outer,
                              std::int64_t axis_size, std::int64_t inner, bool is_max,
                              bool select_last, cudaStream_t stream);

} // namespace hogar::nn::cuda
