// range.hpp: Range (start, limit and delta scalars of float32, float64, int32 or int64): the
// length of its output depends on the values, so all three must be constants (initializers,
// or values plans fold) and plans fold the node: it never runs per request, on any device.
#pragma once

#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

result<std::vector<value_type>> infer_range(const node_view& view);
/// y[i] = start + i * delta (in the dtype for floats, exactly for integers).
result<cpu_kernel> bind_range_reference(const node_view& view,
                                        std::span<const value_type> outputs);

} // namespace hogar::nn
