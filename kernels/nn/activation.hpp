// activation.hpp: the element-wise activations Relu, LeakyRelu, Sigmoid, Tanh and Clip (bounds
// as attributes before opset 11, as optional inputs from opset 11). They share epilogue.hpp's
// definition with the fused form, so a fused and an unfused model compute the same values.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "kernels/nn/epilogue.hpp"
#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// `v` in T; for integer types saturated to T's range (infinite Clip bounds).
template <class T>
T bound_as(double v) noexcept {
  if constexpr (std::is_integral_v<T>) {
    if (!(v > static_cast<double>(std::numeric_limits<T>::lowest())))
      return std::numeric_limits<T>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<T>::max()))
      return std::numeric_limits<T>::max();
  }
  return static_cast<T>(v);
}

/// An activation at the precision of T: for float exactly epilogue.hpp's apply(), for double
/// the same formulas in double (the reference twins of float64 models), for integer types
/// Relu and Clip (the only activations ONNX defines on them).
template <class T>
T activate(const epilogue& e, T x) noexcept {
  if constexpr (std::is_same_v<T, float>) {
    return apply(e, x);
  } else {
    switch (e.kind) {
      case activation::none: return x;
      case activation::relu: return x > T(0) ? x : T(0);
      case activation::leaky_relu: return x >= T(0) ? x : static_cast<T>(e.alpha * x);
      case activation::clip:
        return std::min(std::max(x, bound_as<T>(e.min)), bound_as<T>(e.max));
      case activation::sigmoid:
        if constexpr (std::is_floating_point_v<T>)
          return T(1) / (T(1) + std::exp(-x));
        break;
      case activation::tanh:
        if constexpr (std::is_floating_point_v<T>)
          return std::tanh(x);
        break;
      case activation::silu:
        if constexpr (std::is_floating_point_v<T>)
          return x / (T(1) + std::exp(-x));
        break;
      case activation::gelu:
        if constexpr (std::is_floating_point_v<T>)
          return T(0.5) * x * (T(1) + std::erf(x * T(0.7071067811865476)));
        break;
    }
    return x;
  }
}

/// The activation of a Relu, LeakyRelu, Sigmoid, Tanh or Clip node as one epilogue, for paths
/// that need it fixed when the node is bound (fusion, GPU kernels): Clip's bounds must then be
/// constants (initializers) when they are inputs, else it fails naming the input. The CPU
/// kernels do not need that: they read Clip's bounds with clip_bounds_of.
result<epilogue> activation_of(const node_view& view);

/// Clip's bounds as its kernels read them: the `min` and `max` attributes before opset 11;
/// from opset 11 inputs 1 and 2, read from their buffers each time the kernel runs (an absent
/// one leaves that side unbounded), so that they need not be constants.
struct clip_bounds {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool from_inputs = false;
};

/// For a node infer_activation accepted.
clip_bounds clip_bounds_of(const node_view& view);

result<std::vector<value_type>> infer_activation(const node_view& view);
/// float32 and float64 for every activation; Relu and Clip also for the integer dtypes.
result<cpu_kernel> bind_activation_reference(const node_view& view,
                                             std::span<const value_type> outputs);
/// float32: the vector loops of simd.hpp over chunks split among the instance's threads.
result<std::optional<cpu_kernel>> bind_activation_cpu(const node_view& view,
                                                      std::span<const value_type> outputs);

} // namespace hogar::nn
