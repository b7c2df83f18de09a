// cast.hpp: Cast (opsets 1, 6, 9, 13, 19) and CastLike (opset 15): the input's elements
// converted to another of hogar's dtypes (float32, float64, int8, uint8, int32, int64, bool).
// Cast names the target in its attribute `to` (ONNX's TensorProto.DataType code from opset 6,
// its name, "FLOAT", at opset 1); CastLike takes the type of its second input, whose values it
// never reads. A target hogar has no dtype for (float16, bfloat16, string, ...) is refused,
// naming the node and the type. Opset 19's `saturate` concerns the float8 types only.
//
// The conversions, on every path (ONNX's, with numpy's choices where ONNX leaves it open):
//   floating -> integer: truncated toward zero; beyond the target's range saturated at its
//                        bound, NaN gives 0 (ONNX leaves both undefined);
//   integer -> integer:  the low bits kept (two's complement wrap-around, as numpy's astype);
//   -> floating:         rounded to nearest (float64 beyond float32's range becomes infinity);
//   -> bool:             value != 0 (NaN is true); bool -> any: 0 or 1.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// The dtype a Cast or CastLike node converts to; fails naming the node and the attribute,
/// or the type hogar has no dtype for.
result<dtype> cast_target_of(const node_view& view);

/// One element converted. `FromBool` / `ToBool`: the element is a bool byte (uint8_t).
template <class To, bool ToBool, class From, bool FromBool>
constexpr To cast_value(From v) noexcept {
  if constexpr (FromBool) {
    return cast_value<To, ToBool, std::uint8_t, false>(v != 0 ? 1 : 0);
  } else if constexpr (ToBool) {
    return v != From{0} ? 1 : 0;
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    // Compared in double, where every bound of the integer types is exact or rounds up (2^63
    // for int64's largest): at or past a bound is the bound, the rest truncates in range.
    const double d = static_cast<double>(v);
    if (d != d) // NaN
      return To{0};
    if (d <= static_cast<double>(std::numeric_limits<To>::lowest()))
      return std::numeric_limits<To>::lowest();
    if (d >= static_cast<double>(std::numeric_limits<To>::max()))
      return std::numeric_limits<To>::max();
    return static_cast<To>(d);
  } else {
    return static_cast<To>(v);
  }
}

/// Calls f(T{}, std::bool_constant<is_bool>{}) with the C++ element type that holds `type`
/// (uint8_t for bool, with is_bool set).
template <class F>
void visit_cast_type(dtype type, F&& f) {
  switch (type) {
    case dtype::float32: f(float{}, std::false_type{}); return;
    case dtype::float64: f(double{}, std::false_type{}); return;
    case dtype::int8: f(std::int8_t{}, std::false_type{}); return;
    case dtype::uint8: f(std::uint8_t{}, std::false_type{}); return;
    case dtype::int32: f(std::int32_t{}, std::false_type{}); return;
    case dtype::int64: f(std::int64_t{}, std::false_type{}); return;
    case dtype::boolean: f(std::uint8_t{}, std::true_type{}); return;
  }
}

result<std::vector<value_type>> infer_cast(const node_view& view);
/// Every pair of dtypes: one element at a time.
result<cpu_kernel> bind_cast_reference(const node_view& view,
                                       std::span<const value_type> outputs);
/// Every pair of dtypes: chunks split over the instance's threads, each a plain loop the
/// compiler vectorizes (a copy when the types are equal).
result<std::optional<cpu_kernel>> bind_cast_cpu(const node_view& view,
                                                std::span<const value_type> outputs);

} // namespace hogar::nn
