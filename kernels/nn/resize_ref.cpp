// resize_ref.cpp: Resize's and Upsample's parameters and shape rules, the taps of an output
// coordinate (the definition all three paths follow), and the reference twin (sums in double).
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "kernels/nn/resize.hpp"

namespace hogar::nn {

namespace {

template <class E>
struct named {
  std::string_view name;
  E value;
};

constexpr named<resize_mode> mode_names[] = {
  {"nearest", resize_mode::nearest}, {"linear", resize_mode::linear},
  {"cubic", resize_mode::cubic}};
constexpr named<resize_coordinates> coordinate_names[] = {
  {"half_pixel", resize_coordinates::half_pixel},
  {"pytorch_half_pixel", resize_coordinates::pytorch_half_pixel},
  {"align_corners", resize_coordinates::align_corners},
  {"asymmetric", resize_coordinates::asymmetric},
  {"tf_half_pixel_for_nn", resize_coordinates::tf_half_pixel_for_nn},
  {"tf_crop_and_resize", resize_coordinates::tf_crop_and_resize}};
constexpr named<resize_rounding> rounding_names[] = {
  {"round_prefer_floor", resize_rounding::round_prefer_floor},
  {"round_prefer_ceil", resize_rounding::round_prefer_ceil},
  {"floor", resize_rounding::floor},
  {"ceil", resize_rounding::ceil}};

/// The enum value an attribute names, or an error listing the names it may have.
template <class E, std::size_t N>
result<E> enum_attribute(const onnx::attribute_reader& attrs, std::string_view attribute,
                         std::string fallback, const named<E> (&names)[N]) {
  auto text = attrs.get_string(attribute, std::move(fallback));
  if (!text)
    return text.error();
  std::string known;
  for (auto& n : names) {
    if (n.name == *text)
      return n.value;
    known += (known.empty() ? "" : ", ") + std::string{n.name};
  }
  return attrs.error(attribute, fmt::format("is '{}'; it must be one of {}", *text, known));
}

/// A float input (scales, roi) as doubles: it must be a constant.
result<std::vector<double>> constant_floats(const node_view& view, std::size_t input,
                                            std::string_view what) {
  const tensor* t = view.constant(input);
  if (!t)
    return view.error(fmt::format("input {} ('{}', {}) must be a constant (an initializer, or "
                                  "computed from constants only): hogar plans every shape "
                                  "before the first request",
                                  input, view.node.inputs[input], what));
  std::vector<double> out;
  if (t->type() == dtype::float32)
    for (float v : t->values<float>())
      out.push_back(v);
  else if (t->type() == dtype::float64)
    for (double v : t->values<double>())
      out.push_back(v);
  else
    return view.error(fmt::format("input {} ('{}', {}) is {}; it must be float32 or float64",
                                  input, view.node.inputs[input], what, to_string(t->type())));
  return out;
}

/// Cubic convolution weights of the four positions around a source coordinate whose
/// fraction is t (Keys; A = cubic_coeff_a).
std::array<double, 4> cubic_weights(double t, double a) {
  auto near = [a](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };          // |d| <= 1
  auto far = [a](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };     // 1 < |d| < 2
  return {far(t + 1), near(t), near(1 - t), far(2 - t)};
}

} // namespace

resize_taps resize_taps_of(const resize_params& p, std::size_t axis, std::int64_t out) {
  const auto in_extent = p.in_shape[axis];
  const double in = static_cast<double>(in_extent);
  const double scale = p.scales[axis];
  // ONNX's reference takes the output extent as scale * input extent, unrounded.
  const double out_extent = scale * in;
  const double x = static_cast<double>(out);
  double source = 0;
  switch (p.coordinates) {
    case resize_coordinates::half_pixel: source = (x + 0.5) / scale - 0.5; break;
    case resize_coordinates::pytorch_half_pixel:
      source = out_extent == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
      break;
    case resize_coordinates::align_corners:
      source = out_extent == 1 ? 0 : x * (in - 1) / (out_extent - 1);
      break;
    case resize_coordinates::asymmetric: source = x / scale; break;
    case resize_coordinates::tf_half_pixel_for_nn: source = (x + 0.5) / scale; break;
    case resize_coordinates::tf_crop_and_resize: {
      const double start = p.roi_start[axis], end = p.roi_end[axis];
      source = out_extent == 1 ? (end - start) * (in - 1) / 2
                               : x * (end - start) * (in - 1) / (out_extent - 1);
      source += start * (in - 1);
      break;
    }
  }
  resize_taps taps;
  if (p.coordinates == resize_coordinates::tf_crop_and_resize && (source < 0 || source > in - 1)) {
    taps.outside = true;
    return taps;
  }
  const double base = std::floor(source);
  const double t = source - base;
  const auto first = static_cast<std::int64_t>(base);
  auto add = [&](std::int64_t index, double weight) {
    taps.index[static_cast<std::size_t>(taps.count)] = index;
    taps.weight[static_cast<std::size_t>(taps.count)] = weight;
    ++taps.count;
  };
  switch (p.mode) {
    case resize_mode::nearest: {
      bool up = false;
      if (t != 0)
        switch (p.rounding) {
          case resize_rounding::round_prefer_floor: up = t > 0.5; break;
          case resize_rounding::round_prefer_ceil: up = t >= 0.5; break;
          case resize_rounding::floor: up = false; break;
          case resize_rounding::ceil: up = true; break;
        }
      add(first + (up ? 1 : 0), 1);
      break;
    }
    case resize_mode::linear:
      add(first, 1 - t);
      add(first + 1, t);
      break;
    case resize_mode::cubic: {
      auto w = cubic_weights(t, p.cubic_a);
      for (std::size_t k = 0; k < 4; ++k)
        add(first - 1 + static_cast<std::int64_t>(k), w[k]);
      break;
    }
  }
  if (p.exclude_outside) {
    double sum = 0;
    for (int k = 0; k < taps.count; ++k) {
      const auto i = taps.index[static_cast<std::size_t>(k)];
      if (i < 0 || i >= in_extent)
        taps.weight[static_cast<std::size_t>(k)] = 0;
      sum += taps.weight[static_cast<std::size_t>(k)];
    }
    if (sum != 0)
      for (int k = 0; k < taps.count; ++k)
        taps.weight[static_cast<std::size_t>(k)] /= sum;
  }
  // Positions past an edge read the edge; weights of zero are dropped, so that an axis the
  // node does not resize reads one position.
  resize_taps kept;
  for (int k = 0; k < taps.count; ++k) {
    const auto w = taps.weight[static_cast<std::size_t>(k)];
    if (w == 0)
      continue;
    const auto i = std::min(std::max(taps.index[static_cast<std::size_t>(k)], std::int64_t{0}),
                            in_extent - 1);
    kept.index[static_cast<std::size_t>(kept.count)] = i;
    kept.weight[static_cast<std::size_t>(kept.count)] = w;
    ++kept.count;
  }
  return kept;
}

result<resize_params> resize_params_of(const node_view& view) {
  const bool upsample = view.node.op_type == "Upsample";
  if (view.inputs.empty() || !view.has(0))
    return view.error("needs input 0, X");
  const auto& x = view.inputs[0];
  if (x.type != dtype::float32 && x.type != dtype::float64)
    return view.error(fmt::format("input X is {}; hogar resizes float32 and float64",
                                  to_string(x.type)));
  if (x.shape.empty())
    return view.error("input X is a scalar; it needs at least one axis to resize");
  auto attrs = view.attributes();
  resize_params p;
  p.in_shape = x.shape;
  const auto rank = x.shape.size();
  auto mode = enum_attribute(attrs, "mode", "nearest", mode_names);
  if (!mode)
    return mode.error();
  p.mode = *mode;
  // Upsample and Resize before opset 11 map coordinates as PyTorch's nearest and linear
  // upsampling do (asymmetric, nearest rounds down); cubic came with opset 11.
  const bool legacy = upsample || view.opset < 11;
  if (legacy) {
    if (p.mode == resize_mode::cubic)
      return attrs.error("mode", fmt::format("is 'cubic', which {} opset {} does not have",
                                             view.node.op_type, view.opset));
    p.coordinates = resize_coordinates::asymmetric;
    p.rounding = resize_rounding::floor;
  } else {
    for (auto unsupported : {"antialias", "axes", "keep_aspect_ratio_policy"})
      if (attrs.has(unsupported))
        return attrs.error(unsupported, "is not supported by hogar (opset 18's additions)");
    auto coordinates = enum_attribute(attrs, "coordinate_transformation_mode", "half_pixel",
                                      coordinate_names);
    if (!coordinates)
      return coordinates.error();
    p.coordinates = *coordinates;
    auto rounding = enum_attribute(attrs, "nearest_mode", "round_prefer_floor", rounding_names);
    if (!rounding)
      return rounding.error();
    p.rounding = *rounding;
    auto a = attrs.get_float("cubic_coeff_a", -0.75f);
    auto exclude = attrs.get_int("exclude_outside", 0);
    auto extrapolation = attrs.get_float("extrapolation_value", 0.0f);
    if (!a)
      return a.error();
    if (!exclude)
      return exclude.error();
    if (!extrapolation)
      return extrapolation.error();
    p.cubic_a = *a;
    p.exclude_outside = *exclude != 0;
    p.extrapolation_value = *extrapolation;
  }

  // Where the scales, sizes and roi come from.
  std::vector<double> scales;
  std::optional<std::vector<std::int64_t>> sizes;
  if (upsample && view.opset < 9) {
    if (view.inputs.size() != 1)
      return view.error("takes one input before opset 9 (the scales are an attribute)");
    auto s = attrs.get_floats("scales");
    if (!s)
      return s.error();
    scales.assign(s->begin(), s->end());
  } else if (legacy) {
    if (view.inputs.size() != 2 || !view.has(1))
      return view.error("needs two inputs, X and scales");
    auto s = constant_floats(view, 1, "the scales");
    if (!s)
      return s.error();
    scales = std::move(*s);
  } else {
    if (view.inputs.size() > 4)
      return view.error("takes at most four inputs: X, roi, scales, sizes");
    const bool has_scales = view.has(2) && element_count(view.inputs[2].shape) > 0;
    const bool has_sizes = view.has(3) && element_count(view.inputs[3].shape) > 0;
    if (has_scales == has_sizes)
      return view.error("needs exactly one of its inputs scales (2) and sizes (3), not empty");
    if (has_scales) {
      auto s = constant_floats(view, 2, "the scales");
      if (!s)
        return s.error();
      scales = std::move(*s);
    } else {
      const tensor* t = view.constant(3);
      if (!t)
        return view.error(fmt::format("input 3 ('{}', the sizes) must be a constant (an "
                                      "initializer, or computed from constants only): hogar "
                                      "plans every shape before the first request",
                                      view.node.inputs[3]));
      if (t->type() != dtype::int64)
        return view.error(fmt::format("input 3 ('{}', the sizes) is {}; it must be int64",
                                      view.node.inputs[3], to_string(t->type())));
      auto v = t->values<std::int64_t>();
      sizes.emplace(v.begin(), v.end());
    }
    if (p.coordinates == resize_coordinates::tf_crop_and_resize) {
      if (!view.has(1))
        return view.error("needs input 1, roi, with coordinate_transformation_mode "
                          "'tf_crop_and_resize'");
      auto roi = constant_floats(view, 1, "the roi");
      if (!roi)
        return roi.error();
      if (roi->size() != 2 * rank)
        return view.error(fmt::format("input 1 (roi) has {} values; X {} needs {} (the starts, "
                                      "then the ends)",
                                      roi->size(), to_string(x.shape), 2 * rank));
      p.roi_start.assign(roi->begin(), roi->begin() + static_cast<std::ptrdiff_t>(rank));
      p.roi_end.assign(roi->begin() + static_cast<std::ptrdiff_t>(rank), roi->end());
    }
  }
  if (p.roi_start.empty()) {
    p.roi_start.assign(rank, 0.0);
    p.roi_end.assign(rank, 1.0);
  }

  p.out_shape.resize(rank);
  p.scales.resize(rank);
  if (sizes) {
    if (sizes->size() != rank)
      return view.error(fmt::format("has {} sizes for X {} of rank {}", sizes->size(),
                                    to_string(x.shape), rank));
    for (std::size_t a = 0; a < rank; ++a) {
      if ((*sizes)[a] <= 0)
        return view.error(fmt::format("size {} of axis {} is not positive", (*sizes)[a], a));
      if (x.shape[a] == 0)
        return view.error(fmt::format("cannot resize axis {} of X {}: it is empty", a,
                                      to_string(x.shape)));
      p.out_shape[a] = (*sizes)[a];
      p.scales[a] = static_cast<double>((*sizes)[a]) / static_cast<double>(x.shape[a]);
    }
  } else {
    if (scales.size() != rank)
      return view.error(fmt::format("has {} scales for X {} of rank {}", scales.size(),
                                    to_string(x.shape), rank));
    for (std::size_t a = 0; a < rank; ++a) {
      if (!(scales[a] > 0) || !std::isfinite(scales[a]))
        return view.error(fmt::format("scale {} of axis {} is not a positive number",
                                      scales[a], a));
      p.scales[a] = scales[a];
      double extent = static_cast<double>(x.shape[a]) * scales[a];
      if (p.coordinates == resize_coordinates::tf_crop_and_resize)
        extent *= p.roi_end[a] - p.roi_start[a];
      if (!(extent < 9.0e15))
        return view.error(fmt::format("scale {} makes axis {} of X {} too long", scales[a], a,
                                      to_string(x.shape)));
      p.out_shape[a] = static_cast<std::int64_t>(std::floor(extent));
    }
  }
  // An output the planner could not hold: tensors stay below 2^40 elements.
  if (!(static_cast<double>(element_count(p.out_shape)) < 1.0e12))
    return view.error(fmt::format("makes an output of shape {}: too large",
                                  to_string(p.out_shape)));
  return p;
}

result<std::vector<value_type>> infer_resize(const node_view& view) {
  for (std::size_t o = 1; o < view.node.outputs.size(); ++o)
    if (!view.node.outputs[o].empty())
      return view.error("has one output, Y");
  auto p = resize_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{{view.inputs[0].type, p->out_shape}};
}

namespace {

template <class T>
void resize_reference(const resize_params& p, const std::vector<std::vector<resize_taps>>& taps,
                      const T* x, T* y) {
  const auto rank = p.in_shape.size();
  std::vector<std::int64_t> in_strides(rank, 1);
  for (std::size_t a = rank - 1; a > 0; --a)
    in_strides[a - 1] = in_strides[a] * p.in_shape[a];
  const auto total = element_count(p.out_shape);
  std::vector<std::int64_t> at(rank, 0);       // the output element's coordinates
  std::vector<int> pick(rank, 0);              // which tap of each axis
  std::vector<const resize_taps*> chosen(rank);
  for (std::int64_t o = 0; o < total; ++o) {
    bool outside = false;
    for (std::size_t a = 0; a < rank; ++a) {
      chosen[a] = &taps[a][static_cast<std::size_t>(at[a])];
      outside = outside || chosen[a]->outside;
    }
    double sum = 0;
    if (outside) {
      sum = p.extrapolation_value;
    } else {
      // Every combination of one tap per axis.
      std::fill(pick.begin(), pick.end(), 0);
      while (true) {
        double w = 1;
        std::int64_t offset = 0;
        for (std::size_t a = 0; a < rank; ++a) {
          const auto k = static_cast<std::size_t>(pick[a]);
          w *= chosen[a]->weight[k];
          offset += chosen[a]->index[k] * in_strides[a];
        }
        sum += w * static_cast<double>(x[offset]);
        std::size_t a = rank;
        while (a > 0 && ++pick[a - 1] == chosen[a - 1]->count)
          pick[--a] = 0;
        if (a == 0)
          break;
      }
    }
    y[o] = static_cast<T>(sum);
    for (std::size_t a = rank; a > 0 && ++at[a - 1] == p.out_shape[a - 1];)
      at[--a] = 0;
  }
}

} // namespace

result<cpu_kernel> bind_resize_reference(const node_view& view,
                                         std::span<const value_type> outputs) {
  auto params = resize_params_of(view);
  if (!params)
    return params.error();
  auto p = std::make_shared<const resize_params>(std::move(*params));
  auto taps = std::make_shared<std::vector<std::vector<resize_taps>>>(p->in_shape.size());
  for (std::size_t a = 0; a < p->in_shape.size(); ++a)
    for (std::int64_t o = 0; o < p->out_shape[a]; ++o)
      (*taps)[a].push_back(resize_taps_of(*p, a, o));
  const bool f64 = outputs[0].type == dtype::float64;
  cpu_kernel k;
  k.run = [p, taps, f64](const cpu_buffers& io) {
    if (element_count(p->out_shape) == 0)
      return;
    if (f64)
      resize_reference(*p, *taps, static_cast<const double*>(io.inputs[0]),
                       static_cast<double*>(io.outputs[0]));
    else
      resize_reference(*p, *taps, static_cast<const float*>(io.inputs[0]),
                       static_cast<float*>(io.outputs[0]));
  };
  return k;
}

} // namespace hogar::nn
