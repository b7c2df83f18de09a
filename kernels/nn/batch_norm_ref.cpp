// batch_norm_ref.cpp: BatchNormalization's parameters and shape rules (inference only, every
// opset's attributes), and its reference twin in double.
#include <cmath>

#include <fmt/format.h>

#include "kernels/nn/batch_norm.hpp"

namespace hogar::nn {

namespace {

constexpr const char* parameter_names[] = {"X", "scale", "B", "input_mean", "input_var"};

} // namespace

result<batch_norm_params> batch_norm_params_of(const node_view& view) {
  if (view.inputs.size() != 5)
    return view.error("needs five inputs: X, scale, B, input_mean, input_var");
  for (std::size_t i = 0; i < 5; ++i)
    if (!view.has(i))
      return view.error(fmt::format("input {} ({}) is missing", i, parameter_names[i]));
  for (std::size_t o = 1; o < view.node.outputs.size(); ++o)
    if (!view.node.outputs[o].empty())
      return view.error(fmt::format("output {} ('{}') is a training output (running or saved "
                                    "statistics); hogar runs BatchNormalization for inference "
                                    "only, with Y as its one output",
                                    o, view.node.outputs[o]));
  auto attrs = view.attributes();
  auto training = attrs.get_int("training_mode", 0);
  if (!training)
    return training.error();
  if (*training != 0)
    return attrs.error("training_mode", "is 1; hogar runs BatchNormalization for inference "
                                        "only (training_mode 0)");
  // Opsets before 9: spatial 0 keeps one statistic per element of C x D1 x ... x Dk.
  auto spatial = attrs.get_int("spatial", 1);
  if (!spatial)
    return spatial.error();
  if (*spatial == 0)
    return attrs.error("spatial", "is 0 (statistics per activation, not per channel), which "
                                  "hogar does not support");
  auto epsilon = attrs.get_float("epsilon", 1e-5f);
  if (!epsilon)
    return epsilon.error();
  if (!(*epsilon >= 0.0f))
    return attrs.error("epsilon", fmt::format("is {}; it cannot be negative", *epsilon));
  const auto& x = view.inputs[0];
  if (x.type != dtype::float32 && x.type != dtype::float64)
    return view.error(fmt::format("input X is {}; BatchNormalization takes float32 or float64",
                                  to_string(x.type)));
  if (x.shape.size() < 2)
    return view.error(fmt::format("input X {} needs rank 2 or more: [N, C, ...]",
                                  to_string(x.shape)));
  batch_norm_params p;
  p.batch = x.shape[0];
  p.channels = x.shape[1];
  p.spatial_size = element_count(shape_t(x.shape.begin() + 2, x.shape.end()));
  p.epsilon = *epsilon;
  for (std::size_t i = 1; i < 5; ++i) {
    const auto& v = view.inputs[i];
    if (v.type != x.type || v.shape != shape_t{p.channels})
      return view.error(fmt::format("input {} ({}) is {}{}; it must be {}[{}], one value per "
                                    "channel of X",
                                    i, parameter_names[i], to_string(v.type), to_string(v.shape),
                                    to_string(x.type), p.channels));
  }
  return p;
}

result<std::vector<value_type>> infer_batch_norm(const node_view& view) {
  auto p = batch_norm_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{view.inputs[0]};
}

namespace {

template <class T>
void batch_norm_reference(const batch_norm_params& p, const cpu_buffers& io) {
  const T* x = static_cast<const T*>(io.inputs[0]);
  const T* scale = static_cast<const T*>(io.inputs[1]);
  const T* bias = static_cast<const T*>(io.inputs[2]);
  const T* mean = static_cast<const T*>(io.inputs[3]);
  const T* var = static_cast<const T*>(io.inputs[4]);
  T* y = static_cast<T*>(io.outputs[0]);
  for (std::int64_t n = 0; n < p.batch; ++n) {
    for (std::int64_t c = 0; c < p.channels; ++c) {
      const double sd = std::sqrt(static_cast<double>(var[c]) + static_cast<double>(p.epsilon));
      const auto offset = (n * p.channels + c) * p.spatial_size;
      for (std::int64_t i = 0; i < p.spatial_size; ++i)
        y[offset + i] = static_cast<T>((static_cast<double>(x[offset + i]) - mean[c]) / sd *
                                         scale[c] +
                                       bias[c]);
    }
  }
}

} // namespace

result<cpu_kernel> bind_batch_norm_reference(const node_view& view,
                                             std::span<const value_type> outputs) {
  auto p = batch_norm_params_of(view);
  if (!p)
    return p.error();
  cpu_kernel k;
  const bool is_double = outputs[0].type == dtype::float64;
  k.run = [p = *p, is_double](const cpu_buffers& io) {
    if (is_double)
      batch_norm_reference<double>(p, io);
    else
      batch_norm_reference<float>(p, io);
  };
  return k;
}

} // namespace hogar::nn
