// pool_ref.cpp: the pools' parameters and shape rules, and their reference twin over any
// number of spatial dimensions (averages summed in double).
#include <limits>

#include <fmt/format.h>

#include "kernels/nn/pool.hpp"
#include "kernels/nn/sliding_window.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::nn {

result<pool_params> pool_params_of(const node_view& view) {
  pool_params p;
  const auto& op = view.node.op_type;
  // GlobalMaxPool is a MaxPool whose window is the whole input: every path runs it as one.
  const bool global_max = op == "GlobalMaxPool";
  p.kind = op == "MaxPool" || global_max ? pool_kind::max
           : op == "AveragePool"         ? pool_kind::average
                                         : pool_kind::global_average;
  if (view.inputs.size() != 1 || !view.has(0))
    return view.error("needs exactly one input, X");
  for (std::size_t o = 1; o < view.node.outputs.size(); ++o)
    if (!view.node.outputs[o].empty())
      return view.error(fmt::format("output {} ('{}', MaxPool's Indices) is not computed by "
                                    "hogar; drop it from the node",
                                    o, view.node.outputs[o]));
  const auto& x = view.inputs[0];
  const bool floating = x.type == dtype::float32 || x.type == dtype::float64;
  if (p.kind == pool_kind::max && !floating && x.type != dtype::int8 && x.type != dtype::uint8)
    return view.error(fmt::format("input X is {}; MaxPool takes float32, float64, int8 or uint8",
                                  to_string(x.type)));
  if (p.kind != pool_kind::max && !floating)
    return view.error(fmt::format("input X is {}; {} takes float32 or float64",
                                  to_string(x.type), op));
  if (x.shape.size() < 3)
    return view.error(fmt::format("input X {} needs rank 3 or more: [N, C, D1, ...]",
                                  to_string(x.shape)));
  p.batch = x.shape[0];
  p.channels = x.shape[1];
  p.in_spatial.assign(x.shape.begin() + 2, x.shape.end());
  const auto rank = p.in_spatial.size();
  if (global_max && x.type != dtype::float32 && x.type != dtype::float64)
    return view.error(fmt::format("input X is {}; GlobalMaxPool takes float32 or float64",
                                  to_string(x.type)));
  if (p.kind == pool_kind::global_average || global_max) {
    p.out_spatial.assign(rank, 1);
    p.kernel = p.in_spatial;
    p.strides.assign(rank, 1);
    p.dilations.assign(rank, 1);
    p.pads_begin.assign(rank, 0);
    p.pads_end.assign(rank, 0);
    return p;
  }
  auto attrs = view.attributes();
  auto kernel = attrs.require_ints("kernel_shape");
  if (!kernel)
    return kernel.error();
  if (kernel->size() != rank)
    return attrs.error("kernel_shape", fmt::format("has {} entries for the {} spatial "
                                                   "dimensions of X {}",
                                                   kernel->size(), rank, to_string(x.shape)));
  auto ceil_mode = attrs.get_int("ceil_mode", 0);
  if (!ceil_mode)
    return ceil_mode.error();
  p.ceil_mode = *ceil_mode != 0;
  if (p.kind == pool_kind::average) {
    auto include = attrs.get_int("count_include_pad", 0);
    if (!include)
      return include.error();
    p.count_include_pad = *include != 0;
  }
  sliding_window_rules rules;
  rules.ceil_mode = p.ceil_mode;
  rules.dilations_allowed = p.kind == pool_kind::max || view.opset >= 19;
  auto w = sliding_window_of(view, p.in_spatial, std::move(*kernel), rules);
  if (!w)
    return w.error();
  p.out_spatial = std::move(w->out_spatial);
  p.kernel = std::move(w->kernel);
  p.strides = std::move(w->strides);
  p.dilations = std::move(w->dilations);
  p.pads_begin = std::move(w->pads_begin);
  p.pads_end = std::move(w->pads_end);
  return p;
}

result<std::vector<value_type>> infer_pool(const node_view& view) {
  auto p = pool_params_of(view);
  if (!p)
    return p.error();
  shape_t out{p->batch, p->channels};
  out.insert(out.end(), p->out_spatial.begin(), p->out_spatial.end());
  return std::vector<value_type>{{view.inputs[0].type, std::move(out)}};
}

namespace {

template <class T>
void pool_reference(const pool_params& p, const T* x, T* y) {
  sliding_window win{p.in_spatial, p.out_spatial, p.kernel,  p.strides,
                     p.dilations,  p.pads_begin,  p.pads_end};
  const auto in_size = element_count(p.in_spatial);
  const auto out_size = element_count(p.out_spatial);
  std::vector<std::int64_t> out_index(p.in_spatial.size(), 0), scratch;
  std::vector<std::int64_t> taps;
  for (std::int64_t o = 0; o < out_size; ++o, next_index(out_index, p.out_spatial)) {
    // Input offsets the window reads (-1: padding), shared by every plane.
    taps.clear();
    for_each_window_element(win, out_index, scratch,
                            [&](std::int64_t i, std::int64_t) { taps.push_back(i); });
    for (std::int64_t plane = 0; plane < p.batch * p.channels; ++plane) {
      const T* xp = x + plane * in_size;
      T* out = y + plane * out_size + o;
      if (p.kind == pool_kind::max) {
        // Padding never wins: a window entirely in the padding gives the lowest value.
        T best = std::numeric_limits<T>::lowest();
        for (auto i : taps)
          if (i >= 0 && xp[i] > best)
            best = xp[i];
        *out = best;
        continue;
      }
      double sum = 0;
      std::int64_t count = 0;
      for (auto i : taps) {
        if (i >= 0) {
          sum += static_cast<double>(xp[i]);
          ++count;
        } else if (p.count_include_pad) {
          ++count;
        }
      }
      *out = count > 0 ? static_cast<T>(sum / static_cast<double>(count)) : T(0);
    }
  }
}

} // namespace

result<cpu_kernel> bind_pool_reference(const node_view& view,
                                       std::span<const value_type> outputs) {
  auto p = pool_params_of(view);
  if (!p)
    return p.error();
  cpu_kernel k;
  const auto type = outputs[0].type;
  k.run = [p = *p, type](const cpu_buffers& io) {
    ops::visit_dtype(type, [&](auto zero) {
      using T = decltype(zero);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                    std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t>)
        pool_reference(p, static_cast<const T*>(io.inputs[0]), static_cast<T*>(io.outputs[0]));
    });
  };
  return k;
}

} // namespace hogar::nn
