// shape_ops.hpp: operators that move data without arithmetic, for every dtype: Reshape (shape
// as an input from opset 5, as an attribute before; 0 copies an extent, -1 infers one,
// allowzero), Flatten (axis, negative too), Identity, Transpose (perm, default reversed),
// Concat (axis, negative from opset 11), Constant (value attribute), and DepthToSpace and
// SpaceToDepth (transposes of a 6-D view, on Transpose's kernels). Reshape, Flatten and
// Identity are views: plans give their output their input's storage, and their reference
// kernels (used only when folding constants) copy.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

struct transpose_params {
  shape_t in_shape;
  std::vector<std::int64_t> perm;
  shape_t out_shape;
};

struct concat_params {
  /// Non-negative.
  std::int64_t axis = 0;
  /// Product of the extents before the axis.
  std::int64_t outer = 1;
  /// Per input: its extent along the axis times the product of the extents after it (the
  /// contiguous run it contributes per outer index), in elements.
  std::vector<std::int64_t> input_runs;
  shape_t out_shape;
};

result<transpose_params> transpose_params_of(const node_view& view);
result<concat_params> concat_params_of(const node_view& view);

result<std::vector<value_type>> infer_reshape(const node_view& view);
result<std::vector<value_type>> infer_flatten(const node_view& view);
result<std::vector<value_type>> infer_identity(const node_view& view);
/// Unsqueeze and Squeeze: views like Reshape; their axes an attribute before opset 13, a
/// constant input from it.
result<std::vector<value_type>> infer_unsqueeze(const node_view& view);
result<std::vector<value_type>> infer_squeeze(const node_view& view);
/// Copies input 0 to output 0 (the three views' reference kernel).
result<cpu_kernel> bind_copy_reference(const node_view& view, std::span<const value_type> outputs);

result<std::vector<value_type>> infer_transpose(const node_view& view);
result<cpu_kernel> bind_transpose_reference(const node_view& view,
                                            std::span<const value_type> outputs);
/// Every dtype: unit extents dropped, neighbouring dimensions merged, contiguous runs copied
/// whole; output rows split over the instance's threads.
result<std::optional<cpu_kernel>> bind_transpose_cpu(const node_view& view,
                                                     std::span<const value_type> outputs);

result<std::vector<value_type>> infer_concat(const node_view& view);
result<cpu_kernel> bind_concat_reference(const node_view& view,
                                         std::span<const value_type> outputs);

/// DepthToSpace (modes DCR and CRD) and SpaceToDepth: transposes of a 6-D view of X
/// (transpose_params_of gives that view's shape and order), so that they run on Transpose's
/// kernels on every path and for every dtype.
result<std::vector<value_type>> infer_depth_space(const node_view& view);

result<std::vector<value_type>> infer_constant(const node_view& view);
result<cpu_kernel> bind_constant_reference(const node_view& view,
                                           std::span<const value_type> outputs);

} // namespace hogar::nn
