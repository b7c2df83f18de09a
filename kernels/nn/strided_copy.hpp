// strided_copy.hpp: Slice, Split, Expand and Tile, for every dtype. Each output of these ops
// reads input 0 along a strided view of it: an iteration shape walked in row-major order, one
// signed element stride per dimension (negative for Slice's negative steps, 0 for Expand's
// broadcast dimensions and Tile's repeats) and a first element. So one reference twin, one
// fast CPU kernel (dimensions merged, contiguous runs copied whole, rows split over the
// instance's threads) and one GPU binder (Transpose's strided gather, shape_ops.cuh) serve the
// four of them.
//
// Their shape arguments must be constants (initializers, or values plans fold): Slice's
// starts, ends, axes and steps (inputs from opset 10, attributes before); Split's split (an
// input from opset 13, an attribute before; equal parts when absent); Expand's shape; Tile's
// repeats. hogar plans every shape before the first request.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// Output element i (row-major over `extents`) is input element
/// `offset + sum_d index_d(i) * strides[d]`.
struct strided_view {
  shape_t extents;
  std::vector<std::int64_t> strides;
  std::int64_t offset = 0;
};

struct strided_copy_params {
  /// One per node output, in node order; each output's shape is `shapes[o]`, which holds as
  /// many elements as `views[o].extents` (Tile's view has two dimensions per axis).
  std::vector<strided_view> views;
  std::vector<shape_t> shapes;
};

/// The views of a Slice, Split, Expand or Tile node; fails naming the node and the attribute
/// or input at fault.
result<strided_copy_params> strided_copy_params_of(const node_view& view);

/// `v` with extents of 1 dropped and neighbouring dimensions merged where the input steps
/// across them as one dimension would; never empty (a single element is {1} with stride 0).
strided_view merged(const strided_view& v);

result<std::vector<value_type>> infer_strided_copy(const node_view& view);
result<cpu_kernel> bind_strided_copy_reference(const node_view& view,
                                               std::span<const value_type> outputs);
/// Every dtype: merged views, innermost runs copied with memcpy (contiguous), filled (a
/// broadcast element) or gathered (other strides); rows split over the instance's threads.
result<std::optional<cpu_kernel>> bind_strided_copy_cpu(const node_view& view,
                                                        std::span<const value_type> outputs);

} // namespace hogar::nn
