// pad_ref.cpp: Pad's parameters and shape rule, and its reference twin (one element at a
// time, every dtype).
#include <cstring>

#include <fmt/format.h>

#include "kernels/nn/pad.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::nn {

namespace {

/// `v` converted to the dtype `type`, as that dtype's bytes in the low end of a word.
std::uint64_t value_bits_of(double v, dtype type) {
  std::uint64_t bits = 0;
  ops::visit_dtype(type, [&](auto zero) {
    using T = decltype(zero);
    const T t = type == dtype::boolean ? static_cast<T>(v != 0) : static_cast<T>(v);
    std::memcpy(&bits, &t, sizeof(T));
  });
  return bits;
}

/// The values of constant input `i` (int64, 1-D), or an error naming it (`what`).
result<std::vector<std::int64_t>> constant_int64s(const node_view& view, std::size_t i,
                                                  std::string_view what) {
  const tensor* t = view.constant(i);
  if (!t)
    return view.error(fmt::format("input {} ('{}', {}) must be a constant (an initializer, or "
                                  "computed from constants and input shapes only): hogar plans "
                                  "every shape before the first request",
                                  i, view.node.inputs[i], what));
  if ((t->type() != dtype::int64 && t->type() != dtype::int32) || t->shape().size() > 1)
    return view.error(fmt::format("input {} ('{}', {}) is {}{}; it must be a 1-D int64 tensor",
                                  i, view.node.inputs[i], what, to_string(t->type()),
                                  to_string(t->shape())));
  std::vector<std::int64_t> out;
  if (t->type() == dtype::int64) {
    auto v = t->values<std::int64_t>();
    out.assign(v.begin(), v.end());
  } else {
    auto v = t->values<std::int32_t>();
    out.assign(v.begin(), v.end());
  }
  return out;
}

} // namespace

result<pad_params> pad_params_of(const node_view& view) {
  if (view.inputs.empty() || !view.has(0))
    return view.error("needs input 0, data");
  const auto& x = view.inputs[0];
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  auto attrs = view.attributes();
  pad_params p;
  p.in_shape = x.shape;
  p.element_size = dtype_size(x.type);

  auto mode = attrs.get_string("mode", "constant");
  if (!mode)
    return mode.error();
  if (*mode == "constant")
    p.mode = pad_mode::constant;
  else if (*mode == "reflect")
    p.mode = pad_mode::reflect;
  else if (*mode == "edge")
    p.mode = pad_mode::edge;
  else
    return attrs.error("mode", fmt::format("is '{}'; it must be constant, reflect or edge",
                                           *mode));

  std::vector<std::int64_t> pads;
  std::vector<std::int64_t> axes(x.shape.size());
  for (std::size_t d = 0; d < axes.size(); ++d)
    axes[d] = static_cast<std::int64_t>(d);
  if (view.opset < 11) {
    if (view.inputs.size() != 1)
      return view.error("takes one input before opset 11 (pads and value are attributes)");
    // Opset 1 named the attribute `paddings`.
    const char* name = view.opset < 2 ? "paddings" : "pads";
    auto given = attrs.require_ints(name);
    if (!given)
      return given.error();
    pads = std::move(*given);
    auto value = attrs.get_float("value", 0.0f);
    if (!value)
      return value.error();
    p.value_bits = value_bits_of(*value, x.type);
  } else {
    if (view.inputs.size() < 2 || view.inputs.size() > 4 || !view.has(1))
      return view.error("needs inputs data and pads (constant_value and axes optional)");
    auto given = constant_int64s(view, 1, "the pads");
    if (!given)
      return given.error();
    pads = std::move(*given);
    if (view.has(2)) {
      const auto& v = view.inputs[2];
      if (v.type != x.type || element_count(v.shape) != 1)
        return view.error(fmt::format("input 2 ('{}', the constant_value) is {}{}; it must be "
                                      "one {} value, the data's dtype",
                                      view.node.inputs[2], to_string(v.type), to_string(v.shape),
                                      to_string(x.type)));
      p.value_input = true;
    }
    if (view.has(3)) {
      auto given_axes = constant_int64s(view, 3, "the axes");
      if (!given_axes)
        return given_axes.error();
      axes = std::move(*given_axes);
      std::vector<bool> seen(x.shape.size(), false);
      for (auto& a : axes) {
        if (a < -rank || a >= rank)
          return view.error(fmt::format("axes {} hold {}, outside [{}, {}] for data {}",
                                        to_string(axes), a, -rank, rank - 1,
                                        to_string(x.shape)));
        if (a < 0)
          a += rank;
        if (seen[static_cast<std::size_t>(a)])
          return view.error(fmt::format("axes name axis {} twice", a));
        seen[static_cast<std::size_t>(a)] = true;
      }
    }
  }
  const auto n = axes.size();
  if (pads.size() != 2 * n)
    return view.error(fmt::format("pads {} must hold {} values: a begin and an end for each of "
                                  "the {} padded axes of data {}",
                                  to_string(pads), 2 * n, n, to_string(x.shape)));
  p.begin.assign(x.shape.size(), 0);
  std::vector<std::int64_t> end(x.shape.size(), 0);
  for (std::size_t k = 0; k < n; ++k) {
    const auto a = static_cast<std::size_t>(axes[k]);
    const auto b = pads[k], e = pads[n + k];
    // Bounded first: the sums below then stay far from overflow.
    const auto limit = onnx::max_value_elements;
    if (b < -limit || b > limit || e < -limit || e > limit)
      return view.error(fmt::format("pads {} hold more than the {} elements a value may have",
                                    to_string(pads), limit));
    p.begin[a] = b;
    end[a] = e;
  }
  p.out_shape = x.shape;
  for (std::size_t d = 0; d < x.shape.size(); ++d) {
    p.out_shape[d] = x.shape[d] + p.begin[d] + end[d];
    if (p.out_shape[d] < 0)
      return view.error(fmt::format("pads {} remove more than the {} elements of axis {} of "
                                    "data {}",
                                    to_string(pads), x.shape[d], d, to_string(x.shape)));
  }
  if (p.mode != pad_mode::constant && element_count(x.shape) == 0 &&
      element_count(p.out_shape) > 0)
    return view.error(fmt::format("pads empty data {} in mode {}, which copies elements of the "
                                  "data; only mode constant can",
                                  to_string(x.shape), *mode));
  return p;
}

result<std::vector<value_type>> infer_pad(const node_view& view) {
  auto p = pad_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{{view.inputs[0].type, p->out_shape}};
}

result<cpu_kernel> bind_pad_reference(const node_view& view, std::span<const value_type>) {
  auto params = pad_params_of(view);
  if (!params)
    return params.error();
  cpu_kernel k;
  k.run = [p = std::move(*params)](const cpu_buffers& io) {
    const auto* x = static_cast<const char*>(io.inputs[0]);
    auto* y = static_cast<char*>(io.outputs[0]);
    const auto element = p.element_size;
    const char* value = p.value_input ? static_cast<const char*>(io.inputs[2])
                                      : reinterpret_cast<const char*>(&p.value_bits);
    const auto rank = p.out_shape.size();
    const auto total = element_count(p.out_shape);
    for (std::int64_t i = 0; i < total; ++i) {
      // Input offset of output element i, dimension by dimension from the innermost.
      std::int64_t rest = i, at = 0, stride = 1;
      bool outside = false;
      for (std::size_t d = rank; d-- > 0;) {
        const auto o = rest % p.out_shape[d];
        rest /= p.out_shape[d];
        const auto j = pad_source(p.mode, o - p.begin[d], p.in_shape[d]);
        outside = outside || j < 0;
        at += j * stride;
        stride *= p.in_shape[d];
      }
      std::memcpy(y + static_cast<std::size_t>(i) * element,
                  outside ? value : x + static_cast<std::size_t>(at) * element, element);
    }
  };
  return k;
}

} // namespace hogar::nn
