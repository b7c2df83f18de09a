// activation.hpp: the element-wise activations Relu, LeakyRelu, Sigmoid, Tanh and Clip (bounds
// as attributes before opset 11, as optional inputs from opset 11). They share epilogue.hpp's
// definition with the fused form, so a fused and an unfused model compute the same values.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/epilogue.hpp"
#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// The activation of a Relu, LeakyRelu, Sigmoid, Tanh or Clip node; Clip's bounds must be
/// constants (initializers) when they are inputs, so that planning knows them.
result<epilogue> activation_of(const node_view& view);

result<std::vector<value_type>> infer_activation(const node_view& view);
/// float32 and float64 for every activation; Relu and Clip also for the integer dtypes.
result<cpu_kernel> bind_activation_reference(const node_view& view,
                                             std::span<const value_type> outputs);
result<std::optional<cpu_kernel>> bind_activation_cpu(const node_view& view,
                                                      std::span<const value_type> outputs);

} // namespace hogar::nn
