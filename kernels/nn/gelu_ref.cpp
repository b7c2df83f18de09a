// gelu_ref.cpp: Gelu's attribute and shape rules, and its reference twin (double).
#include <fmt/format.h>

#include "kernels/nn/gelu.hpp"

namespace hogar::nn {

result<gelu_params> gelu_params_of(const node_view& view) {
  const auto& domain = view.node.domain;
  if (!domain.empty() && domain != "com.microsoft")
    return view.error(fmt::format("is of domain '{}'; hogar runs Gelu of the default domain "
                                  "and of com.microsoft",
                                  domain));
  if (view.inputs.size() != 1 || !view.has(0))
    return view.error("needs exactly one input");
  const auto type = view.inputs[0].type;
  if (type != dtype::float32 && type != dtype::float64)
    return view.error(fmt::format("input is {}; Gelu takes float32 or float64",
                                  to_string(type)));
  auto attrs = view.attributes();
  auto approximate = attrs.get_string("approximate", "none");
  if (!approximate)
    return approximate.error();
  if (*approximate != "none" && *approximate != "tanh")
    return attrs.error("approximate", fmt::format("is '{}'; it must be 'none' or 'tanh'",
                                                  *approximate));
  return gelu_params{*approximate == "tanh"};
}

result<std::vector<value_type>> infer_gelu(const node_view& view) {
  auto p = gelu_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{view.inputs[0]};
}

result<cpu_kernel> bind_gelu_reference(const node_view& view,
                                       std::span<const value_type> outputs) {
  auto p = gelu_params_of(view);
  if (!p)
    return p.error();
  const auto n = element_count(outputs[0].shape);
  const bool f64 = outputs[0].type == dtype::float64;
  cpu_kernel k;
  k.run = [tanh_form = p->tanh, n, f64](const cpu_buffers& io) {
    if (f64) {
      const auto* x = static_cast<const double*>(io.inputs[0]);
      auto* y = static_cast<double*>(io.outputs[0]);
      for (std::int64_t i = 0; i < n; ++i)
        y[i] = gelu_value(tanh_form, x[i]);
    } else {
      const auto* x = static_cast<const float*>(io.inputs[0]);
      auto* y = static_cast<float*>(io.outputs[0]);
      for (std::int64_t i = 0; i < n; ++i)
        y[i] = static_cast<float>(gelu_value(tanh_form, static_cast<double>(x[i])));
    }
  };
  return k;
}

} // namespace hogar::nn
