// gather.hpp: Gather (embedding lookups, picking a head's rows, and with constant inputs the
// Shape -> Gather steps of run-time shape arithmetic, which plans fold). Every data dtype,
// int32 or int64 indices, negative indices counted from the back; an index outside the axis
// fails the batch naming the node (a request's token id, for one).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// The tensor viewed as [outer, axis extent, inner]: output [outer, indices, inner].
struct gather_params {
  std::int64_t outer = 1;
  std::int64_t extent = 0;
  std::int64_t inner = 1;
  std::int64_t indices = 0;
  bool indices_int64 = true;
  std::size_t element_size = 4;
};

result<gather_params> gather_params_of(const node_view& view);

result<std::vector<value_type>> infer_gather(const node_view& view);
result<cpu_kernel> bind_gather_reference(const node_view& view,
                                         std::span<const value_type> outputs);
/// Every dtype: whole inner blocks copied with memcpy, (outer, index) pairs split over the
/// instance's threads.
result<std::optional<cpu_kernel>> bind_gather_cpu(const node_view& view,
                                                  std::span<const value_type> outputs);

/// Element j of the indices as a position along the axis (negative ones counted from the
/// back), or throws std::out_of_range naming it: a batch with such an index fails.
std::int64_t gathered_row(const gather_params& p, const void* indices, std::int64_t j);

} // namespace hogar::nn
