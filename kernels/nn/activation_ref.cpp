// activation_ref.cpp: the activations' parameters and shape rules, and their reference twin.
//
// Clip's bounds, inputs from opset 11, are read from their buffers when the kernel runs, so a
// Clip whose bounds are graph inputs runs too; only fusing it into the op before it (and
// activation_of()) needs them as constants.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "kernels/nn/activation.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::nn {

namespace {

bool is_clip(const node_view& view) { return view.node.op_type == "Clip"; }

/// Clip from opset 11 takes its bounds as inputs 1 (min) and 2 (max).
bool clip_bounds_are_inputs(const node_view& view) { return is_clip(view) && view.opset >= 11; }

constexpr const char* clip_bound_names[] = {"", "min", "max"};

} // namespace

result<epilogue> activation_of(const node_view& view) {
  epilogue e;
  auto attrs = view.attributes();
  const auto& op = view.node.op_type;
  if (op == "Relu") {
    e.kind = activation::relu;
  } else if (op == "Sigmoid") {
    e.kind = activation::sigmoid;
  } else if (op == "Tanh") {
    e.kind = activation::tanh;
  } else if (op == "LeakyRelu") {
    e.kind = activation::leaky_relu;
    auto alpha = attrs.get_float("alpha", 0.01f);
    if (!alpha)
      return alpha.error();
    e.alpha = *alpha;
  } else if (op == "Clip") {
    e.kind = activation::clip;
    if (!clip_bounds_are_inputs(view)) {
      auto lo = attrs.get_float("min", e.min);
      auto hi = attrs.get_float("max", e.max);
      if (!lo)
        return lo.error();
      if (!hi)
        return hi.error();
      e.min = *lo;
      e.max = *hi;
    } else {
      for (std::size_t i = 1; i <= 2; ++i) {
        if (!view.has(i))
          continue;
        const tensor* bound = view.constant(i);
        if (!bound || bound->element_count() != 1)
          return view.error(fmt::format("input {} ('{}', the {} bound) must be a constant scalar "
                                        "to be known before any request",
                                        i, view.node.inputs[i], clip_bound_names[i]));
        (i == 1 ? e.min : e.max) = static_cast<float>(bound->value_as_double(0));
      }
    }
  } else {
    return view.error("is not an activation");
  }
  return e;
}

result<std::vector<value_type>> infer_activation(const node_view& view) {
  const auto max_inputs = clip_bounds_are_inputs(view) ? std::size_t{3} : std::size_t{1};
  if (view.inputs.empty() || view.inputs.size() > max_inputs || !view.has(0))
    return view.error(max_inputs == 1 ? "needs exactly one input"
                                      : "needs input X and optionally min and max");
  const auto type = view.inputs[0].type;
  const bool floating = type == dtype::float32 || type == dtype::float64;
  const auto& op = view.node.op_type;
  const bool integers_too = op == "Relu" || op == "Clip";
  if (type == dtype::boolean || (!floating && !integers_too))
    return view.error(fmt::format("input X is {}; {} takes {}", to_string(type), op,
                                  integers_too ? "a numeric type" : "float32 or float64"));
  for (std::size_t i = 1; i < view.inputs.size(); ++i) {
    if (!view.has(i))
      continue;
    const auto& bound = view.inputs[i];
    if (bound.type != type || element_count(bound.shape) != 1)
      return view.error(fmt::format("input {} ('{}', the {} bound) is {}{}; it must be one {} "
                                    "value",
                                    i, view.node.inputs[i], clip_bound_names[i],
                                    to_string(bound.type), to_string(bound.shape),
                                    to_string(type)));
  }
  // Attributes are checked here so that a bad one fails when the model is planned.
  if (op != "Clip") {
    auto e = activation_of(view);
    if (!e)
      return e.error();
  } else if (!clip_bounds_are_inputs(view)) {
    for (auto name : {"min", "max"})
      if (auto v = view.attributes().get_float(name, 0.0f); !v)
        return v.error();
  }
  return std::vector<value_type>{{type, view.inputs[0].shape}};
}

clip_bounds clip_bounds_of(const node_view& view) {
  clip_bounds b;
  b.from_inputs = clip_bounds_are_inputs(view);
  if (!b.from_inputs) {
    auto attrs = view.attributes();
    if (auto lo = attrs.get_float("min", b.min); lo)
      b.min = *lo;
    if (auto hi = attrs.get_float("max", b.max); hi)
      b.max = *hi;
  }
  return b;
}

namespace {

template <class T>
void activation_reference(const epilogue& e, const clip_bounds& bounds, const cpu_buffers& io,
                          std::int64_t n) {
  const T* x = static_cast<const T*>(io.inputs[0]);
  T* y = static_cast<T*>(io.outputs[0]);
  if (e.kind != activation::clip) {
    for (std::int64_t i = 0; i < n; ++i)
      y[i] = activate(e, x[i]);
    return;
  }
  // Bounds at T's own precision: an int64 or float64 bound survives exactly.
  T lo = bound_as<T>(bounds.min), hi = bound_as<T>(bounds.max);
  if (bounds.from_inputs) {
    if (io.inputs.size() > 1 && io.inputs[1])
      lo = *static_cast<const T*>(io.inputs[1]);
    if (io.inputs.size() > 2 && io.inputs[2])
      hi = *static_cast<const T*>(io.inputs[2]);
  }
  for (std::int64_t i = 0; i < n; ++i)
    y[i] = std::min(std::max(x[i], lo), hi);
}

} // namespace

result<cpu_kernel> bind_activation_reference(const node_view& view,
                                             std::span<const value_type> outputs) {
  epilogue e;
  if (is_clip(view))
    e.kind = activation::clip;
  else if (auto a = activation_of(view); a)
    e = *a;
  else
    return a.error();
  const auto bounds = clip_bounds_of(view);
  const auto type = outputs[0].type;
  const auto n = element_count(outputs[0].shape);
  cpu_kernel k;
  k.run = [=](const cpu_buffers& io) {
    ops::visit_dtype(type, [&](auto zero) {
      activation_reference<decltype(zero)>(e, bounds, io, n);
    });
  };
  return k;
}

} // namespace hogar::nn
