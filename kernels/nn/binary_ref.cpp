// binary_ref.cpp: the reference twin of Add, Sub, Mul and Div, for every numeric dtype.
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "kernels/nn/binary.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::nn {

std::optional<binary_op> binary_op_of(std::string_view op_type) noexcept {
  if (op_type == "Add") return binary_op::add;
  if (op_type == "Sub") return binary_op::sub;
  if (op_type == "Mul") return binary_op::mul;
  if (op_type == "Div") return binary_op::div;
  return std::nullopt;
}

result<binary_shapes> binary_shapes_of(const node_view& view) {
  if (view.inputs.size() != 2 || !view.has(0) || !view.has(1))
    return view.error("needs two inputs, A and B");
  binary_shapes s{view.inputs[0].shape, view.inputs[1].shape, {}};
  if (view.opset < 7) {
    // Opsets 1-6: B broadcasts to A only when `broadcast` is 1, aligned at `axis` (default:
    // the trailing dimensions, as numpy does).
    auto attrs = view.attributes();
    auto broadcast = attrs.get_int("broadcast", 0);
    if (!broadcast)
      return broadcast.error();
    if (*broadcast == 0) {
      if (s.a != s.b)
        return view.error(fmt::format("shapes {} and {} differ and attribute 'broadcast' is 0",
                                      to_string(s.a), to_string(s.b)));
    } else if (attrs.has("axis")) {
      auto axis = attrs.get_int("axis", 0);
      if (!axis)
        return axis.error();
      auto rank = static_cast<std::int64_t>(s.a.size());
      auto k = static_cast<std::int64_t>(s.b.size());
      auto a = *axis < 0 ? *axis + rank : *axis;
      if (a < 0 || a + k > rank)
        return view.error(fmt::format("attribute 'axis' {} does not fit B {} into A {}", *axis,
                                      to_string(s.b), to_string(s.a)));
      shape_t aligned(static_cast<std::size_t>(rank), 1);
      for (std::int64_t i = 0; i < k; ++i)
        aligned[static_cast<std::size_t>(a + i)] = s.b[static_cast<std::size_t>(i)];
      s.b = std::move(aligned);
    }
  }
  auto out = broadcast_shape(s.a, s.b);
  if (!out)
    return view.error(fmt::format("inputs {} and {} do not broadcast", to_string(s.a),
                                  to_string(s.b)));
  s.out = std::move(*out);
  return s;
}

result<std::vector<value_type>> infer_binary(const node_view& view) {
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  auto type = view.inputs[0].type;
  if (view.inputs[1].type != type)
    return view.error(fmt::format("A is {} but B is {}; both must have one type",
                                  to_string(type), to_string(view.inputs[1].type)));
  if (type == dtype::boolean)
    return view.error("does not take bool inputs");
  return std::vector<value_type>{{type, std::move(shapes->out)}};
}

namespace {

template <class T>
T apply(binary_op op, T x, T y) {
  switch (op) {
    case binary_op::add: return static_cast<T>(x + y);
    case binary_op::sub: return static_cast<T>(x - y);
    case binary_op::mul: return static_cast<T>(x * y);
    case binary_op::div:
      if constexpr (std::is_integral_v<T>) {
        // An integer division by zero would kill the process; it fails the batch instead.
        if (y == 0)
          throw std::domain_error("integer division by zero");
      }
      return static_cast<T>(x / y);
  }
  return x;
}

} // namespace

result<cpu_kernel> bind_binary_reference(const node_view& view,
                                         std::span<const value_type> outputs) {
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  auto op = *binary_op_of(view.node.op_type);
  auto out = outputs[0].shape;
  auto a_strides = broadcast_strides(shapes->a, out);
  auto b_strides = broadcast_strides(shapes->b, out);
  auto type = outputs[0].type;
  cpu_kernel k;
  k.run = [=](const cpu_buffers& io) {
    ops::visit_dtype(type, [&](auto zero) {
      using T = decltype(zero);
      auto* a = static_cast<const T*>(io.inputs[0]);
      auto* b = static_cast<const T*>(io.inputs[1]);
      auto* y = static_cast<T*>(io.outputs[0]);
      for_each_broadcast(out, a_strides, b_strides, [&](std::int64_t o, std::int64_t i,
                                                        std::int64_t j) {
        y[o] = apply<T>(op, a[i], b[j]);
      });
    });
  };
  return k;
}

} // namespace hogar::nn
