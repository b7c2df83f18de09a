// reduce.hpp: the reductions (ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
// ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp) and ArgMax / ArgMin.
//
// A reduction's axes come from the `axes` attribute, or (ReduceSum from opset 13, the others
// from opset 18) from an optional int64 input that must be a constant: hogar plans every shape
// before the first request. Empty axes reduce everything, unless noop_with_empty_axes makes the
// node a copy. Kernels see the input with extent-1 dimensions dropped and neighbouring kept or
// reduced dimensions merged: usually [outer, reduced, inner] (the last axes, or the spatial
// axes of NCHW), in general alternating runs of kept and reduced dimensions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

enum class reduce_kind : std::uint8_t {
  sum,
  mean,
  max,
  min,
  prod,
  sum_square,
  l1,
  l2,
  log_sum,
  log_sum_exp,
};

/// One merged run of dimensions: its extent and its stride in the input, in elements.
struct reduce_dim {
  std::int64_t extent = 1;
  std::int64_t stride = 1;
};

struct reduce_params {
  reduce_kind kind = reduce_kind::sum;
  /// noop_with_empty_axes with no axes: the output is the input.
  bool copy = false;
  /// Kept and reduced runs, outermost first; output element o is the kept dims' row-major
  /// index, its values the reduced dims' elements.
  std::vector<reduce_dim> kept;
  std::vector<reduce_dim> reduced;
  std::int64_t output_count = 1;
  /// Elements reduced into each output (0: the reduction of nothing).
  std::int64_t reduced_count = 1;
  /// Set when the reduced dims form one run: input [outer, reduced_count, inner].
  bool one_run = false;
  std::int64_t outer = 1;
  std::int64_t inner = 1;
  shape_t output_shape;
};

result<reduce_params> reduce_params_of(const node_view& view);

result<std::vector<value_type>> infer_reduce(const node_view& view);
result<cpu_kernel> bind_reduce_reference(const node_view& view,
                                         std::span<const value_type> outputs);
/// float32 in the [outer, reduced, inner] view: rows when inner is 1 (one huge row split over
/// the threads too), else tiles of `inner`; other views and dtypes fall back to the reference.
result<std::optional<cpu_kernel>> bind_reduce_cpu(const node_view& view,
                                                  std::span<const value_type> outputs);

/// ArgMax and ArgMin: the input as [outer, axis_size, inner]; each output is the int64 index
/// of the first (select_last_index: last) extreme of its slice; NaN counts as the extreme,
/// as in numpy.
struct arg_reduce_params {
  bool is_max = true;
  bool select_last = false;
  std::int64_t outer = 1;
  std::int64_t axis_size = 1;
  std::int64_t inner = 1;
  shape_t output_shape;
};

result<arg_reduce_params> arg_reduce_params_of(const node_view& view);

result<std::vector<value_type>> infer_arg_reduce(const node_view& view);
result<cpu_kernel> bind_arg_reduce_reference(const node_view& view,
                                             std::span<const value_type> outputs);
/// float32: slices split over the threads.
result<std::optional<cpu_kernel>> bind_arg_reduce_cpu(const node_view& view,
                                                      std::span<const value_type> outputs);

} // namespace hogar::nn
