// layer_norm.hpp: LayerNormalization (opset 17; transformers normalise every token with it):
// X seen as [rows, cols] with rows the product of the extents before `axis` and cols the
// product of the others; per row
//   Y = (X - mean) * inv_std_dev * Scale + B,   inv_std_dev = 1 / sqrt(variance + epsilon)
// with the row's mean and (biased) variance. Scale and the optional B hold one value per
// column or a single value (ONNX's function flattens them against the row: any shape with
// cols elements serves). The optional outputs Mean and InvStdDev have X's shape with the
// normalised extents set to 1, in the stash type, which ONNX allows to be float32 only among
// the dtypes hogar has (stash_type 1).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

struct layer_norm_params {
  std::int64_t rows = 1;
  std::int64_t cols = 1;
  double epsilon = 1e-5;
  /// Scale and B hold a single value each (broadcast along the row) rather than cols.
  bool scale_single = false;
  bool bias_single = false;
  /// The node gives B.
  bool has_bias = false;
  /// Shape of Mean and InvStdDev: X's, the extents from `axis` on set to 1.
  shape_t stats_shape;
};

result<layer_norm_params> layer_norm_params_of(const node_view& view);

result<std::vector<value_type>> infer_layer_norm(const node_view& view);
/// float32 and float64: statistics in double (two passes), Y rounded once.
result<cpu_kernel> bind_layer_norm_reference(const node_view& view,
                                             std::span<const value_type> outputs);
/// float32: per row one pass for the statistics (simd.hpp's four-float vectors, values
/// shifted by the row's first one so that the sum of squares keeps its precision) and one that
/// writes Y; rows split over the instance's threads.
result<std::optional<cpu_kernel>> bind_layer_norm_cpu(const node_view& view,
                                                      std::span<const value_type> outputs);

} // namespace hogar::nn
