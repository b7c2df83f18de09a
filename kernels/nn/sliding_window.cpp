#include "kernels/nn/sliding_window.hpp"

#include <fmt/format.h>

namespace hogar::nn {

namespace {

/// An INTS attribute of one entry per spatial dimension (or `fallback` when absent).
result<std::vector<std::int64_t>> per_dimension(const node_view& view, std::string_view name,
                                                std::size_t rank, std::int64_t fallback,
                                                std::int64_t minimum) {
  auto attrs = view.attributes();
  auto values = attrs.get_ints(name, std::vector<std::int64_t>(rank, fallback));
  if (!values)
    return values.error();
  if (values->size() != rank)
    return attrs.error(name, fmt::format("has {} entries for {} spatial dimensions",
                                         values->size(), rank));
  for (auto v : *values)
    if (v < minimum)
      return attrs.error(name, fmt::format("holds {}; each entry must be at least {}", v, minimum));
  return values;
}

} // namespace

result<sliding_window> sliding_window_of(const node_view& view, const shape_t& in_spatial,
                                         std::vector<std::int64_t> kernel,
                                         sliding_window_rules rules) {
  const auto rank = in_spatial.size();
  auto attrs = view.attributes();
  sliding_window w;
  w.in_spatial = in_spatial;
  w.kernel = std::move(kernel);
  for (auto k : w.kernel)
    if (k < 1)
      return view.error(fmt::format("kernel extents {} must be at least 1",
                                    to_string(w.kernel)));
  auto strides = per_dimension(view, "strides", rank, 1, 1);
  if (!strides)
    return strides.error();
  w.strides = std::move(*strides);
  if (!rules.dilations_allowed && attrs.has("dilations"))
    return attrs.error("dilations", fmt::format("is not an attribute of {} in opset {}",
                                                view.node.op_type, view.opset));
  auto dilations = per_dimension(view, "dilations", rank, 1, 1);
  if (!dilations)
    return dilations.error();
  w.dilations = std::move(*dilations);
  auto auto_pad = attrs.get_string("auto_pad", "NOTSET");
  if (!auto_pad)
    return auto_pad.error();
  const bool same_upper = *auto_pad == "SAME_UPPER";
  const bool same_lower = *auto_pad == "SAME_LOWER";
  const bool valid = *auto_pad == "VALID";
  if (!same_upper && !same_lower && !valid && *auto_pad != "NOTSET")
    return attrs.error("auto_pad", fmt::format("is '{}'; expected NOTSET, SAME_UPPER, "
                                               "SAME_LOWER or VALID",
                                               *auto_pad));
  w.pads_begin.assign(rank, 0);
  w.pads_end.assign(rank, 0);
  if (*auto_pad == "NOTSET") {
    auto pads = attrs.get_ints("pads", std::vector<std::int64_t>(2 * rank, 0));
    if (!pads)
      return pads.error();
    if (pads->size() != 2 * rank)
      return attrs.error("pads", fmt::format("has {} entries; {} spatial dimensions need {} "
                                             "(all begins, then all ends)",
                                             pads->size(), rank, 2 * rank));
    for (auto p : *pads)
      if (p < 0)
        return attrs.error("pads", fmt::format("holds {}; pads cannot be negative", p));
    for (std::size_t d = 0; d < rank; ++d) {
      w.pads_begin[d] = (*pads)[d];
      w.pads_end[d] = (*pads)[d + rank];
    }
  }
  w.out_spatial.assign(rank, 0);
  for (std::size_t d = 0; d < rank; ++d) {
    const auto extent = in_spatial[d];
    const auto span = (w.kernel[d] - 1) * w.dilations[d] + 1;
    const auto stride = w.strides[d];
    if (same_upper || same_lower) {
      // The output covers ceil(extent / stride) windows; the padding they need is split
      // evenly, the odd element going to the end (SAME_UPPER) or the begin (SAME_LOWER).
      const auto out = (extent + stride - 1) / stride;
      const auto total = std::max<std::int64_t>(0, (out - 1) * stride + span - extent);
      w.pads_begin[d] = same_upper ? total / 2 : total - total / 2;
      w.pads_end[d] = total - w.pads_begin[d];
      w.out_spatial[d] = out;
      continue;
    }
    const auto padded = extent + w.pads_begin[d] + w.pads_end[d];
    if (padded < span)
      return view.error(fmt::format("a window of {} elements (kernel {}, dilation {}) does not "
                                    "fit spatial dimension {} of {} elements (with pads {})",
                                    span, w.kernel[d], w.dilations[d], d, extent,
                                    padded - extent));
    auto out = rules.ceil_mode ? (padded - span + stride - 1) / stride + 1
                               : (padded - span) / stride + 1;
    // A rounded-up last window must start inside the input or its begin padding.
    if (rules.ceil_mode && (out - 1) * stride >= extent + w.pads_begin[d])
      --out;
    w.out_spatial[d] = out;
  }
  return w;
}

} // namespace hogar::nn
