// binary.hpp: Add, Sub, Mul and Div with numpy broadcasting (opset 7 on), and the
// unidirectional `broadcast`/`axis` attributes of opsets 1 to 6.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

enum class binary_op { add, sub, mul, div };

std::optional<binary_op> binary_op_of(std::string_view op_type) noexcept;

/// The shapes of one call: inputs as broadcasting sees them (legacy `axis` applied) and the
/// output.
struct binary_shapes {
  shape_t a;
  shape_t b;
  shape_t out;
};

result<binary_shapes> binary_shapes_of(const node_view& view);

result<std::vector<value_type>> infer_binary(const node_view& view);
result<cpu_kernel> bind_binary_reference(const node_view& view,
                                         std::span<const value_type> outputs);
/// float32 only: contiguous runs after merging dimensions that broadcast alike.
result<std::optional<cpu_kernel>> bind_binary_cpu(const node_view& view,
                                                  std::span<const value_type> outputs);

} // namespace hogar::nn
