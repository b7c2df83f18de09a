#include "kernels/ops/image.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include <fmt/format.h>

#include "graph/spec.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::ops {

namespace {

std::string_view layout_name(image_layout layout) {
  return layout == image_layout::hwc ? "hwc" : "chw";
}

/// The output shape for images of dims `d` resized or cropped to h x w.
shape_t image_shape(const image_dims& d, std::int64_t h, std::int64_t w, image_layout layout) {
  shape_t shape;
  if (d.batched)
    shape.push_back(d.batch);
  if (layout == image_layout::hwc)
    shape.insert(shape.end(), {h, w, d.channels});
  else
    shape.insert(shape.end(), {d.channels, h, w});
  return shape;
}

/// Source taps of one output coordinate: value = a[i0] * (1 - weight) + a[i1] * weight.
struct tap {
  std::int64_t i0;
  std::int64_t i1;
  double weight;
};

std::vector<tap> make_taps(std::int64_t in, std::int64_t out, resize_method method) {
  std::vector<tap> taps(static_cast<std::size_t>(out));
  double scale = static_cast<double>(in) / static_cast<double>(out);
  for (std::int64_t o = 0; o < out; ++o) {
    double centre = (static_cast<double>(o) + 0.5) * scale;
    auto& t = taps[static_cast<std::size_t>(o)];
    if (method == resize_method::nearest) {
      t.i0 = std::min(static_cast<std::int64_t>(centre), in - 1);
      t.i1 = t.i0;
      t.weight = 0;
    } else {
      double src = std::max(centre - 0.5, 0.0);
      t.i0 = std::min(static_cast<std::int64_t>(src), in - 1);
      t.i1 = std::min(t.i0 + 1, in - 1);
      t.weight = src - static_cast<double>(t.i0);
    }
  }
  return taps;
}

/// Converts an interpolated value back to T: integers rounded to nearest and clamped.
template <class T, class A>
T to_element(A v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    // Round half away from zero, as std::round does, without its library call (this runs
    // once per output pixel and channel).
    A r = v >= 0 ? v + static_cast<A>(0.5) : v - static_cast<A>(0.5);
    r = std::clamp(r, static_cast<A>(std::numeric_limits<T>::lowest()),
                   static_cast<A>(std::numeric_limits<T>::max()));
    return static_cast<T>(r);
  }
}

template <class T>
void resize_typed(const tensor& in, tensor& out, const image_dims& d, std::int64_t oh,
                  std::int64_t ow, image_layout layout, resize_method method) {
  // float keeps up with 8-bit and float32 pixels; wider types interpolate in double.
  using A = std::conditional_t<(sizeof(T) <= 4 && !std::is_same_v<T, std::int32_t>), float, double>;
  auto ys = make_taps(d.height, oh, method);
  auto xs = make_taps(d.width, ow, method);
  const T* src = raw_values<T>(in);
  T* dst = raw_mutable_values<T>(out);
  const std::int64_t c_count = d.channels;
  const std::int64_t in_image = d.height * d.width * c_count;
  const std::int64_t out_image = oh * ow * c_count;
  for (std::int64_t n = 0; n < d.batch; ++n) {
    const T* s = src + n * in_image;
    T* o = dst + n * out_image;
    if (layout == image_layout::hwc) {
      const std::int64_t row = d.width * c_count;
      for (auto& y : ys) {
        const T* r0 = s + y.i0 * row;
        const T* r1 = s + y.i1 * row;
        A wy = static_cast<A>(y.weight);
        for (auto& x : xs) {
          A wx = static_cast<A>(x.weight);
          const std::int64_t a = x.i0 * c_count;
          const std::int64_t b = x.i1 * c_count;
          for (std::int64_t c = 0; c < c_count; ++c) {
            A top = static_cast<A>(r0[a + c]) * (1 - wx) + static_cast<A>(r0[b + c]) * wx;
            A bottom = static_cast<A>(r1[a + c]) * (1 - wx) + static_cast<A>(r1[b + c]) * wx;
            *o++ = to_element<T>(top * (1 - wy) + bottom * wy);
          }
        }
      }
    } else {
      const std::int64_t plane = d.height * d.width;
      for (std::int64_t c = 0; c < c_count; ++c) {
        const T* p = s + c * plane;
        for (auto& y : ys) {
          const T* r0 = p + y.i0 * d.width;
          const T* r1 = p + y.i1 * d.width;
          A wy = static_cast<A>(y.weight);
          for (auto& x : xs) {
            A wx = static_cast<A>(x.weight);
            A top = static_cast<A>(r0[x.i0]) * (1 - wx) + static_cast<A>(r0[x.i1]) * wx;
            A bottom = static_cast<A>(r1[x.i0]) * (1 - wx) + static_cast<A>(r1[x.i1]) * wx;
            *o++ = to_element<T>(top * (1 - wy) + bottom * wy);
          }
        }
      }
    }
  }
}

std::optional<image_layout> parse_layout(const std::string& name) {
  if (name == "hwc")
    return image_layout::hwc;
  if (name == "chw")
    return image_layout::chw;
  return std::nullopt;
}

/// Applies `transform` to the first tensor of the input record; the others pass through.
template <class F>
result<op_output> transform_first(const op_call& call, std::string_view kind, F&& transform) {
  const record& in = first_present(call);
  if (in.empty())
    return fail(errc::invalid_argument, fmt::format("{}: the input record has no tensors", kind));
  auto out = transform(in.front());
  if (!out)
    return out.error();
  op_output result;
  result.value.reserve(in.size());
  result.value.push_back({in.front().name, std::move(*out)});
  result.value.insert(result.value.end(), in.begin() + 1, in.end());
  return result;
}

class resize_operation final : public guarded_operation {
public:
  resize_operation(std::int64_t height, std::int64_t width, image_layout layout,
                   resize_method method)
    : height_(height), width_(width), layout_(layout), method_(method) {}

protected:
  result<op_output> compute(const op_call& call) override {
    return transform_first(call, "resize", [&](const named_tensor& t) {
      return resize_image(t.value, height_, width_, layout_, method_, t.name);
    });
  }

private:
  std::int64_t height_;
  std::int64_t width_;
  image_layout layout_;
  resize_method method_;
};

class normalize_operation final : public guarded_operation {
public:
  normalize_operation(std::vector<double> mean, std::vector<double> std, double scale,
                      image_layout layout, image_layout out_layout)
    : mean_(std::move(mean)), std_(std::move(std)), scale_(scale), layout_(layout),
      out_layout_(out_layout) {}

protected:
  result<op_output> compute(const op_call& call) override {
    return transform_first(call, "normalize", [&](const named_tensor& t) {
      return normalize_image(t.value, mean_, std_, scale_, layout_, t.name, out_layout_);
    });
  }

private:
  std::vector<double> mean_;
  std::vector<double> std_;
  double scale_;
  image_layout layout_;
  image_layout out_layout_;
};

class crop_operation final : public guarded_operation {
public:
  crop_operation(crop_box box, image_layout layout) : box_(box), layout_(layout) {}

protected:
  result<op_output> compute(const op_call& call) override {
    return transform_first(call, "crop", [&](const named_tensor& t) {
      return crop_image(t.value, box_, layout_, t.name);
    });
  }

private:
  crop_box box_;
  image_layout layout_;
};

/// Reads `layout` (shared by the three kinds).
result<image_layout> read_layout(const graph::operator_spec& spec) {
  graph::param_reader params{spec};
  const auto& name = params.get_string("layout");
  auto layout = parse_layout(name);
  if (!layout)
    return param_error(spec, "layout", fmt::format("'{}' is not one of hwc, chw", name));
  return *layout;
}

/// The signature twin of transform_first: the input record with its first tensor replaced by
/// `transform(first)`.
template <class F>
result<record_signature> transform_first_signature(const signature_call& call,
                                                   std::string_view kind, F&& transform) {
  const auto& in = call.inputs.front();
  if (in.tensors.empty())
    return fail(errc::invalid_argument, fmt::format("{}: its input record has no tensors", kind));
  const auto& first = in.tensors.front();
  if (first.optional)
    return fail(errc::invalid_argument,
                fmt::format("{}: its input's first tensor '{}' may be missing, so which tensor "
                            "it transforms depends on the request",
                            kind, first.name));
  auto out = transform(first);
  if (!out)
    return out.error();
  record_signature result{in.tensors, false};
  result.tensors.front().type = out->type;
  result.tensors.front().shape = std::move(out->shape);
  return result;
}

/// What image_dims_of says about a signature's shape (extents may be -1).
result<image_dims> signature_dims(const tensor_signature& t, image_layout layout,
                                  std::string_view kind) {
  return image_dims_of(t.shape, layout, fmt::format("{}: input '{}'", kind, t.name));
}

/// Reads a positive integer parameter (height, width).
result<std::int64_t> read_extent(const graph::operator_spec& spec, std::string_view name) {
  auto v = graph::param_reader{spec}.get_int(name);
  if (v < 1)
    return param_error(spec, name, fmt::format("must be at least 1, got {}", v));
  return v;
}

} // namespace

result<image_dims> image_dims_of(const shape_t& shape, image_layout layout,
                                 std::string_view what) {
  if (shape.size() != 3 && shape.size() != 4)
    return fail(errc::invalid_argument,
                fmt::format("{} shape {} is not an image (rank 3, or rank 4 with a leading "
                            "batch; layout {})",
                            what, to_string(shape), layout_name(layout)));
  image_dims d;
  d.batched = shape.size() == 4;
  std::size_t i = d.batched ? 1 : 0;
  d.batch = d.batched ? shape[0] : 1;
  if (layout == image_layout::hwc) {
    d.height = shape[i];
    d.width = shape[i + 1];
    d.channels = shape[i + 2];
  } else {
    d.channels = shape[i];
    d.height = shape[i + 1];
    d.width = shape[i + 2];
  }
  return d;
}

result<tensor> resize_image(const tensor& image, std::int64_t height, std::int64_t width,
                            image_layout layout, resize_method method, std::string_view name) {
  auto what = fmt::format("resize: input '{}'", name);
  auto dims = image_dims_of(image.shape(), layout, what);
  if (!dims)
    return dims.error();
  if (height < 1 || width < 1)
    return fail(errc::invalid_argument,
                fmt::format("resize: target {}x{} must be at least 1x1", height, width));
  if (dims->height == 0 || dims->width == 0)
    return fail(errc::invalid_argument,
                fmt::format("{} shape {} holds empty images (layout {})", what,
                            to_string(image.shape()), layout_name(layout)));
  tensor out{image.type(), image_shape(*dims, height, width, layout)};
  visit_dtype(image.type(), [&](auto zero) {
    resize_typed<decltype(zero)>(image, out, *dims, height, width, layout, method);
  });
  return out;
}

result<tensor> normalize_image(const tensor& image, const std::vector<double>& mean,
                               const std::vector<double>& std, double scale,
                               image_layout layout, std::string_view name,
                               std::optional<image_layout> out_layout) {
  if (mean.empty() || std.empty())
    return fail(errc::invalid_argument, "normalize: mean and std need at least one value");
  const bool moves_channels = out_layout && *out_layout != layout;
  tensor out{dtype::float32, image.shape()};
  float* dst = out.mutable_values<float>().data();
  const std::int64_t n = image.element_count();
  if (mean.size() == 1 && std.size() == 1 && !moves_channels) {
    const double m = mean[0];
    const double inv = 1.0 / std[0];
    visit_dtype(image.type(), [&](auto zero) {
      using T = decltype(zero);
      const T* src = raw_values<T>(image);
      for (std::int64_t i = 0; i < n; ++i)
        dst[i] = static_cast<float>((static_cast<double>(src[i]) * scale - m) * inv);
    });
    return out;
  }
  auto what = fmt::format("normalize: input '{}'", name);
  auto dims = image_dims_of(image.shape(), layout, what);
  if (!dims)
    return dims.error();
  const auto channels = static_cast<std::size_t>(dims->channels);
  for (auto [param, values] : {std::pair{"mean", &mean}, std::pair{"std", &std}})
    if (values->size() != 1 && values->size() != channels)
      return fail(errc::invalid_argument,
                  fmt::format("normalize: parameter '{}' has {} values but input '{}' shape "
                              "{} has {} channels (layout {}); give one value or one per channel",
                              param, values->size(), name, to_string(image.shape()), channels,
                              layout_name(layout)));
  // Per channel: out = x * a[c] - b[c], with a = scale / std and b = mean / std.
  std::vector<double> a(channels);
  std::vector<double> b(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    double s = std.size() == 1 ? std[0] : std[c];
    double m = mean.size() == 1 ? mean[0] : mean[c];
    a[c] = scale / s;
    b[c] = m / s;
  }
  const std::int64_t pixels = dims->height * dims->width;
  if (moves_channels) {
    out = tensor{dtype::float32, image_shape(*dims, dims->height, dims->width, *out_layout)};
    dst = out.mutable_values<float>().data();
    const std::int64_t c_count = dims->channels;
    visit_dtype(image.type(), [&](auto zero) {
      using T = decltype(zero);
      const T* src = raw_values<T>(image);
      for (std::int64_t img = 0; img < dims->batch; ++img) {
        const T* s = src + img * pixels * c_count;
        float* d = dst + img * pixels * c_count;
        // HWC -> CHW reads each pixel's channels together; CHW -> HWC writes them together.
        for (std::int64_t p = 0; p < pixels; ++p)
          for (std::int64_t c = 0; c < c_count; ++c) {
            auto from = layout == image_layout::hwc ? p * c_count + c : c * pixels + p;
            auto to = layout == image_layout::hwc ? c * pixels + p : p * c_count + c;
            d[to] = static_cast<float>(static_cast<double>(s[from]) * a[static_cast<std::size_t>(c)] -
                                       b[static_cast<std::size_t>(c)]);
          }
      }
    });
    return out;
  }
  visit_dtype(image.type(), [&](auto zero) {
    using T = decltype(zero);
    const T* src = raw_values<T>(image);
    std::int64_t i = 0;
    for (std::int64_t img = 0; img < dims->batch; ++img) {
      if (layout == image_layout::hwc) {
        for (std::int64_t p = 0; p < pixels; ++p)
          for (std::size_t c = 0; c < channels; ++c, ++i)
            dst[i] = static_cast<float>(static_cast<double>(src[i]) * a[c] - b[c]);
      } else {
        for (std::size_t c = 0; c < channels; ++c)
          for (std::int64_t p = 0; p < pixels; ++p, ++i)
            dst[i] = static_cast<float>(static_cast<double>(src[i]) * a[c] - b[c]);
      }
    }
  });
  return out;
}

result<tensor> crop_image(const tensor& image, const crop_box& box, image_layout layout,
                          std::string_view name) {
  auto dims = image_dims_of(image.shape(), layout, fmt::format("crop: input '{}'", name));
  if (!dims)
    return dims.error();
  const auto& d = *dims;
  std::int64_t top = box.top;
  std::int64_t left = box.left;
  if (box.center) {
    top = (d.height - box.height) / 2;
    left = (d.width - box.width) / 2;
  }
  bool fits = box.height >= 1 && box.width >= 1 && box.height <= d.height &&
              box.width <= d.width && top >= 0 && left >= 0 && top + box.height <= d.height &&
              left + box.width <= d.width;
  if (!fits)
    return fail(errc::invalid_argument,
                fmt::format("crop {}x{}{} does not fit a {}x{} image (layout {}, input '{}' "
                            "shape {})",
                            box.height, box.width,
                            box.center ? std::string{}
                                       : fmt::format(" at top {}, left {}", box.top, box.left),
                            d.height, d.width, layout_name(layout), name,
                            to_string(image.shape())));
  tensor out{image.type(), image_shape(d, box.height, box.width, layout)};
  const auto elem = static_cast<std::int64_t>(dtype_size(image.type()));
  const char* src = image.bytes().data();
  char* dst = out.mutable_bytes().data();
  // Copy whole rows: in hwc a row of the crop is width * channels contiguous elements, in chw
  // width elements of one channel plane.
  const std::int64_t c_rows = layout == image_layout::hwc ? 1 : d.channels;
  const std::int64_t row_elems = layout == image_layout::hwc ? box.width * d.channels : box.width;
  const std::int64_t in_row = layout == image_layout::hwc ? d.width * d.channels : d.width;
  const std::int64_t x_offset = layout == image_layout::hwc ? left * d.channels : left;
  const auto row_bytes = static_cast<std::size_t>(row_elems * elem);
  for (std::int64_t n = 0; n < d.batch; ++n)
    for (std::int64_t c = 0; c < c_rows; ++c) {
      const std::int64_t plane = (n * c_rows + c) * d.height;
      for (std::int64_t y = 0; y < box.height; ++y) {
        std::memcpy(dst, src + ((plane + top + y) * in_row + x_offset) * elem, row_bytes);
        dst += row_bytes;
      }
    }
  return out;
}

result<std::unique_ptr<operation>> make_resize(const graph::operator_spec& spec) {
  graph::param_reader params{spec};
  auto height = read_extent(spec, "height");
  if (!height)
    return height.error();
  auto width = read_extent(spec, "width");
  if (!width)
    return width.error();
  auto layout = read_layout(spec);
  if (!layout)
    return layout.error();
  const auto& method_name = params.get_string("method");
  resize_method method;
  if (method_name == "bilinear")
    method = resize_method::bilinear;
  else if (method_name == "nearest")
    method = resize_method::nearest;
  else
    return param_error(spec, "method",
                       fmt::format("'{}' is not one of bilinear, nearest", method_name));
  return std::unique_ptr<operation>{
    std::make_unique<resize_operation>(*height, *width, *layout, method)};
}

result<std::unique_ptr<operation>> make_normalize(const graph::operator_spec& spec) {
  graph::param_reader params{spec};
  auto mean = params.get_numbers("mean");
  auto std = params.get_numbers("std");
  double scale = params.get_number("scale");
  if (mean.empty())
    return param_error(spec, "mean", "needs at least one value");
  if (std.empty())
    return param_error(spec, "std", "needs at least one value");
  for (std::size_t i = 0; i < std.size(); ++i)
    if (std[i] == 0 || !std::isfinite(std[i]))
      return param_error(spec, "std",
                         fmt::format("std[{}] is {}: must be finite and not 0", i, std[i]));
  if (!std::isfinite(scale))
    return param_error(spec, "scale", "must be finite");
  auto layout = read_layout(spec);
  if (!layout)
    return layout.error();
  const auto& out_name = params.get_string("output_layout");
  auto out_layout = out_name == "same" ? std::optional{*layout} : parse_layout(out_name);
  if (!out_layout)
    return param_error(spec, "output_layout",
                       fmt::format("'{}' is not one of same, hwc, chw", out_name));
  return std::unique_ptr<operation>{std::make_unique<normalize_operation>(
    std::move(mean), std::move(std), scale, *layout, *out_layout)};
}

result<std::unique_ptr<operation>> make_crop(const graph::operator_spec& spec) {
  graph::param_reader params{spec};
  crop_box box;
  auto height = read_extent(spec, "height");
  if (!height)
    return height.error();
  auto width = read_extent(spec, "width");
  if (!width)
    return width.error();
  box.height = *height;
  box.width = *width;
  const auto& mode = params.get_string("mode");
  if (mode != "center" && mode != "box")
    return param_error(spec, "mode", fmt::format("'{}' is not one of center, box", mode));
  box.center = mode == "center";
  box.top = params.get_int("top");
  box.left = params.get_int("left");
  if (box.top < 0)
    return param_error(spec, "top", fmt::format("must be >= 0, got {}", box.top));
  if (box.left < 0)
    return param_error(spec, "left", fmt::format("must be >= 0, got {}", box.left));
  auto layout = read_layout(spec);
  if (!layout)
    return layout.error();
  return std::unique_ptr<operation>{std::make_unique<crop_operation>(box, *layout)};
}

result<record_signature> resize_signature(const signature_call& call) {
  graph::param_reader params{call.spec};
  auto height = params.get_int("height");
  auto width = params.get_int("width");
  auto layout = parse_layout(params.get_string("layout"));
  if (!layout)
    return fail(errc::invalid_argument, "parameter 'layout' is not one of hwc, chw");
  return transform_first_signature(call, "resize", [&](const tensor_signature& t)
                                                     -> result<tensor_signature> {
    auto dims = signature_dims(t, *layout, "resize");
    if (!dims)
      return dims.error();
    return tensor_signature{t.name, t.type, image_shape(*dims, height, width, *layout), false};
  });
}

result<record_signature> normalize_signature(const signature_call& call) {
  graph::param_reader params{call.spec};
  auto mean = params.get_numbers("mean");
  auto std = params.get_numbers("std");
  auto layout = parse_layout(params.get_string("layout"));
  if (!layout)
    return fail(errc::invalid_argument, "parameter 'layout' is not one of hwc, chw");
  const auto& out_name = params.get_string("output_layout");
  auto out_layout = out_name == "same" ? layout : parse_layout(out_name);
  if (!out_layout)
    return fail(errc::invalid_argument, "parameter 'output_layout' is not one of same, hwc, chw");
  return transform_first_signature(call, "normalize", [&](const tensor_signature& t)
                                                        -> result<tensor_signature> {
    // As normalize_image: one mean and std keep any shape; otherwise an image is needed.
    if (mean.size() == 1 && std.size() == 1 && *out_layout == *layout)
      return tensor_signature{t.name, dtype::float32, t.shape, false};
    auto dims = signature_dims(t, *layout, "normalize");
    if (!dims)
      return dims.error();
    for (auto [param, count] : {std::pair{"mean", mean.size()}, std::pair{"std", std.size()}})
      if (count != 1 && dims->channels >= 0 && count != static_cast<std::size_t>(dims->channels))
        return fail(errc::invalid_argument,
                    fmt::format("normalize: parameter '{}' has {} values but input '{}' shape {} "
                                "has {} channels (layout {})",
                                param, count, t.name, to_string(t.shape), dims->channels,
                                layout_name(*layout)));
    return tensor_signature{t.name, dtype::float32,
                            image_shape(*dims, dims->height, dims->width, *out_layout), false};
  });
}

result<record_signature> crop_signature(const signature_call& call) {
  graph::param_reader params{call.spec};
  crop_box box;
  box.height = params.get_int("height");
  box.width = params.get_int("width");
  box.center = params.get_string("mode") == "center";
  box.top = params.get_int("top");
  box.left = params.get_int("left");
  auto layout = parse_layout(params.get_string("layout"));
  if (!layout)
    return fail(errc::invalid_argument, "parameter 'layout' is not one of hwc, chw");
  return transform_first_signature(call, "crop", [&](const tensor_signature& t)
                                                   -> result<tensor_signature> {
    auto dims = signature_dims(t, *layout, "crop");
    if (!dims)
      return dims.error();
    // Only fixed extents can be checked now; crop_image checks the others per request.
    auto too_small = [&](std::int64_t extent, std::int64_t offset, std::int64_t size) {
      return extent >= 0 && (box.center ? size > extent : offset + size > extent);
    };
    if (too_small(dims->height, box.top, box.height) || too_small(dims->width, box.left, box.width))
      return fail(errc::invalid_argument,
                  fmt::format("crop {}x{}{} does not fit input '{}' shape {} (layout {})",
                              box.height, box.width,
                              box.center ? std::string{}
                                         : fmt::format(" at top {}, left {}", box.top, box.left),
                              t.name, to_string(t.shape), layout_name(*layout)));
    return tensor_signature{t.name, t.type, image_shape(*dims, box.height, box.width, *layout),
                            false};
  });
}

} // namespace hogar::ops
