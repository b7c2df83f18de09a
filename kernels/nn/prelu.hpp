// prelu.hpp: PRelu, y = x < 0 ? slope * x : x, with the slope broadcast to X one way (numpy
// rules; an exported PReLU's slope is [C, 1, 1], one per channel).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

result<std::vector<value_type>> infer_prelu(const node_view& view);
/// float32 and float64.
result<cpu_kernel> bind_prelu_reference(const node_view& view, std::span<const value_type> outputs);
/// float32: dimensions that broadcast alike merged, rows of the innermost one split over the
/// instance's threads.
result<std::optional<cpu_kernel>> bind_prelu_cpu(const node_view& view,
                                                 std::span<const value_type> outputs);

} // namespace hogar::nn
