// where.hpp: Where (opsets 9 and 16): output = condition ? X : Y element by element, the three
// inputs broadcast together (numpy's rule). The condition is bool (a byte other than 0 counts
// as true); X and Y have one type, any of hogar's dtypes, which the output has. Every path
// moves elements by their size (1, 4 or 8 bytes), whatever they hold.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// The output shape and the three inputs' strides with adjacent dimensions merged where all
/// three step across the boundary as one dimension would, extents of 1 dropped (what
/// broadcast.hpp's merge_dims does for two). Never empty: a scalar is {1} with strides {0}.
struct where_dims {
  shape_t out;
  std::vector<std::int64_t> condition;
  std::vector<std::int64_t> x;
  std::vector<std::int64_t> y;
};

/// The merged dims of a Where node whose output has shape `out`.
where_dims where_dims_of(const node_view& view, const shape_t& out);

result<std::vector<value_type>> infer_where(const node_view& view);
/// Every dtype: one element at a time over the broadcast.
result<cpu_kernel> bind_where_reference(const node_view& view,
                                        std::span<const value_type> outputs);
/// Every dtype: runs of merged dimensions as plain select loops the compiler vectorizes, split
/// over the instance's threads.
result<std::optional<cpu_kernel>> bind_where_cpu(const node_view& view,
                                                 std::span<const value_type> outputs);

} // namespace hogar::nn
