// top_k_ref.cpp: TopK's parameters and shape rules, and its reference twin.
#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "kernels/nn/top_k.hpp"

namespace hogar::nn {

namespace {

bool takes(dtype t) {
  return t == dtype::float32 || t == dtype::float64 || t == dtype::int8 || t == dtype::uint8 ||
         t == dtype::int32 || t == dtype::int64;
}

/// k: the attribute before opset 10, else the constant input 1.
result<std::int64_t> k_of(const node_view& view) {
  auto attrs = view.attributes();
  if (view.opset < 10) {
    if (view.inputs.size() != 1 || !view.has(0))
      return view.error(fmt::format("takes one input at opset {} (k is an attribute)",
                                    view.opset));
    return attrs.require_int("k");
  }
  if (view.inputs.size() != 2 || !view.has(0) || !view.has(1))
    return view.error("needs inputs X and K");
  if (attrs.has("k"))
    return attrs.error("k", fmt::format("is input K at opset {}, not an attribute", view.opset));
  const auto& k = view.inputs[1];
  if (k.type != dtype::int64 || element_count(k.shape) != 1 || k.shape.size() > 1)
    return view.error(fmt::format("input 1 ('{}', K) is {}{}; it must be one int64 ([1])",
                                  view.node.inputs[1], to_string(k.type), to_string(k.shape)));
  const tensor* value = view.constant(1);
  if (!value)
    return view.error(fmt::format("input 1 ('{}', K) must be a constant (an initializer, or "
                                  "computed from constants only): hogar plans every shape "
                                  "before the first request",
                                  view.node.inputs[1]));
  return value->values<std::int64_t>()[0];
}

} // namespace

result<top_k_params> top_k_params_of(const node_view& view) {
  auto k = k_of(view);
  if (!k)
    return k.error();
  const auto& x = view.inputs[0];
  if (!takes(x.type))
    return view.error(fmt::format("input X is {}; TopK takes float32, float64, int8, uint8, "
                                  "int32 or int64",
                                  to_string(x.type)));
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  if (rank == 0)
    return view.error("input X is a scalar; it needs rank 1 or more");
  auto attrs = view.attributes();
  auto axis = attrs.get_int("axis", -1);
  if (!axis)
    return axis.error();
  const auto a = *axis < 0 ? *axis + rank : *axis;
  if (a < 0 || a >= rank)
    return attrs.error("axis", fmt::format("is {}, outside [{}, {}] for an input of rank {}",
                                           *axis, -rank, rank - 1, rank));
  auto largest = attrs.get_int("largest", 1);
  if (!largest)
    return largest.error();
  auto sorted = attrs.get_int("sorted", 1);
  if (!sorted)
    return sorted.error();
  const auto ua = static_cast<std::size_t>(a);
  const auto n = x.shape[ua];
  if (*k < 0 || *k > n)
    return view.error(fmt::format("k is {}; it must lie in [0, {}], the extent of axis {} of "
                                  "input {}",
                                  *k, n, *axis, to_string(x.shape)));
  top_k_params p;
  p.outer = element_count(shape_t(x.shape.begin(), x.shape.begin() + a));
  p.axis_size = n;
  p.inner = element_count(shape_t(x.shape.begin() + a + 1, x.shape.end()));
  p.k = *k;
  p.largest = *largest != 0;
  p.output_shape = x.shape;
  p.output_shape[ua] = *k;
  return p;
}

result<std::vector<value_type>> infer_top_k(const node_view& view) {
  auto p = top_k_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{{view.inputs[0].type, p->output_shape},
                                 {dtype::int64, p->output_shape}};
}

namespace {

template <class T>
void top_k_reference(const top_k_params& p, const T* x, T* values, std::int64_t* indices,
                     std::int64_t* order) {
  for (std::int64_t o = 0; o < p.outer; ++o)
    for (std::int64_t i = 0; i < p.inner; ++i) {
      const T* s = x + o * p.axis_size * p.inner + i;
      std::iota(order, order + p.axis_size, std::int64_t{0});
      std::sort(order, order + p.axis_size, [&](std::int64_t a, std::int64_t b) {
        return top_k_before(p.largest, s[a * p.inner], a, s[b * p.inner], b);
      });
      for (std::int64_t j = 0; j < p.k; ++j) {
        const auto at = (o * p.k + j) * p.inner + i;
        if (values)
          values[at] = s[order[j] * p.inner];
        if (indices)
          indices[at] = order[j];
      }
    }
}

template <class T>
void run_reference(const top_k_params& p, const cpu_buffers& io) {
  top_k_reference(p, static_cast<const T*>(io.inputs[0]), static_cast<T*>(io.outputs[0]),
                  io.outputs.size() > 1 ? static_cast<std::int64_t*>(io.outputs[1]) : nullptr,
                  static_cast<std::int64_t*>(io.workspace));
}

} // namespace

result<cpu_kernel> bind_top_k_reference(const node_view& view, std::span<const value_type>) {
  auto params = top_k_params_of(view);
  if (!params)
    return params.error();
  const auto type = view.inputs[0].type;
  cpu_kernel k;
  k.workspace_bytes = static_cast<std::size_t>(params->axis_size) * sizeof(std::int64_t);
  k.run = [p = *params, type](const cpu_buffers& io) {
    switch (type) {
      case dtype::float64: run_reference<double>(p, io); break;
      case dtype::int8: run_reference<std::int8_t>(p, io); break;
      case dtype::uint8: run_reference<std::uint8_t>(p, io); break;
      case dtype::int32: run_reference<std::int32_t>(p, io); break;
      case dtype::int64: run_reference<std::int64_t>(p, io); break;
      default: run_reference<float>(p, io); break;
    }
  };
  return k;
}

} // namespace hogar::nn
