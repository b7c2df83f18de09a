// conv_ref.cpp: Conv's parameters and shape rules, and its reference twin: a direct
// convolution over any number of spatial dimensions, summed in double.
#include <fmt/format.h>

#include "kernels/nn/activation.hpp"
#include "kernels/nn/conv.hpp"
#include "kernels/nn/sliding_window.hpp"

namespace hogar::nn {

result<conv_params> conv_params_of(const node_view& view) {
  auto attrs = view.attributes();
  const bool fused_residual = attrs.has(fused_residual_attr);
  if (view.inputs.size() < 2 || view.inputs.size() > (fused_residual ? 4 : 3) || !view.has(0) ||
      !view.has(1) || (fused_residual && !view.has(residual_input)))
    return view.error(fused_residual ? "needs inputs X, W, B (or none) and the residual R"
                                     : "needs inputs X and W, and optionally B");
  const auto& x = view.inputs[0];
  const auto& w = view.inputs[1];
  if (x.type != dtype::float32 && x.type != dtype::float64)
    return view.error(fmt::format("input X is {}; Conv takes float32 or float64",
                                  to_string(x.type)));
  if (w.type != x.type)
    return view.error(fmt::format("input W is {} but X is {}", to_string(w.type),
                                  to_string(x.type)));
  if (x.shape.size() < 3)
    return view.error(fmt::format("input X {} needs rank 3 or more: [N, C, D1, ...]",
                                  to_string(x.shape)));
  if (w.shape.size() != x.shape.size())
    return view.error(fmt::format("input W {} must have the rank of X {}", to_string(w.shape),
                                  to_string(x.shape)));
  conv_params p;
  p.batch = x.shape[0];
  p.in_channels = x.shape[1];
  p.out_channels = w.shape[0];
  auto group = attrs.get_int("group", 1);
  if (!group)
    return group.error();
  p.group = *group;
  if (p.group < 1 || p.in_channels % p.group != 0 || p.out_channels % p.group != 0)
    return attrs.error("group", fmt::format("is {}; it must divide both the {} input and the "
                                            "{} output channels",
                                            p.group, p.in_channels, p.out_channels));
  if (w.shape[1] * p.group != p.in_channels)
    return view.error(fmt::format("input W {} has {} channels per group; X has {} channels in "
                                  "{} group(s), so W needs {}",
                                  to_string(w.shape), w.shape[1], p.in_channels, p.group,
                                  p.in_channels / p.group));
  p.in_spatial.assign(x.shape.begin() + 2, x.shape.end());
  p.kernel.assign(w.shape.begin() + 2, w.shape.end());
  if (attrs.has("kernel_shape")) {
    auto ks = attrs.get_ints("kernel_shape");
    if (!ks)
      return ks.error();
    if (*ks != p.kernel)
      return attrs.error("kernel_shape", fmt::format("is {} but W {} has kernel {}",
                                                     to_string(*ks), to_string(w.shape),
                                                     to_string(p.kernel)));
  }
  auto window = sliding_window_of(view, p.in_spatial, p.kernel, {});
  if (!window)
    return window.error();
  p.out_spatial = std::move(window->out_spatial);
  p.strides = std::move(window->strides);
  p.dilations = std::move(window->dilations);
  p.pads_begin = std::move(window->pads_begin);
  p.pads_end = std::move(window->pads_end);
  if (view.has(2)) {
    const auto& b = view.inputs[2];
    if (b.type != x.type || b.shape != shape_t{p.out_channels})
      return view.error(fmt::format("input B is {}{}; it must be {}[{}], one bias per output "
                                    "channel",
                                    to_string(b.type), to_string(b.shape), to_string(x.type),
                                    p.out_channels));
    p.has_bias = true;
  }
  if (fused_residual) {
    const auto& r = view.inputs[residual_input];
    shape_t y{p.batch, p.out_channels};
    y.insert(y.end(), p.out_spatial.begin(), p.out_spatial.end());
    if (r.type != x.type || r.shape != y)
      return view.error(fmt::format("the fused residual is {}{}; it must be the output's {}{}",
                                    to_string(r.type), to_string(r.shape), to_string(x.type),
                                    to_string(y)));
    p.has_residual = true;
  }
  auto precision = attrs.get_string(precision_attr, "fp32");
  if (!precision)
    return precision.error();
  if (*precision != "fp32" && *precision != "bf16")
    return attrs.error(precision_attr, fmt::format("is '{}'; it must be fp32 or bf16", *precision));
  p.bf16 = *precision == "bf16";
  auto post = epilogue_of(view.node);
  if (!post)
    return post.error();
  p.post = *post;
  return p;
}

result<std::vector<value_type>> infer_conv(const node_view& view) {
  auto p = conv_params_of(view);
  if (!p)
    return p.error();
  shape_t out{p->batch, p->out_channels};
  out.insert(out.end(), p->out_spatial.begin(), p->out_spatial.end());
  return std::vector<value_type>{{view.inputs[0].type, std::move(out)}};
}

namespace {

template <class T>
void conv_reference(const conv_params& p, const T* x, const T* w, const T* b, const T* r, T* y) {
  sliding_window win{p.in_spatial, p.out_spatial, p.kernel,  p.strides,
                     p.dilations,  p.pads_begin,  p.pads_end};
  const auto in_size = element_count(p.in_spatial);
  const auto out_size = element_count(p.out_spatial);
  const auto kernel_size = element_count(p.kernel);
  const auto in_per_group = p.in_channels / p.group;
  const auto out_per_group = p.out_channels / p.group;
  std::vector<std::int64_t> out_index(p.spatial_rank(), 0), scratch;
  // The window of one output position: (input offset, kernel offset) of each element inside
  // the input, shared by every image, channel and filter.
  std::vector<std::pair<std::int64_t, std::int64_t>> taps;
  for (std::int64_t o = 0; o < out_size; ++o, next_index(out_index, p.out_spatial)) {
    taps.clear();
    for_each_window_element(win, out_index, scratch, [&](std::int64_t i, std::int64_t k) {
      if (i >= 0)
        taps.emplace_back(i, k);
    });
    for (std::int64_t n = 0; n < p.batch; ++n) {
      for (std::int64_t m = 0; m < p.out_channels; ++m) {
        const auto g = m / out_per_group;
        double sum = b ? static_cast<double>(b[m]) : 0.0;
        for (std::int64_t c = 0; c < in_per_group; ++c) {
          const T* xc = x + (n * p.in_channels + g * in_per_group + c) * in_size;
          const T* wc = w + (m * in_per_group + c) * kernel_size;
          for (auto [i, k] : taps)
            sum += static_cast<double>(xc[i]) * static_cast<double>(wc[k]);
        }
        const auto at = (n * p.out_channels + m) * out_size + o;
        if (r)
          sum += static_cast<double>(r[at]);
        y[at] = activate(p.post, static_cast<T>(sum));
      }
    }
  }
}

} // namespace

result<cpu_kernel> bind_conv_reference(const node_view& view,
                                       std::span<const value_type> outputs) {
  auto p = conv_params_of(view);
  if (!p)
    return p.error();
  cpu_kernel k;
  const bool is_double = outputs[0].type == dtype::float64;
  k.run = [p = *p, is_double](const cpu_buffers& io) {
    if (is_double)
      conv_reference(p, static_cast<const double*>(io.inputs[0]),
                     static_cast<const double*>(io.inputs[1]),
                     p.has_bias ? static_cast<const double*>(io.inputs[2]) : nullptr,
                     p.has_residual ? static_cast<const double*>(io.inputs[residual_input]) : nullptr,
                     static_cast<double*>(io.outputs[0]));
    else
      conv_reference(p, static_cast<const float*>(io.inputs[0]),
                     static_cast<const float*>(io.inputs[1]),
                     p.has_bias ? static_cast<const float*>(io.inputs[2]) : nullptr,
                     p.has_residual ? static_cast<const float*>(io.inputs[residual_input]) : nullptr,
                     static_cast<float*>(io.outputs[0]));
  };
  return k;
}

} // namespace hogar::nn
