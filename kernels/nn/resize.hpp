// resize.hpp: Resize (opsets 10, 11, 13: scales or sizes, roi) and Upsample (opsets 7 and 9),
// the nearest, linear and cubic modes with every coordinate_transformation_mode and
// nearest_mode of ONNX, over any axes of any rank.
//
// Each output coordinate of an axis maps to a source coordinate in the input (the coordinate
// transformation), and reads up to four input positions there with weights (one for nearest,
// two for linear, four for cubic; positions past the edges read the edge). An output element
// is the sum, over the positions of every axis, of the input element there times the product
// of the axes' weights: the ONNX reference's one-axis-at-a-time interpolation, written as one
// sum. tf_crop_and_resize gives extrapolation_value wherever an axis maps outside the input.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

enum class resize_mode : int { nearest, linear, cubic };

enum class resize_coordinates : int {
  half_pixel,
  pytorch_half_pixel,
  align_corners,
  asymmetric,
  tf_half_pixel_for_nn,
  tf_crop_and_resize,
};

enum class resize_rounding : int { round_prefer_floor, round_prefer_ceil, floor, ceil };

struct resize_params {
  resize_mode mode = resize_mode::nearest;
  resize_coordinates coordinates = resize_coordinates::half_pixel;
  resize_rounding rounding = resize_rounding::round_prefer_floor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0;
  shape_t in_shape;
  shape_t out_shape;
  /// Per axis: output extent over input extent as ONNX defines it (the scales given, or
  /// out / in where sizes were given).
  std::vector<double> scales;
  /// Per axis, tf_crop_and_resize's region of the input, as fractions of (extent - 1).
  std::vector<double> roi_start, roi_end;
};

/// The input positions one output coordinate of an axis reads, and their weights (zero
/// weights dropped); `outside`: tf_crop_and_resize maps it outside the input.
struct resize_taps {
  int count = 0;
  std::array<std::int64_t, 4> index{};
  std::array<double, 4> weight{};
  bool outside = false;
};

/// The taps of output coordinate `out` along `axis`: the definition every path follows.
resize_taps resize_taps_of(const resize_params& p, std::size_t axis, std::int64_t out);

/// For a Resize or Upsample node: its attributes and its scales, sizes and roi, which must be
/// constants (hogar plans every shape before the first request).
result<resize_params> resize_params_of(const node_view& view);

result<std::vector<value_type>> infer_resize(const node_view& view);
/// float32 and float64, sums in double.
result<cpu_kernel> bind_resize_reference(const node_view& view,
                                         std::span<const value_type> outputs);
/// float32: each axis's taps tabulated once when bound (positions as element offsets, float
/// weights), output rows split over the instance's threads.
result<std::optional<cpu_kernel>> bind_resize_cpu(const node_view& view,
                                                  std::span<const value_type> outputs);

} // namespace hogar::nn
