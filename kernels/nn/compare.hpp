// compare.hpp: the element-wise ops whose output is bool: the comparisons Equal, Less,
// Greater, LessOrEqual and GreaterOrEqual, the logic And, Or and Xor, and Not. The binary ones
// broadcast as Add does (numpy's rule from opset 7, the `broadcast`/`axis` attributes before:
// binary.hpp's binary_shapes_of reads both); both inputs have one type. The types ONNX gives
// each version, among hogar's dtypes:
//   Equal           bool, int32, int64 (opsets 1, 7); every numeric type and bool from 11
//   Less, Greater   float32, float64 (opsets 1, 7); every numeric type from 9
//   LessOrEqual, GreaterOrEqual (opsets 12, 16): every numeric type
//   And, Or, Xor (opsets 1, 7), Not (opset 1): bool
// NaN compares unequal to everything, itself included, and is neither less nor greater (IEEE),
// on every path. A bool byte other than 0 counts as true wherever a bool is read.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

enum class compare_op : std::uint8_t {
  equal,
  less,
  greater,
  less_equal,
  greater_equal,
  logical_and,
  logical_or,
  logical_xor,
  /// Not: the one unary op of the family.
  logical_not,
};

std::optional<compare_op> compare_op_of(std::string_view op_type) noexcept;

/// One element of a binary op of the family as 0 or 1. `Boolean`: the operands are bool bytes
/// (T is uint8_t), read as `!= 0` first; the logic ops always read them so.
template <compare_op Op, bool Boolean, class T>
constexpr std::uint8_t compare_value(T a, T b) noexcept {
  if constexpr (Boolean || Op == compare_op::logical_and || Op == compare_op::logical_or ||
                Op == compare_op::logical_xor) {
    const bool x = a != T{0}, y = b != T{0};
    if constexpr (Op == compare_op::logical_and) return x && y;
    else if constexpr (Op == compare_op::logical_or) return x || y;
    else if constexpr (Op == compare_op::logical_xor) return x != y;
    else if constexpr (Op == compare_op::equal) return x == y;
    // infer_compare refuses ordered comparisons of bools.
    else return 0;
  } else {
    if constexpr (Op == compare_op::equal) return a == b;
    else if constexpr (Op == compare_op::less) return a < b;
    else if constexpr (Op == compare_op::greater) return a > b;
    else if constexpr (Op == compare_op::less_equal) return a <= b;
    else if constexpr (Op == compare_op::greater_equal) return a >= b;
    else return 0;
  }
}

/// Calls f(std::integral_constant<compare_op, Op>, std::bool_constant<Boolean>, T{}) for a
/// binary op of the family on inputs of `type`, with the C++ element type T that holds them
/// (uint8_t for bool, with Boolean set). Only pairs infer_compare accepts are made: the logic
/// ops on bool, the ordered comparisons on numbers, Equal on both; others call nothing.
template <class F>
void visit_compare(compare_op op, dtype type, F&& f) {
  auto with_op = [&](auto op_constant) {
    constexpr auto o = decltype(op_constant)::value;
    constexpr bool logic = o == compare_op::logical_and || o == compare_op::logical_or ||
                           o == compare_op::logical_xor;
    if (type == dtype::boolean) {
      if constexpr (logic || o == compare_op::equal)
        f(op_constant, std::true_type{}, std::uint8_t{});
      return;
    }
    if constexpr (!logic) {
      switch (type) {
        case dtype::float32: f(op_constant, std::false_type{}, float{}); break;
        case dtype::float64: f(op_constant, std::false_type{}, double{}); break;
        case dtype::int8: f(op_constant, std::false_type{}, std::int8_t{}); break;
        case dtype::uint8: f(op_constant, std::false_type{}, std::uint8_t{}); break;
        case dtype::int32: f(op_constant, std::false_type{}, std::int32_t{}); break;
        case dtype::int64: f(op_constant, std::false_type{}, std::int64_t{}); break;
        case dtype::boolean: break;
      }
    }
  };
  using C = compare_op;
  switch (op) {
    case C::equal: with_op(std::integral_constant<C, C::equal>{}); break;
    case C::less: with_op(std::integral_constant<C, C::less>{}); break;
    case C::greater: with_op(std::integral_constant<C, C::greater>{}); break;
    case C::less_equal: with_op(std::integral_constant<C, C::less_equal>{}); break;
    case C::greater_equal: with_op(std::integral_constant<C, C::greater_equal>{}); break;
    case C::logical_and: with_op(std::integral_constant<C, C::logical_and>{}); break;
    case C::logical_or: with_op(std::integral_constant<C, C::logical_or>{}); break;
    case C::logical_xor: with_op(std::integral_constant<C, C::logical_xor>{}); break;
    case C::logical_not: break;
  }
}

result<std::vector<value_type>> infer_compare(const node_view& view);
/// Every op and dtype infer_compare accepts: one element at a time over the broadcast.
result<cpu_kernel> bind_compare_reference(const node_view& view,
                                          std::span<const value_type> outputs);
/// Every op and dtype: runs of merged dimensions (broadcast.hpp) as plain loops the compiler
/// vectorizes, split over the instance's threads.
result<std::optional<cpu_kernel>> bind_compare_cpu(const node_view& view,
                                                   std::span<const value_type> outputs);

} // namespace hogar::nn
