// prelu_ref.cpp: PRelu's shape rule and its reference twin.
#include <fmt/format.h>

#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/prelu.hpp"

namespace hogar::nn {

result<std::vector<value_type>> infer_prelu(const node_view& view) {
  if (view.inputs.size() != 2 || !view.has(0) || !view.has(1))
    return view.error("needs two inputs, X and slope");
  const auto& x = view.inputs[0];
  const auto& slope = view.inputs[1];
  if (x.type != dtype::float32 && x.type != dtype::float64)
    return view.error(fmt::format("input X is {}; PRelu takes float32 or float64",
                                  to_string(x.type)));
  if (slope.type != x.type)
    return view.error(fmt::format("input slope is {}, X is {}; they must be the same type",
                                  to_string(slope.type), to_string(x.type)));
  if (broadcast_shape(x.shape, slope.shape) != std::optional<shape_t>{x.shape})
    return view.error(fmt::format("slope {} does not broadcast to X {}", to_string(slope.shape),
                                  to_string(x.shape)));
  return std::vector<value_type>{x};
}

result<cpu_kernel> bind_prelu_reference(const node_view& view,
                                        std::span<const value_type> outputs) {
  auto types = infer_prelu(view);
  if (!types)
    return types.error();
  const auto out = outputs[0].shape;
  const auto x_strides = broadcast_strides(view.inputs[0].shape, out);
  const auto s_strides = broadcast_strides(view.inputs[1].shape, out);
  const bool f64 = outputs[0].type == dtype::float64;
  cpu_kernel k;
  k.run = [=](const cpu_buffers& io) {
    auto run = [&](auto zero) {
      using T = decltype(zero);
      const T* x = static_cast<const T*>(io.inputs[0]);
      const T* s = static_cast<const T*>(io.inputs[1]);
      T* y = static_cast<T*>(io.outputs[0]);
      for_each_broadcast(out, x_strides, s_strides, [&](std::int64_t o, std::int64_t a,
                                                        std::int64_t b) {
        y[o] = x[a] < T(0) ? s[b] * x[a] : x[a];
      });
    };
    if (f64)
      run(0.0);
    else
      run(0.0f);
  };
  return k;
}

} // namespace hogar::nn
