// conv_transpose_ref.cpp: ConvTranspose's parameters and shape rules, and its reference twin:
// every input element scatters its products with the kernel into a double accumulator of the
// output, over any number of spatial dimensions.
#include <algorithm>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "kernels/nn/conv_transpose.hpp"
#include "kernels/nn/sliding_window.hpp"

namespace hogar::nn {

namespace {

/// Attribute values are bounded so that extents computed from them cannot overflow int64
/// (together with checked arithmetic where input extents join in).
constexpr std::int64_t attribute_max = std::numeric_limits<std::int32_t>::max();

/// An INTS attribute with `rank` entries in [minimum, attribute_max], or `fallback` filled in.
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
    if (v < minimum || v > attribute_max)
      return attrs.error(name, fmt::format("holds {}; each entry must lie in [{}, {}]", v,
                                           minimum, attribute_max));
  return values;
}

/// a * b + c in int64, or nullopt on overflow.
std::optional<std::int64_t> mul_add(std::int64_t a, std::int64_t b, std::int64_t c) {
  std::int64_t product = 0, sum = 0;
  if (__builtin_mul_overflow(a, b, &product) || __builtin_add_overflow(product, c, &sum))
    return std::nullopt;
  return sum;
}

/// floor(a / 2), as ONNX's formulas (Python's //) round a negative total padding.
constexpr std::int64_t floor_half(std::int64_t a) { return a >= 0 ? a / 2 : -((-a + 1) / 2); }

} // namespace

result<conv_transpose_params> conv_transpose_params_of(const node_view& view) {
  auto attrs = view.attributes();
  if (view.inputs.size() < 2 || view.inputs.size() > 3 || !view.has(0) || !view.has(1))
    return view.error("needs inputs X and W, and optionally B");
  const auto& x = view.inputs[0];
  const auto& w = view.inputs[1];
  if (x.type != dtype::float32 && x.type != dtype::float64)
    return view.error(fmt::format("input X is {}; ConvTranspose takes float32 or float64",
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
  const auto rank = x.shape.size() - 2;
  conv_transpose_params p;
  p.batch = x.shape[0];
  p.in_channels = x.shape[1];
  auto group = attrs.get_int("group", 1);
  if (!group)
    return group.error();
  p.group = *group;
  if (p.group < 1 || p.group > attribute_max || p.in_channels % p.group != 0)
    return attrs.error("group", fmt::format("is {}; it must divide the {} input channels",
                                            p.group, p.in_channels));
  if (w.shape[0] != p.in_channels)
    return view.error(fmt::format("input W {} must be [C, M/group, K...] with C = {}, the "
                                  "channels of X {}",
                                  to_string(w.shape), p.in_channels, to_string(x.shape)));
  if (!mul_add(w.shape[1], p.group, 0))
    return view.error(fmt::format("input W {} times group {} overflows", to_string(w.shape),
                                  p.group));
  p.out_channels = w.shape[1] * p.group;
  p.in_spatial.assign(x.shape.begin() + 2, x.shape.end());
  p.kernel.assign(w.shape.begin() + 2, w.shape.end());
  for (std::size_t d = 0; d < rank; ++d) {
    if (p.in_spatial[d] < 1)
      return view.error(fmt::format("input X {} has an empty spatial dimension",
                                    to_string(x.shape)));
    if (p.kernel[d] < 1 || p.kernel[d] > attribute_max)
      return view.error(fmt::format("input W {} has kernel extents outside [1, {}]",
                                    to_string(w.shape), attribute_max));
  }
  if (attrs.has("kernel_shape")) {
    auto ks = attrs.get_ints("kernel_shape");
    if (!ks)
      return ks.error();
    if (*ks != p.kernel)
      return attrs.error("kernel_shape", fmt::format("is {} but W {} has kernel {}",
                                                     to_string(*ks), to_string(w.shape),
                                                     to_string(p.kernel)));
  }
  auto strides = per_dimension(view, "strides", rank, 1, 1);
  if (!strides)
    return strides.error();
  p.strides = std::move(*strides);
  auto dilations = per_dimension(view, "dilations", rank, 1, 1);
  if (!dilations)
    return dilations.error();
  p.dilations = std::move(*dilations);
  auto output_padding = per_dimension(view, "output_padding", rank, 0, 0);
  if (!output_padding)
    return output_padding.error();

  auto auto_pad = attrs.get_string("auto_pad", "NOTSET");
  if (!auto_pad)
    return auto_pad.error();
  const bool same_upper = *auto_pad == "SAME_UPPER";
  const bool same_lower = *auto_pad == "SAME_LOWER";
  const bool valid = *auto_pad == "VALID";
  const bool notset = *auto_pad == "NOTSET";
  if (!same_upper && !same_lower && !valid && !notset)
    return attrs.error("auto_pad", fmt::format("is '{}'; expected NOTSET, SAME_UPPER, "
                                               "SAME_LOWER or VALID",
                                               *auto_pad));
  // Explicit pads count only with auto_pad NOTSET and no output_shape (which implies them).
  std::vector<std::int64_t> pads(2 * rank, 0);
  if (notset) {
    auto given = attrs.get_ints("pads", pads);
    if (!given)
      return given.error();
    if (given->size() != 2 * rank)
      return attrs.error("pads", fmt::format("has {} entries; {} spatial dimensions need {} "
                                             "(all begins, then all ends)",
                                             given->size(), rank, 2 * rank));
    for (auto v : *given)
      if (v < 0 || v > attribute_max)
        return attrs.error("pads", fmt::format("holds {}; each entry must lie in [0, {}]", v,
                                               attribute_max));
    pads = std::move(*given);
  }
  // output_shape: the spatial extents, or (as some exporters write it) the whole shape, whose
  // first two entries must then be N and M.
  std::optional<std::vector<std::int64_t>> output_shape;
  if (attrs.has("output_shape")) {
    auto given = attrs.get_ints("output_shape");
    if (!given)
      return given.error();
    if (given->size() == rank + 2) {
      if ((*given)[0] != p.batch || (*given)[1] != p.out_channels)
        return attrs.error("output_shape",
                           fmt::format("is {}; as a whole shape it must start with N = {} and "
                                       "M = {}",
                                       to_string(*given), p.batch, p.out_channels));
      given->erase(given->begin(), given->begin() + 2);
    }
    if (given->size() != rank)
      return attrs.error("output_shape", fmt::format("has {} entries for {} spatial dimensions",
                                                     given->size(), rank));
    for (auto v : *given)
      if (v < 1 || v > attribute_max)
        return attrs.error("output_shape", fmt::format("holds {}; each entry must lie in [1, "
                                                       "{}]",
                                                       v, attribute_max));
    output_shape = std::move(*given);
  }

  p.out_spatial.assign(rank, 0);
  p.crop_begin.assign(rank, 0);
  p.crop_end.assign(rank, 0);
  for (std::size_t d = 0; d < rank; ++d) {
    const auto span = (p.kernel[d] - 1) * p.dilations[d] + 1;
    const auto full = mul_add(p.strides[d], p.in_spatial[d] - 1, span);
    if (!full)
      return view.error(fmt::format("the output extent of spatial dimension {} overflows", d));
    const auto natural = *full + (*output_padding)[d];
    if (output_shape || same_upper || same_lower) {
      // ONNX's rule: the padding that makes the output `wanted` long, split evenly, the odd
      // element to the end for SAME_UPPER, to the begin otherwise (floor division, so that
      // an output longer than the natural one grows at the end).
      std::int64_t wanted = 0;
      if (output_shape) {
        wanted = (*output_shape)[d];
      } else {
        auto scaled = mul_add(p.in_spatial[d], p.strides[d], 0);
        if (!scaled)
          return view.error(fmt::format("the output extent of spatial dimension {} overflows",
                                        d));
        wanted = *scaled;
      }
      const auto total = natural - wanted;
      const auto begin = same_upper ? floor_half(total) : total - floor_half(total);
      p.crop_begin[d] = begin;
      p.out_spatial[d] = wanted;
    } else {
      p.crop_begin[d] = pads[d];
      p.out_spatial[d] = natural - pads[d] - pads[d + rank];
      if (p.out_spatial[d] < 1)
        return attrs.error("pads", fmt::format("{} and {} leave no output in spatial dimension "
                                               "{} (the unpadded output has {} elements)",
                                               pads[d], pads[d + rank], d, natural));
    }
    p.crop_end[d] = *full - p.out_spatial[d] - p.crop_begin[d];
  }
  // The output's element count must fit: its buffer is allocated from it.
  std::optional<std::int64_t> count = mul_add(p.batch, p.out_channels, 0);
  for (std::size_t d = 0; d < rank && count; ++d)
    count = mul_add(*count, p.out_spatial[d], 0);
  if (!count || *count > std::numeric_limits<std::int64_t>::max() / 8) {
    shape_t y{p.batch, p.out_channels};
    y.insert(y.end(), p.out_spatial.begin(), p.out_spatial.end());
    return view.error(fmt::format("the output {} has too many elements", to_string(y)));
  }

  if (view.has(2)) {
    const auto& b = view.inputs[2];
    if (b.type != x.type || b.shape != shape_t{p.out_channels})
      return view.error(fmt::format("input B is {}{}; it must be {}[{}], one bias per output "
                                    "channel",
                                    to_string(b.type), to_string(b.shape), to_string(x.type),
                                    p.out_channels));
    p.has_bias = true;
  }
  return p;
}

result<std::vector<value_type>> infer_conv_transpose(const node_view& view) {
  auto p = conv_transpose_params_of(view);
  if (!p)
    return p.error();
  shape_t out{p->batch, p->out_channels};
  out.insert(out.end(), p->out_spatial.begin(), p->out_spatial.end());
  return std::vector<value_type>{{view.inputs[0].type, std::move(out)}};
}

namespace {

template <class T>
void conv_transpose_reference(const conv_transpose_params& p, const T* x, const T* w,
                              const T* b, T* y) {
  const auto rank = p.spatial_rank();
  const auto in_size = element_count(p.in_spatial);
  const auto out_size = element_count(p.out_spatial);
  const auto kernel_size = element_count(p.kernel);
  const auto cpg = p.in_per_group(), mpg = p.out_per_group();
  std::vector<double> sum(static_cast<std::size_t>(out_size));
  std::vector<std::int64_t> in_index(rank, 0), k_index(rank);
  // The output offset of (input position, tap) pairs, -1 where the tap lands in a crop;
  // shared by every image and channel.
  std::vector<std::int64_t> target(static_cast<std::size_t>(in_size * kernel_size));
  for (std::int64_t i = 0; i < in_size; ++i, next_index(in_index, p.in_spatial)) {
    std::fill(k_index.begin(), k_index.end(), 0);
    for (std::int64_t k = 0; k < kernel_size; ++k, next_index(k_index, p.kernel)) {
      std::int64_t offset = 0;
      for (std::size_t d = 0; d < rank && offset >= 0; ++d) {
        const auto o = in_index[d] * p.strides[d] + k_index[d] * p.dilations[d] - p.crop_begin[d];
        offset = o >= 0 && o < p.out_spatial[d] ? offset * p.out_spatial[d] + o : -1;
      }
      target[static_cast<std::size_t>(i * kernel_size + k)] = offset;
    }
  }
  for (std::int64_t n = 0; n < p.batch; ++n) {
    for (std::int64_t m = 0; m < p.out_channels; ++m) {
      const auto g = m / mpg, mg = m % mpg;
      std::fill(sum.begin(), sum.end(), b ? static_cast<double>(b[m]) : 0.0);
      for (std::int64_t c = g * cpg; c < (g + 1) * cpg; ++c) {
        const T* xc = x + (n * p.in_channels + c) * in_size;
        const T* wc = w + (c * mpg + mg) * kernel_size;
        for (std::int64_t i = 0; i < in_size; ++i)
          for (std::int64_t k = 0; k < kernel_size; ++k)
            if (const auto o = target[static_cast<std::size_t>(i * kernel_size + k)]; o >= 0)
              sum[static_cast<std::size_t>(o)] +=
                static_cast<double>(xc[i]) * static_cast<double>(wc[k]);
      }
      T* ym = y + (n * p.out_channels + m) * out_size;
      for (std::int64_t o = 0; o < out_size; ++o)
        ym[o] = static_cast<T>(sum[static_cast<std::size_t>(o)]);
    }
  }
}

} // namespace

result<cpu_kernel> bind_conv_transpose_reference(const node_view& view,
                                                 std::span<const value_type> outputs) {
  auto p = conv_transpose_params_of(view);
  if (!p)
    return p.error();
  cpu_kernel k;
  const bool is_double = outputs[0].type == dtype::float64;
  k.run = [p = *p, is_double](const cpu_buffers& io) {
    if (is_double)
      conv_transpose_reference(p, static_cast<const double*>(io.inputs[0]),
                               static_cast<const double*>(io.inputs[1]),
                               p.has_bias ? static_cast<const double*>(io.inputs[2]) : nullptr,
                               static_cast<double*>(io.outputs[0]));
    else
      conv_transpose_reference(p, static_cast<const float*>(io.inputs[0]),
                               static_cast<const float*>(io.inputs[1]),
                               p.has_bias ? static_cast<const float*>(io.inputs[2]) : nullptr,
                               static_cast<float*>(io.outputs[0]));
  };
  return k;
}

} // namespace hogar::nn
