// gelu.hpp: Gelu (ONNX opset 20; BERT's and GPT's activation), element-wise:
//   approximate "none": y = 0.5 * x * (1 + erf(x / sqrt(2)))
//   approximate "tanh": y = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
// Exporters emitted it long before opset 20, in the default domain or in Microsoft's contrib
// domain ("com.microsoft", whose Gelu is the erf form): hogar takes it from either at any
// opset. The formula lives here once as a template: the reference runs it in double, the
// fast CPU path in float; gelu.cu spells it out again for the device.
#pragma once

#include <cmath>
#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

struct gelu_params {
  /// approximate = "tanh".
  bool tanh = false;
};

/// Checks the node's domain and its approximate attribute; fails naming the node.
result<gelu_params> gelu_params_of(const node_view& view);

template <class T>
T gelu_value(bool tanh_form, T x) noexcept {
  if (tanh_form) {
    // sqrt(2 / pi)
    const T k = T(0.7978845608028654);
    return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
  }
  // 1 / sqrt(2)
  return T(0.5) * x * (T(1) + std::erf(x * T(0.7071067811865476)));
}

result<std::vector<value_type>> infer_gelu(const node_view& view);
/// float32 (computed in double, rounded once) and float64.
result<cpu_kernel> bind_gelu_reference(const node_view& view,
                                       std::span<const value_type> outputs);
/// float32: chunks split among the instance's threads; the erf form as four-float vectors
/// (simd.hpp), the tanh form with the float std:: functions.
result<std::optional<cpu_kernel>> bind_gelu_cpu(const node_view& view,
                                                std::span<const value_type> outputs);

} // namespace hogar::nn
