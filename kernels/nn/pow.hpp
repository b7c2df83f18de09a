// pow.hpp: Pow, base X raised to exponent Y element by element with numpy broadcasting (and,
// before opset 7, the `broadcast`/`axis` attributes Add had; binary.hpp reads both). X is
// float32 or float64, from opset 12 also int32 or int64; Y has X's type before opset 12 and
// any numeric type from it. The output has X's type.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

result<std::vector<value_type>> infer_pow(const node_view& view);
/// Every pair of types infer_pow accepts: a floating X in double, rounded once; an integer X
/// with an integer Y by repeated squaring (wrapping as numpy does; 0 to a negative power fails
/// the batch, as an integer division by zero does), with a floating Y in double, truncated
/// toward zero and saturated.
result<cpu_kernel> bind_pow_reference(const node_view& view,
                                      std::span<const value_type> outputs);
/// float32 X with a float32 Y: runs of merged dimensions split over the instance's threads,
/// a constant exponent of 2 as four-float products, other exponents through std::pow.
result<std::optional<cpu_kernel>> bind_pow_cpu(const node_view& view,
                                               std::span<const value_type> outputs);

} // namespace hogar::nn
