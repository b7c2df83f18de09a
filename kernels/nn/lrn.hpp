// lrn.hpp: LRN, local response normalization across channels (AlexNet, ZFNet, GoogLeNet):
//   y[n, c, ...] = x[n, c, ...] / (bias + alpha / size * sum of x[n, c', ...]^2)^beta
// over the channels c' from c - floor((size - 1) / 2) to c + ceil((size - 1) / 2) that exist.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

struct lrn_params {
  std::int64_t batch = 0;
  std::int64_t channels = 0;
  /// Product of the extents after the channel axis.
  std::int64_t spatial = 1;
  std::int64_t size = 1;
  /// The window of channel c: [c - before, c + after].
  std::int64_t before = 0, after = 0;
  double alpha = 1e-4, beta = 0.75, bias = 1.0;
};

result<lrn_params> lrn_params_of(const node_view& view);

result<std::vector<value_type>> infer_lrn(const node_view& view);
/// float32 and float64, sums in double.
result<cpu_kernel> bind_lrn_reference(const node_view& view, std::span<const value_type> outputs);
/// float32: a running sum of squares per position as the window slides over the channels,
/// (image, stretch of positions) pairs split over the instance's threads.
result<std::optional<cpu_kernel>> bind_lrn_cpu(const node_view& view,
                                               std::span<const value_type> outputs);

} // namespace hogar::nn
