// batch_norm.hpp: BatchNormalization in inference mode: y = (x - mean) / sqrt(var + epsilon) *
// scale + bias per channel. Old opsets' attributes (is_test, spatial, consumed_inputs) are
// accepted; spatial = 0 and training-mode outputs are refused with a message.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// Inputs X [N, C, D1..Dk], scale, B, mean, var [C]; output Y like X.
struct batch_norm_params {
  std::int64_t batch = 0;
  std::int64_t channels = 0;
  /// Elements per channel and image (product of D1..Dk; 1 for [N, C]).
  std::int64_t spatial_size = 1;
  float epsilon = 1e-5f;
};

result<batch_norm_params> batch_norm_params_of(const node_view& view);

result<std::vector<value_type>> infer_batch_norm(const node_view& view);
result<cpu_kernel> bind_batch_norm_reference(const node_view& view,
                                             std::span<const value_type> outputs);
/// float32: one multiplier and one offset per channel, then y = x * s + t as vectors.
result<std::optional<cpu_kernel>> bind_batch_norm_cpu(const node_view& view,
                                                      std::span<const value_type> outputs);

} // namespace hogar::nn
