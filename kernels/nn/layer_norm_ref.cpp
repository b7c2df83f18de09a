// layer_norm_ref.cpp: LayerNormalization's parameters and shape rules, and its reference twin
// (statistics in double).
#include <cmath>

#include <fmt/format.h>

#include "kernels/nn/layer_norm.hpp"

namespace hogar::nn {

namespace {

/// ONNX's TensorProto.DataType of float32, the one stash type hogar has.
constexpr std::int64_t stash_float = 1;

} // namespace

result<layer_norm_params> layer_norm_params_of(const node_view& view) {
  if (view.inputs.size() < 2 || view.inputs.size() > 3 || !view.has(0) || !view.has(1))
    return view.error("needs inputs X and Scale, and optionally B");
  const auto& x = view.inputs[0];
  if (x.type != dtype::float32 && x.type != dtype::float64)
    return view.error(fmt::format("input X is {}; LayerNormalization takes float32 or float64",
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
  auto epsilon = attrs.get_float("epsilon", 1e-5f);
  if (!epsilon)
    return epsilon.error();
  if (!(*epsilon >= 0.0f))
    return attrs.error("epsilon", fmt::format("is {}; it must be 0 or more", *epsilon));
  auto stash = attrs.get_int("stash_type", stash_float);
  if (!stash)
    return stash.error();
  if (*stash != stash_float)
    return attrs.error("stash_type", fmt::format("is {}; hogar computes the statistics in "
                                                 "float32 (1), the only stash type ONNX "
                                                 "allows besides bfloat16",
                                                 *stash));
  layer_norm_params p;
  p.epsilon = *epsilon;
  const auto ua = static_cast<std::size_t>(a);
  p.rows = element_count(shape_t(x.shape.begin(), x.shape.begin() + a));
  p.cols = element_count(shape_t(x.shape.begin() + a, x.shape.end()));
  p.stats_shape = x.shape;
  for (std::size_t d = ua; d < p.stats_shape.size(); ++d)
    p.stats_shape[d] = 1;
  p.has_bias = view.has(2);
  for (std::size_t i = 1; i < (p.has_bias ? 3u : 2u); ++i) {
    const auto& v = view.inputs[i];
    const auto n = element_count(v.shape);
    if (v.type != x.type || (n != p.cols && n != 1))
      return view.error(fmt::format("input {} ('{}', {}) is {}{}; it must be {} with {} "
                                    "elements (one per normalised element of a row) or one",
                                    i, view.node.inputs[i], i == 1 ? "Scale" : "B",
                                    to_string(v.type), to_string(v.shape), to_string(x.type),
                                    p.cols));
    (i == 1 ? p.scale_single : p.bias_single) = n == 1 && p.cols != 1;
  }
  return p;
}

result<std::vector<value_type>> infer_layer_norm(const node_view& view) {
  auto p = layer_norm_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{view.inputs[0],
                                 {dtype::float32, p->stats_shape},
                                 {dtype::float32, p->stats_shape}};
}

namespace {

template <class T>
void layer_norm_reference(const layer_norm_params& p, const T* x, const T* scale,
                          const T* bias, T* y, float* mean_out, float* inv_std_out) {
  for (std::int64_t r = 0; r < p.rows; ++r) {
    const T* row = x + r * p.cols;
    double sum = 0;
    for (std::int64_t j = 0; j < p.cols; ++j)
      sum += static_cast<double>(row[j]);
    const double mean = p.cols > 0 ? sum / static_cast<double>(p.cols) : 0;
    double squares = 0;
    for (std::int64_t j = 0; j < p.cols; ++j) {
      const double d = static_cast<double>(row[j]) - mean;
      squares += d * d;
    }
    const double variance = p.cols > 0 ? squares / static_cast<double>(p.cols) : 0;
    const double inv_std = 1.0 / std::sqrt(variance + p.epsilon);
    if (y)
      for (std::int64_t j = 0; j < p.cols; ++j) {
        const double s = static_cast<double>(scale[p.scale_single ? 0 : j]);
        const double b = bias ? static_cast<double>(bias[p.bias_single ? 0 : j]) : 0.0;
        y[r * p.cols + j] =
          static_cast<T>((static_cast<double>(row[j]) - mean) * inv_std * s + b);
      }
    if (mean_out)
      mean_out[r] = static_cast<float>(mean);
    if (inv_std_out)
      inv_std_out[r] = static_cast<float>(inv_std);
  }
}

} // namespace

result<cpu_kernel> bind_layer_norm_reference(const node_view& view,
                                             std::span<const value_type> outputs) {
  auto params = layer_norm_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  const bool f64 = outputs[0].type == dtype::float64;
  cpu_kernel k;
  k.run = [p, f64](const cpu_buffers& io) {
    auto* mean = io.outputs.size() > 1 ? static_cast<float*>(io.outputs[1]) : nullptr;
    auto* inv_std = io.outputs.size() > 2 ? static_cast<float*>(io.outputs[2]) : nullptr;
    const void* bias = p.has_bias ? io.inputs[2] : nullptr;
    if (f64)
      layer_norm_reference(p, static_cast<const double*>(io.inputs[0]),
                           static_cast<const double*>(io.inputs[1]),
                           static_cast<const double*>(bias), static_cast<double*>(io.outputs[0]),
                           mean, inv_std);
    else
      layer_norm_reference(p, static_cast<const float*>(io.inputs[0]),
                           static_cast<const float*>(io.inputs[1]),
                           static_cast<const float*>(bias), static_cast<float*>(io.outputs[0]),
                           mean, inv_std);
  };
  return k;
}

} // namespace hogar::nn
