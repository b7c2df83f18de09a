// softmax_ref.cpp: Softmax's and LogSoftmax's parameters and shape rules, and their reference
// twin: each slice shifted by its maximum (no overflow), summed in double.
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "kernels/nn/softmax.hpp"

namespace hogar::nn {

result<softmax_params> softmax_params_of(const node_view& view) {
  if (view.inputs.size() != 1 || !view.has(0))
    return view.error("needs exactly one input");
  const auto& x = view.inputs[0];
  if (x.type != dtype::float32 && x.type != dtype::float64)
    return view.error(fmt::format("input is {}; {} takes float32 or float64", to_string(x.type),
                                  view.node.op_type));
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  if (rank == 0)
    return view.error("input is a scalar; it needs rank 1 or more");
  const bool per_axis = view.opset >= 13;
  auto attrs = view.attributes();
  auto axis = attrs.get_int("axis", per_axis ? -1 : 1);
  if (!axis)
    return axis.error();
  const auto a = *axis < 0 ? *axis + rank : *axis;
  if (a < 0 || a >= rank)
    return attrs.error("axis", fmt::format("is {}, outside [{}, {}] for an input of rank {}",
                                           *axis, -rank, rank - 1, rank));
  softmax_params p;
  p.log = view.node.op_type == "LogSoftmax";
  const auto& s = x.shape;
  p.outer = element_count(shape_t(s.begin(), s.begin() + a));
  if (per_axis) {
    p.axis_size = s[static_cast<std::size_t>(a)];
    p.inner = element_count(shape_t(s.begin() + a + 1, s.end()));
  } else {
    // Before opset 13 the input is a matrix [d0 * .. * d(axis-1), d(axis) * .. * d(n-1)].
    p.axis_size = element_count(shape_t(s.begin() + a, s.end()));
    p.inner = 1;
  }
  return p;
}

result<std::vector<value_type>> infer_softmax(const node_view& view) {
  auto p = softmax_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{view.inputs[0]};
}

namespace {

template <class T>
void softmax_reference(const softmax_params& p, const T* x, T* y) {
  for (std::int64_t o = 0; o < p.outer; ++o) {
    for (std::int64_t i = 0; i < p.inner; ++i) {
      const auto base = o * p.axis_size * p.inner + i;
      auto at = [&](std::int64_t j) { return base + j * p.inner; };
      double max = -std::numeric_limits<double>::infinity();
      for (std::int64_t j = 0; j < p.axis_size; ++j)
        max = std::max(max, static_cast<double>(x[at(j)]));
      double sum = 0;
      for (std::int64_t j = 0; j < p.axis_size; ++j)
        sum += std::exp(static_cast<double>(x[at(j)]) - max);
      const double log_sum = std::log(sum);
      for (std::int64_t j = 0; j < p.axis_size; ++j) {
        const double shifted = static_cast<double>(x[at(j)]) - max;
        y[at(j)] = static_cast<T>(p.log ? shifted - log_sum : std::exp(shifted) / sum);
      }
    }
  }
}

} // namespace

result<cpu_kernel> bind_softmax_reference(const node_view& view,
                                          std::span<const value_type> outputs) {
  auto p = softmax_params_of(view);
  if (!p)
    return p.error();
  cpu_kernel k;
  const bool is_double = outputs[0].type == dtype::float64;
  k.run = [p = *p, is_double](const cpu_buffers& io) {
    if (is_double)
      softmax_reference(p, static_cast<const double*>(io.inputs[0]),
                        static_cast<double*>(io.outputs[0]));
    else
      softmax_reference(p, static_cast<const float*>(io.inputs[0]),
                        static_cast<float*>(io.outputs[0]));
  };
  return k;
}

} // namespace hogar::nn
