// instance_norm_ref.cpp: InstanceNormalization's parameters and shape rules, and its reference
// twin (statistics in double).
#include <cmath>

#include <fmt/format.h>

#include "kernels/nn/instance_norm.hpp"

namespace hogar::nn {

result<instance_norm_params> instance_norm_params_of(const node_view& view) {
  if (view.inputs.size() != 3 || !view.has(0) || !view.has(1) || !view.has(2))
    return view.error("needs three inputs: input, scale and B");
  const auto& x = view.inputs[0];
  if (x.type != dtype::float32 && x.type != dtype::float64)
    return view.error(fmt::format("input is {}; InstanceNormalization takes float32 or float64",
                                  to_string(x.type)));
  if (x.shape.size() < 2)
    return view.error(fmt::format("input {} needs rank 2 or more: [N, C, ...]",
                                  to_string(x.shape)));
  for (std::size_t i = 1; i < 3; ++i) {
    const auto& v = view.inputs[i];
    if (v.type != x.type || v.shape != shape_t{x.shape[1]})
      return view.error(fmt::format("input {} ('{}', {}) is {}{}; it must be {}[{}], one value "
                                    "per channel",
                                    i, view.node.inputs[i], i == 1 ? "scale" : "B",
                                    to_string(v.type), to_string(v.shape), to_string(x.type),
                                    x.shape[1]));
  }
  auto epsilon = view.attributes().get_float("epsilon", 1e-5f);
  if (!epsilon)
    return epsilon.error();
  instance_norm_params p;
  p.batch = x.shape[0];
  p.channels = x.shape[1];
  for (std::size_t a = 2; a < x.shape.size(); ++a)
    p.plane *= x.shape[a];
  p.epsilon = *epsilon;
  return p;
}

result<std::vector<value_type>> infer_instance_norm(const node_view& view) {
  auto p = instance_norm_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{view.inputs[0]};
}

namespace {

template <class T>
void instance_norm_reference(const instance_norm_params& p, const T* x, const T* scale,
                             const T* bias, T* y) {
  for (std::int64_t n = 0; n < p.batch; ++n)
    for (std::int64_t c = 0; c < p.channels; ++c) {
      const auto first = (n * p.channels + c) * p.plane;
      double sum = 0;
      for (std::int64_t i = 0; i < p.plane; ++i)
        sum += static_cast<double>(x[first + i]);
      const double mean = p.plane > 0 ? sum / static_cast<double>(p.plane) : 0;
      double squares = 0;
      for (std::int64_t i = 0; i < p.plane; ++i) {
        const double d = static_cast<double>(x[first + i]) - mean;
        squares += d * d;
      }
      const double variance = p.plane > 0 ? squares / static_cast<double>(p.plane) : 0;
      const double factor = static_cast<double>(scale[c]) / std::sqrt(variance + p.epsilon);
      for (std::int64_t i = 0; i < p.plane; ++i)
        y[first + i] = static_cast<T>((static_cast<double>(x[first + i]) - mean) * factor +
                                      static_cast<double>(bias[c]));
    }
}

} // namespace

result<cpu_kernel> bind_instance_norm_reference(const node_view& view,
                                                std::span<const value_type> outputs) {
  auto params = instance_norm_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  const bool f64 = outputs[0].type == dtype::float64;
  cpu_kernel k;
  k.run = [p, f64](const cpu_buffers& io) {
    if (f64)
      instance_norm_reference(p, static_cast<const double*>(io.inputs[0]),
                              static_cast<const double*>(io.inputs[1]),
                              static_cast<const double*>(io.inputs[2]),
                              static_cast<double*>(io.outputs[0]));
    else
      instance_norm_reference(p, static_cast<const float*>(io.inputs[0]),
                              static_cast<const float*>(io.inputs[1]),
                              static_cast<const float*>(io.inputs[2]),
                              static_cast<float*>(io.outputs[0]));
  };
  return k;
}

} // namespace hogar::nn
