// pool.hpp: MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool (a MaxPool over the
// whole input) over 1 to 3 spatial dimensions (pads, strides, dilations for MaxPool,
// ceil_mode, count_include_pad, auto_pad).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

enum class pool_kind { max, average, global_average };

/// Inputs X [N, C, D1..Dk]; output Y [N, C, O1..Ok] (GlobalAveragePool: all Oi = 1, and the
/// kernel covers the whole input).
struct pool_params {
  pool_kind kind = pool_kind::max;
  std::int64_t batch = 0;
  std::int64_t channels = 0;
  shape_t in_spatial;
  shape_t out_spatial;
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads_begin;
  std::vector<std::int64_t> pads_end;
  bool ceil_mode = false;
  /// AveragePool: padding counts in the divisor.
  bool count_include_pad = false;
};

result<pool_params> pool_params_of(const node_view& view);

result<std::vector<value_type>> infer_pool(const node_view& view);
result<cpu_kernel> bind_pool_reference(const node_view& view, std::span<const value_type> outputs);
/// float32 with 1 or 2 spatial dimensions: window bounds tabulated per output row and column,
/// kernel rows reduced as vectors, planes split over the instance's threads.
result<std::optional<cpu_kernel>> bind_pool_cpu(const node_view& view,
                                                std::span<const value_type> outputs);

/// Lets the pooling kernel `k` (of pool_cpu.cpp, for `p`) also read its input in a layout of
/// oneDNN's, on oneDNN's pooling, when the executor's layout pass asks (pool_dnnl.cpp); leaves
/// it plain-only where oneDNN cannot pool the same way (dilations, an average with ceil_mode).
void attach_dnnl_pooling(cpu_kernel& k, const pool_params& p);

} // namespace hogar::nn
