// shape_query.hpp: the operators exporters use to compute shapes at run time: Shape (opset 15's
// start and end too), Size and ConstantOfShape. hogar plans every shape before the first
// request, so these never run per request: Shape and Size read only their input's shape
// (op_definition::reads_shapes_only), ConstantOfShape needs its shape input as a constant,
// and plans fold them into constants. A Shape -> Gather -> Concat -> Reshape chain thereby
// becomes a constant shape for Reshape, as an initializer would be.
#pragma once

#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

result<std::vector<value_type>> infer_shape(const node_view& view);
/// Writes the (sliced) input shape as int64; reads nothing of the input's data.
result<cpu_kernel> bind_shape_reference(const node_view& view, std::span<const value_type> outputs);

result<std::vector<value_type>> infer_size(const node_view& view);
result<cpu_kernel> bind_size_reference(const node_view& view, std::span<const value_type> outputs);

/// ConstantOfShape: the shape input must be a constant 1-D int64; `value` (a one-element
/// tensor attribute, default float32 0) fills the output.
result<std::vector<value_type>> infer_constant_of_shape(const node_view& view);
result<cpu_kernel> bind_constant_of_shape_reference(const node_view& view,
                                                    std::span<const value_type> outputs);

} // namespace hogar::nn
