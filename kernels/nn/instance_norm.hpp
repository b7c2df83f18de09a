// instance_norm.hpp: InstanceNormalization (style transfer, GAN generators, some detectors):
//   y[n, c, ...] = scale[c] * (x[n, c, ...] - mean) / sqrt(variance + epsilon) + B[c]
// with the mean and the (biased) variance of the plane x[n, c, ...].
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

struct instance_norm_params {
  std::int64_t batch = 0;
  std::int64_t channels = 0;
  /// Elements per (image, channel) plane.
  std::int64_t plane = 1;
  double epsilon = 1e-5;
};

result<instance_norm_params> instance_norm_params_of(const node_view& view);

result<std::vector<value_type>> infer_instance_norm(const node_view& view);
/// float32 and float64, statistics in double.
result<cpu_kernel> bind_instance_norm_reference(const node_view& view,
                                                std::span<const value_type> outputs);
/// float32: statistics of each plane in double (two passes), planes split over the threads.
result<std::optional<cpu_kernel>> bind_instance_norm_cpu(const node_view& view,
                                                         std::span<const value_type> outputs);

} // namespace hogar::nn
