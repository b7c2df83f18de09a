// nary_ref.cpp: the shape and type rules of Sum, Max, Min and Mean, and their reference twin.
#include <type_traits>

#include <fmt/format.h>

#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/nary.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::nn {

std::optional<nary_op> nary_op_of(std::string_view op_type) noexcept {
  if (op_type == "Sum") return nary_op::sum;
  if (op_type == "Max") return nary_op::max;
  if (op_type == "Min") return nary_op::min;
  if (op_type == "Mean") return nary_op::mean;
  return std::nullopt;
}

result<shape_t> nary_shape_of(const node_view& view) {
  if (view.inputs.empty())
    return view.error("needs at least one input");
  for (std::size_t i = 0; i < view.inputs.size(); ++i)
    if (!view.has(i))
      return view.error(fmt::format("input {} is omitted; every input must be given", i));
  shape_t out = view.inputs[0].shape;
  for (std::size_t i = 1; i < view.inputs.size(); ++i) {
    const auto& in = view.inputs[i].shape;
    // Opsets 1 to 7 take one shape for all.
    if (view.opset < 8) {
      if (in != out)
        return view.error(fmt::format("input {} is {} but input 0 is {}; before opset 8 all "
                                      "inputs have one shape",
                                      i, to_string(in), to_string(out)));
      continue;
    }
    auto wider = broadcast_shape(out, in);
    if (!wider)
      return view.error(fmt::format("input {} {} does not broadcast with {}, the shape of the "
                                    "inputs before it",
                                    i, to_string(in), to_string(out)));
    out = std::move(*wider);
  }
  return out;
}

result<std::vector<value_type>> infer_nary(const node_view& view) {
  auto shape = nary_shape_of(view);
  if (!shape)
    return shape.error();
  const auto op = *nary_op_of(view.node.op_type);
  const auto type = view.inputs[0].type;
  for (std::size_t i = 1; i < view.inputs.size(); ++i)
    if (view.inputs[i].type != type)
      return view.error(fmt::format("input {} is {} but input 0 is {}; all inputs must have "
                                    "one type",
                                    i, to_string(view.inputs[i].type), to_string(type)));
  const bool floating = type == dtype::float32 || type == dtype::float64;
  // ONNX gives Max and Min the integer types from opset 12.
  const bool integers_too = (op == nary_op::max || op == nary_op::min) && view.opset >= 12;
  if (!floating && !(integers_too && type != dtype::boolean))
    return view.error(fmt::format("input 0 is {}; {} takes {}", to_string(type),
                                  view.node.op_type,
                                  integers_too ? "a numeric type" : "float32 or float64"));
  return std::vector<value_type>{{type, std::move(*shape)}};
}

namespace {

template <class T>
void nary_reference(nary_op op, const shape_t& out,
                    const std::vector<std::vector<std::int64_t>>& strides, const cpu_buffers& io) {
  // float32 accumulates in double (the oracle); integers in their own type, which Max and Min
  // never leave.
  using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  const auto n = element_count(out);
  std::vector<acc_t> acc(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < strides.size(); ++k) {
    const T* x = static_cast<const T*>(io.inputs[k]);
    // Both stride sets are input k's: the callback's second offset goes unused.
    for_each_broadcast(out, strides[k], strides[k], [&](std::int64_t o, std::int64_t i,
                                                        std::int64_t) {
      const auto v = static_cast<acc_t>(x[i]);
      auto& a = acc[static_cast<std::size_t>(o)];
      a = k == 0 ? v : nary_combine<acc_t>(op, a, v);
    });
  }
  T* y = static_cast<T*>(io.outputs[0]);
  const auto count = static_cast<acc_t>(strides.size());
  for (std::int64_t o = 0; o < n; ++o) {
    const auto a = acc[static_cast<std::size_t>(o)];
    y[o] = static_cast<T>(op == nary_op::mean ? a / count : a);
  }
}

} // namespace

result<cpu_kernel> bind_nary_reference(const node_view& view,
                                       std::span<const value_type> outputs) {
  const auto op = nary_op_of(view.node.op_type);
  if (!op)
    return view.error("is not Sum, Max, Min or Mean");
  const auto out = outputs[0].shape;
  std::vector<std::vector<std::int64_t>> strides;
  for (auto& in : view.inputs)
    strides.push_back(broadcast_strides(in.shape, out));
  const auto type = outputs[0].type;
  cpu_kernel k;
  k.run = [op = *op, out, strides = std::move(strides), type](const cpu_buffers& io) {
    ops::visit_dtype(type, [&](auto zero) {
      nary_reference<decltype(zero)>(op, out, strides, io);
    });
  };
  return k;
}

} // namespace hogar::nn
