// lrn_ref.cpp: LRN's parameters and shape rules, and its reference twin (sums in double).
#include <cmath>

#include <fmt/format.h>

#include "kernels/nn/lrn.hpp"

namespace hogar::nn {

result<lrn_params> lrn_params_of(const node_view& view) {
  if (view.inputs.size() != 1 || !view.has(0))
    return view.error("needs exactly one input, X");
  const auto& x = view.inputs[0];
  if (x.type != dtype::float32 && x.type != dtype::float64)
    return view.error(fmt::format("input X is {}; LRN takes float32 or float64",
                                  to_string(x.type)));
  if (x.shape.size() < 2)
    return view.error(fmt::format("input X {} needs rank 2 or more: [N, C, ...]",
                                  to_string(x.shape)));
  auto attrs = view.attributes();
  auto size = attrs.require_int("size");
  if (!size)
    return size.error();
  if (*size < 1)
    return attrs.error("size", fmt::format("is {}; it must be at least 1", *size));
  auto alpha = attrs.get_float("alpha", 1e-4f);
  auto beta = attrs.get_float("beta", 0.75f);
  auto bias = attrs.get_float("bias", 1.0f);
  if (!alpha)
    return alpha.error();
  if (!beta)
    return beta.error();
  if (!bias)
    return bias.error();
  lrn_params p;
  p.batch = x.shape[0];
  p.channels = x.shape[1];
  for (std::size_t a = 2; a < x.shape.size(); ++a)
    p.spatial *= x.shape[a];
  p.size = *size;
  p.before = (*size - 1) / 2;
  p.after = *size - 1 - p.before;
  p.alpha = *alpha;
  p.beta = *beta;
  p.bias = *bias;
  return p;
}

result<std::vector<value_type>> infer_lrn(const node_view& view) {
  auto p = lrn_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{view.inputs[0]};
}

namespace {

template <class T>
void lrn_reference(const lrn_params& p, const T* x, T* y) {
  for (std::int64_t n = 0; n < p.batch; ++n)
    for (std::int64_t c = 0; c < p.channels; ++c)
      for (std::int64_t s = 0; s < p.spatial; ++s) {
        double squares = 0;
        for (auto k = std::max<std::int64_t>(0, c - p.before);
             k <= std::min(p.channels - 1, c + p.after); ++k) {
          const double v = static_cast<double>(x[(n * p.channels + k) * p.spatial + s]);
          squares += v * v;
        }
        const auto i = (n * p.channels + c) * p.spatial + s;
        y[i] = static_cast<T>(static_cast<double>(x[i]) /
                              std::pow(p.bias + p.alpha / static_cast<double>(p.size) * squares,
                                       p.beta));
      }
}

} // namespace

result<cpu_kernel> bind_lrn_reference(const node_view& view, std::span<const value_type> outputs) {
  auto params = lrn_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  const bool f64 = outputs[0].type == dtype::float64;
  cpu_kernel k;
  k.run = [p, f64](const cpu_buffers& io) {
    if (f64)
      lrn_reference(p, static_cast<const double*>(io.inputs[0]),
                    static_cast<double*>(io.outputs[0]));
    else
      lrn_reference(p, static_cast<const float*>(io.inputs[0]),
                    static_cast<float*>(io.outputs[0]));
  };
  return k;
}

} // namespace hogar::nn
