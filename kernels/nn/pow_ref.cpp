// pow_ref.cpp: Pow's shape and type rules, and its reference twin for every pair of types.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "kernels/nn/binary.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/pow.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::nn {

namespace {

bool is_floating(dtype type) noexcept { return type == dtype::float32 || type == dtype::float64; }

/// v truncated toward zero into T, saturated at T's range; NaN gives 0.
template <class T>
T truncate_saturated(double v) noexcept {
  if (std::isnan(v))
    return T{0};
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest()))
    return std::numeric_limits<T>::lowest();
  if (v >= static_cast<double>(std::numeric_limits<T>::max()))
    return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

/// x^e for integers: repeated squaring in the unsigned type, so that overflow wraps (numpy's
/// result) instead of being undefined. A negative e gives 1/x^|e| truncated: 0 unless |x| is 1.
template <class T>
T integer_power(T x, std::int64_t e) {
  if (e < 0) {
    if (x == T{0})
      throw std::domain_error("0 raised to a negative integer power");
    if (x == T{1})
      return T{1};
    if constexpr (std::is_signed_v<T>)
      if (x == T{-1})
        return e % 2 != 0 ? T{-1} : T{1};
    return T{0};
  }
  using U = std::make_unsigned_t<T>;
  U result = 1, base = static_cast<U>(x);
  for (auto n = static_cast<std::uint64_t>(e); n != 0; n >>= 1) {
    if (n & 1)
      result = static_cast<U>(result * base);
    base = static_cast<U>(base * base);
  }
  return static_cast<T>(result);
}

template <class T, class E>
T pow_value(T x, E e) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
  } else if constexpr (std::is_integral_v<E>) {
    return integer_power(x, static_cast<std::int64_t>(e));
  } else {
    return truncate_saturated<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
  }
}

} // namespace

result<std::vector<value_type>> infer_pow(const node_view& view) {
  if (view.inputs.size() != 2 || !view.has(0) || !view.has(1))
    return view.error("needs two inputs, X and Y");
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  const auto base = view.inputs[0].type, exponent = view.inputs[1].type;
  // Opset 12 added integer bases and exponents of any numeric type.
  const bool integer_base = base == dtype::int32 || base == dtype::int64;
  if (!is_floating(base) && !(view.opset >= 12 && integer_base))
    return view.error(fmt::format("input X is {}; Pow takes {}", to_string(base),
                                  view.opset >= 12 ? "float32, float64, int32 or int64"
                                                   : "float32 or float64 before opset 12"));
  if (view.opset < 12 && exponent != base)
    return view.error(fmt::format("input Y is {} but X is {}; before opset 12 both have one type",
                                  to_string(exponent), to_string(base)));
  if (exponent == dtype::boolean)
    return view.error("input Y is bool; Pow takes a numeric exponent");
  return std::vector<value_type>{{base, std::move(shapes->out)}};
}

result<cpu_kernel> bind_pow_reference(const node_view& view,
                                      std::span<const value_type> outputs) {
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  const auto out = outputs[0].shape;
  const auto x_strides = broadcast_strides(shapes->a, out);
  const auto e_strides = broadcast_strides(shapes->b, out);
  const auto base = outputs[0].type, exponent = view.inputs[1].type;
  cpu_kernel k;
  k.run = [=](const cpu_buffers& io) {
    ops::visit_dtype(base, [&](auto x_zero) {
      ops::visit_dtype(exponent, [&](auto e_zero) {
        using T = decltype(x_zero);
        using E = decltype(e_zero);
        const auto* x = static_cast<const T*>(io.inputs[0]);
        const auto* e = static_cast<const E*>(io.inputs[1]);
        auto* y = static_cast<T*>(io.outputs[0]);
        for_each_broadcast(out, x_strides, e_strides,
                           [&](std::int64_t o, std::int64_t i, std::int64_t j) {
                             y[o] = pow_value<T, E>(x[i], e[j]);
                           });
      });
    });
  };
  return k;
}

} // namespace hogar::nn
