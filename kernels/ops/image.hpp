// image.hpp: the image preprocessing kinds `resize`, `normalize` and `crop`. Each op works on
// the first tensor of its input record (keeping its name; any other tensors pass through) and
// accepts rank-3 images or rank-4 batches with a leading batch dimension, in layout hwc
// ([H, W, C]) or chw ([C, H, W]). The plain functions are the CPU reference and are what the
// operations call; errors name the tensor, its shape and the parameter at fault.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "kernels/operation.hpp"
#include "base/result.hpp"
#include "kernels/tensor.hpp"

namespace hogar::ops {

enum class image_layout : std::uint8_t {
  /// [H, W, C]: channels interleaved (decoded JPEG/PNG).
  hwc,
  /// [C, H, W]: one plane per channel (what most vision models take).
  chw,
};

enum class resize_method : std::uint8_t {
  /// Weighted mean of the 4 nearest pixels, half-pixel centres (align_corners = false, as in
  /// OpenCV's INTER_LINEAR and ONNX Resize's default).
  bilinear,
  /// The input pixel containing the output pixel's centre (ONNX `half_pixel` + round down).
  nearest,
};

/// The extents of an image tensor, whatever its layout.
struct image_dims {
  /// 1 for a rank-3 image.
  std::int64_t batch = 1;
  std::int64_t height = 0;
  std::int64_t width = 0;
  std::int64_t channels = 0;
  /// The tensor is rank 4 (has a leading batch dimension).
  bool batched = false;
};

/// Reads the dims of `shape` in `layout`; `what` prefixes the error ("resize: input 'image'").
result<image_dims> image_dims_of(const shape_t& shape, image_layout layout,
                                 std::string_view what);

/// Resizes every image of `image` to height x width; same dtype out (integers rounded to
/// nearest and clamped to the type's range). `name` is used in errors.
result<tensor> resize_image(const tensor& image, std::int64_t height, std::int64_t width,
                            image_layout layout, resize_method method, std::string_view name);

/// float32 out: (x * scale - mean[c]) / std[c]. A one-value mean or std applies to every
/// channel (and then any rank is accepted); otherwise its count must equal the channel count.
/// `out_layout` other than `layout` also moves the channels (HWC camera images to the CHW
/// tensors CNNs take), in the same pass.
result<tensor> normalize_image(const tensor& image, const std::vector<double>& mean,
                               const std::vector<double>& std, double scale,
                               image_layout layout, std::string_view name,
                               std::optional<image_layout> out_layout = std::nullopt);

/// Where a crop is taken.
struct crop_box {
  std::int64_t height = 0;
  std::int64_t width = 0;
  /// true: centred (top and left ignored; an odd margin leaves the extra pixel below/right).
  bool center = true;
  std::int64_t top = 0;
  std::int64_t left = 0;
};

/// Crops every image of `image` to `box`; an error when the box does not fit.
result<tensor> crop_image(const tensor& image, const crop_box& box, image_layout layout,
                          std::string_view name);

result<std::unique_ptr<operation>> make_resize(const graph::operator_spec& spec);
result<std::unique_ptr<operation>> make_normalize(const graph::operator_spec& spec);
result<std::unique_ptr<operation>> make_crop(const graph::operator_spec& spec);

/// The input record with its first tensor resized, normalized or cropped (errors name an
/// image that cannot be, e.g. a crop larger than a fixed input extent).
result<record_signature> resize_signature(const signature_call& call);
result<record_signature> normalize_signature(const signature_call& call);
result<record_signature> crop_signature(const signature_call& call);

} // namespace hogar::ops
