// compare_ref.cpp: the type and shape rules of the comparisons, And, Or, Xor and Not, and their
// reference twin.
#include <fmt/format.h>

#include "kernels/nn/binary.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/compare.hpp"

namespace hogar::nn {

std::optional<compare_op> compare_op_of(std::string_view op_type) noexcept {
  if (op_type == "Equal") return compare_op::equal;
  if (op_type == "Less") return compare_op::less;
  if (op_type == "Greater") return compare_op::greater;
  if (op_type == "LessOrEqual") return compare_op::less_equal;
  if (op_type == "GreaterOrEqual") return compare_op::greater_equal;
  if (op_type == "And") return compare_op::logical_and;
  if (op_type == "Or") return compare_op::logical_or;
  if (op_type == "Xor") return compare_op::logical_xor;
  if (op_type == "Not") return compare_op::logical_not;
  return std::nullopt;
}

namespace {

bool is_floating(dtype t) noexcept { return t == dtype::float32 || t == dtype::float64; }

/// The input types op `op` takes at `opset` (ONNX's, among hogar's dtypes), and how to say so.
struct accepted_types {
  bool ok;
  std::string_view says;
};

accepted_types accepts(compare_op op, std::int64_t opset, dtype t) {
  switch (op) {
    case compare_op::equal:
      if (opset >= 11)
        return {true, "a numeric type or bool"};
      return {t == dtype::boolean || t == dtype::int32 || t == dtype::int64,
              "bool, int32 or int64 before opset 11"};
    case compare_op::less:
    case compare_op::greater:
      if (opset >= 9)
        return {t != dtype::boolean, "a numeric type"};
      return {is_floating(t), "float32 or float64 before opset 9"};
    case compare_op::less_equal:
    case compare_op::greater_equal: return {t != dtype::boolean, "a numeric type"};
    case compare_op::logical_and:
    case compare_op::logical_or:
    case compare_op::logical_xor:
    case compare_op::logical_not: return {t == dtype::boolean, "bool"};
  }
  return {false, "nothing"};
}

} // namespace

result<std::vector<value_type>> infer_compare(const node_view& view) {
  const auto op = compare_op_of(view.node.op_type);
  if (!op)
    return view.error("is not a comparison, And, Or, Xor or Not");
  if (*op == compare_op::logical_not) {
    if (view.inputs.size() != 1 || !view.has(0))
      return view.error("needs one input, X");
    if (view.inputs[0].type != dtype::boolean)
      return view.error(fmt::format("input X is {}; Not takes bool",
                                    to_string(view.inputs[0].type)));
    return std::vector<value_type>{{dtype::boolean, view.inputs[0].shape}};
  }
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  const auto type = view.inputs[0].type;
  if (view.inputs[1].type != type)
    return view.error(fmt::format("A is {} but B is {}; both must have one type",
                                  to_string(type), to_string(view.inputs[1].type)));
  const auto rule = accepts(*op, view.opset, type);
  if (!rule.ok)
    return view.error(fmt::format("inputs are {}; {} takes {}", to_string(type),
                                  view.node.op_type, rule.says));
  return std::vector<value_type>{{dtype::boolean, std::move(shapes->out)}};
}

result<cpu_kernel> bind_compare_reference(const node_view& view,
                                          std::span<const value_type> outputs) {
  const auto op = compare_op_of(view.node.op_type);
  if (!op)
    return view.error("is not a comparison, And, Or, Xor or Not");
  cpu_kernel k;
  if (*op == compare_op::logical_not) {
    const auto n = element_count(outputs[0].shape);
    k.run = [n](const cpu_buffers& io) {
      const auto* x = static_cast<const std::uint8_t*>(io.inputs[0]);
      auto* y = static_cast<std::uint8_t*>(io.outputs[0]);
      for (std::int64_t i = 0; i < n; ++i)
        y[i] = x[i] == 0 ? 1 : 0;
    };
    return k;
  }
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  const auto out = outputs[0].shape;
  const auto a_strides = broadcast_strides(shapes->a, out);
  const auto b_strides = broadcast_strides(shapes->b, out);
  const auto type = view.inputs[0].type;
  k.run = [=, op = *op](const cpu_buffers& io) {
    visit_compare(op, type, [&](auto op_constant, auto boolean, auto zero) {
      constexpr auto o = decltype(op_constant)::value;
      constexpr bool b = decltype(boolean)::value;
      using T = decltype(zero);
      const auto* x = static_cast<const T*>(io.inputs[0]);
      const auto* z = static_cast<const T*>(io.inputs[1]);
      auto* y = static_cast<std::uint8_t*>(io.outputs[0]);
      for_each_broadcast(out, a_strides, b_strides,
                         [&](std::int64_t o_index, std::int64_t i, std::int64_t j) {
                           y[o_index] = compare_value<o, b, T>(x[i], z[j]);
                         });
    });
  };
  return k;
}

} // namespace hogar::nn
