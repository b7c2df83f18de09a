// unary.hpp: the element-wise unary ops that are not activations fused into a product:
// Sqrt, Exp, Log, Neg, Abs, Reciprocal, Erf, Ceil, Floor, Round, Sign, Sin, Cos, HardSigmoid,
// HardSwish, Mish, Selu, Elu, Celu, Softplus, Softsign and ThresholdedRelu, with ONNX's
// formulas and attribute defaults. The host formulas live here once, as a template: the
// reference runs them in double (float32 rounded once at the end: the oracle), the fast CPU
// path in float; unary.cu spells them out again for the device.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

enum class unary_op : std::uint8_t {
  sqrt,
  exp,
  log,
  neg,
  abs,
  reciprocal,
  erf,
  ceil,
  floor,
  /// Halves to even (ONNX Round, numpy's round).
  round,
  sign,
  sin,
  cos,
  hard_sigmoid,
  hard_swish,
  mish,
  selu,
  elu,
  celu,
  softplus,
  softsign,
  thresholded_relu,
};

std::optional<unary_op> unary_op_of(std::string_view op_type) noexcept;

/// Whether ONNX defines `op` on integers too (Neg on signed ones, Abs and Sign on all).
bool unary_takes_integers(unary_op op) noexcept;

/// One node's function: the op and its attributes (defaults applied).
struct unary_function {
  unary_op op = unary_op::neg;
  /// HardSigmoid, Selu, Elu, Celu, ThresholdedRelu: `alpha`.
  float alpha = 0.0f;
  /// HardSigmoid: `beta`; Selu: `gamma`.
  float beta = 0.0f;
};

/// The node's function with its attributes read and checked (Celu's alpha must not be 0, it
/// divides by it); fails naming the node and the attribute.
result<unary_function> unary_function_of(const node_view& view);

/// -x for integers without the undefined overflow of the most negative value (it wraps, as
/// numpy's does).
template <class T>
T wrapping_negate(T x) noexcept {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(U{0} - static_cast<U>(x)));
}

/// f(x) at the precision of T. For floating T every op; NaN goes through every op that has
/// no reason to drop it (HardSigmoid, HardSwish, ThresholdedRelu and Sign included). For
/// integer T, Neg, Abs and Sign (infer_unary refuses the others).
template <class T>
T unary_value(const unary_function& f, T x) noexcept {
  if constexpr (std::is_integral_v<T>) {
    switch (f.op) {
      case unary_op::neg: return wrapping_negate(x);
      case unary_op::abs:
        if constexpr (std::is_signed_v<T>)
          return x < T{0} ? wrapping_negate(x) : x;
        return x;
      case unary_op::sign: return x > T{0} ? T{1} : (x < T{0} ? static_cast<T>(-1) : T{0});
      default: return x;
    }
  } else {
    const T alpha = static_cast<T>(f.alpha), beta = static_cast<T>(f.beta);
    // log(1 + e^x) without overflow for large x.
    auto softplus = [](T v) {
      return v > T(0) ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
    };
    // max(0, min(1, v)) written so that NaN stays NaN.
    auto unit_clamp = [](T v) { return v < T(0) ? T(0) : (v > T(1) ? T(1) : v); };
    switch (f.op) {
      case unary_op::sqrt: return std::sqrt(x);
      case unary_op::exp: return std::exp(x);
      case unary_op::log: return std::log(x);
      case unary_op::neg: return -x;
      case unary_op::abs: return std::fabs(x);
      case unary_op::reciprocal: return T(1) / x;
      case unary_op::erf: return std::erf(x);
      case unary_op::ceil: return std::ceil(x);
      case unary_op::floor: return std::floor(x);
      // The default rounding mode rounds halves to even.
      case unary_op::round: return std::nearbyint(x);
      case unary_op::sign:
        return x > T(0) ? T(1) : (x < T(0) ? T(-1) : (x == T(0) ? T(0) : x));
      case unary_op::sin: return std::sin(x);
      case unary_op::cos: return std::cos(x);
      case unary_op::hard_sigmoid: return unit_clamp(alpha * x + beta);
      case unary_op::hard_swish: return x * unit_clamp(x * T(1.0 / 6.0) + T(0.5));
      case unary_op::mish: return x * std::tanh(softplus(x));
      case unary_op::selu: return x > T(0) ? beta * x : beta * alpha * std::expm1(x);
      case unary_op::elu: return x >= T(0) ? x : alpha * std::expm1(x);
      case unary_op::celu: return x > T(0) ? x : alpha * std::expm1(x / alpha);
      case unary_op::softplus: return softplus(x);
      case unary_op::softsign: return x / (T(1) + std::fabs(x));
      case unary_op::thresholded_relu: return x <= alpha ? T(0) : x;
    }
    return x;
  }
}

result<std::vector<value_type>> infer_unary(const node_view& view);
/// float32 (computed in double, rounded once) and float64 for every op; Neg on int8, int32 and
/// int64; Abs and Sign on every integer dtype.
result<cpu_kernel> bind_unary_reference(const node_view& view,
                                        std::span<const value_type> outputs);
/// float32: chunks split among the instance's threads; the ops that are plain arithmetic and
/// selects run as four-float vectors (simd.hpp), the others call the float std:: functions.
result<std::optional<cpu_kernel>> bind_unary_cpu(const node_view& view,
                                                 std::span<const value_type> outputs);

} // namespace hogar::nn
