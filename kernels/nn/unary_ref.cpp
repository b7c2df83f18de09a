// unary_ref.cpp: the unary ops' names, attributes and type rules, and their reference twin.
#include <array>
#include <utility>

#include <fmt/format.h>

#include "kernels/nn/unary.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::nn {

namespace {

constexpr std::array<std::pair<std::string_view, unary_op>, 22> unary_names = {{
  {"Abs", unary_op::abs},
  {"Ceil", unary_op::ceil},
  {"Celu", unary_op::celu},
  {"Cos", unary_op::cos},
  {"Elu", unary_op::elu},
  {"Erf", unary_op::erf},
  {"Exp", unary_op::exp},
  {"Floor", unary_op::floor},
  {"HardSigmoid", unary_op::hard_sigmoid},
  {"HardSwish", unary_op::hard_swish},
  {"Log", unary_op::log},
  {"Mish", unary_op::mish},
  {"Neg", unary_op::neg},
  {"Reciprocal", unary_op::reciprocal},
  {"Round", unary_op::round},
  {"Selu", unary_op::selu},
  {"Sign", unary_op::sign},
  {"Sin", unary_op::sin},
  {"Softplus", unary_op::softplus},
  {"Softsign", unary_op::softsign},
  {"Sqrt", unary_op::sqrt},
  {"ThresholdedRelu", unary_op::thresholded_relu},
}};

bool is_integer(dtype type) noexcept {
  return type == dtype::int8 || type == dtype::uint8 || type == dtype::int32 ||
         type == dtype::int64;
}

/// The integer dtypes ONNX gives `op`: Neg has no unsigned ones.
bool takes_integer(unary_op op, dtype type) noexcept {
  return unary_takes_integers(op) && is_integer(type) &&
         !(op == unary_op::neg && type == dtype::uint8);
}

} // namespace

std::optional<unary_op> unary_op_of(std::string_view op_type) noexcept {
  for (auto& [name, op] : unary_names)
    if (name == op_type)
      return op;
  return std::nullopt;
}

bool unary_takes_integers(unary_op op) noexcept {
  return op == unary_op::neg || op == unary_op::abs || op == unary_op::sign;
}

result<unary_function> unary_function_of(const node_view& view) {
  auto op = unary_op_of(view.node.op_type);
  if (!op)
    return view.error("is not a unary element-wise op");
  unary_function f;
  f.op = *op;
  auto attrs = view.attributes();
  // Reads `name` into `to`, ONNX's default when absent.
  auto read = [&](std::string_view name, float fallback, float& to) -> std::optional<error_info> {
    auto v = attrs.get_float(name, fallback);
    if (!v)
      return v.error();
    to = *v;
    return std::nullopt;
  };
  std::optional<error_info> problem;
  switch (f.op) {
    case unary_op::hard_sigmoid:
      problem = read("alpha", 0.2f, f.alpha);
      if (!problem)
        problem = read("beta", 0.5f, f.beta);
      break;
    case unary_op::selu:
      problem = read("alpha", 1.67326319217681884765625f, f.alpha);
      if (!problem)
        problem = read("gamma", 1.05070102214813232421875f, f.beta);
      break;
    case unary_op::elu:
    case unary_op::celu:
    case unary_op::thresholded_relu: problem = read("alpha", 1.0f, f.alpha); break;
    default: break;
  }
  if (problem)
    return *problem;
  if (f.op == unary_op::celu && f.alpha == 0.0f)
    return attrs.error("alpha", "is 0; Celu divides by it");
  return f;
}

result<std::vector<value_type>> infer_unary(const node_view& view) {
  if (view.inputs.size() != 1 || !view.has(0))
    return view.error("needs exactly one input");
  auto f = unary_function_of(view);
  if (!f)
    return f.error();
  const auto type = view.inputs[0].type;
  const bool floating = type == dtype::float32 || type == dtype::float64;
  if (!floating && !takes_integer(f->op, type)) {
    const char* takes = !unary_takes_integers(f->op) ? "float32 or float64"
                        : f->op == unary_op::neg     ? "float32, float64, int8, int32 or int64"
                                                     : "a numeric type";
    return view.error(fmt::format("input X is {}; {} takes {}", to_string(type),
                                  view.node.op_type, takes));
  }
  return std::vector<value_type>{{type, view.inputs[0].shape}};
}

result<cpu_kernel> bind_unary_reference(const node_view& view,
                                        std::span<const value_type> outputs) {
  auto f = unary_function_of(view);
  if (!f)
    return f.error();
  const auto type = outputs[0].type;
  const auto n = element_count(outputs[0].shape);
  cpu_kernel k;
  k.run = [f = *f, type, n](const cpu_buffers& io) {
    ops::visit_dtype(type, [&](auto zero) {
      using T = decltype(zero);
      const T* x = static_cast<const T*>(io.inputs[0]);
      T* y = static_cast<T*>(io.outputs[0]);
      // float32 in double, rounded once: the oracle the other paths are measured against.
      using compute = std::conditional_t<std::is_floating_point_v<T>, double, T>;
      for (std::int64_t i = 0; i < n; ++i)
        y[i] = static_cast<T>(unary_value<compute>(f, static_cast<compute>(x[i])));
    });
  };
  return k;
}

} // namespace hogar::nn
