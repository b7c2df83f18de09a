// sliding_window.hpp: the geometry Conv and the pools share. A window of `kernel` extents
// slides over the spatial dimensions with `strides`, reads every `dilations`-th element and
// may hang over the padded borders; auto_pad (SAME_UPPER, SAME_LOWER, VALID) is resolved into
// explicit pads here, so kernels only ever see pads_begin and pads_end.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

struct sliding_window {
  shape_t in_spatial;
  shape_t out_spatial;
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads_begin;
  std::vector<std::int64_t> pads_end;
};

/// How one op reads its window attributes.
struct sliding_window_rules {
  /// MaxPool and AveragePool from opset 10: the last window may start past the last full one
  /// (output extents rounded up), as long as it starts inside the input or its begin padding.
  bool ceil_mode = false;
  /// AveragePool before opset 19 has no `dilations` attribute; its presence is refused.
  bool dilations_allowed = true;
};

/// Reads strides, dilations, pads and auto_pad of `view`'s node for an input of spatial
/// extents `in_spatial` and a window of `kernel` extents; checks their lengths and values and
/// computes the output extents. Fails naming the node and the attribute at fault, or saying
/// that the window does not fit the (padded) input.
result<sliding_window> sliding_window_of(const node_view& view, const shape_t& in_spatial,
                                         std::vector<std::int64_t> kernel,
                                         sliding_window_rules rules);

/// Calls f(input offset, kernel offset) for every window position p of output position
/// `out_index` (a multi-index over out_spatial) that lies inside the padded input: `input
/// offset` is the row-major offset in in_spatial of the element p reads, or -1 when p falls in
/// the padding; `kernel offset` is the row-major offset of p in the kernel. Positions past the
/// end padding (the overhang of ceil_mode) are skipped. For the reference twins: plain, slow.
template <class F>
void for_each_window_element(const sliding_window& w, const std::vector<std::int64_t>& out_index,
                             std::vector<std::int64_t>& scratch, F&& f) {
  const auto rank = w.kernel.size();
  scratch.assign(rank, 0);
  for (;;) {
    std::int64_t in_offset = 0, k_offset = 0;
    bool inside = true, padded = true;
    for (std::size_t d = 0; d < rank; ++d) {
      auto i = out_index[d] * w.strides[d] - w.pads_begin[d] + scratch[d] * w.dilations[d];
      inside = inside && i >= 0 && i < w.in_spatial[d];
      padded = padded && i >= -w.pads_begin[d] && i < w.in_spatial[d] + w.pads_end[d];
      in_offset = in_offset * w.in_spatial[d] + i;
      k_offset = k_offset * w.kernel[d] + scratch[d];
    }
    if (padded)
      f(inside ? in_offset : std::int64_t{-1}, k_offset);
    if (rank == 0)
      return;
    // Odometer over the kernel positions, last dimension fastest.
    for (std::size_t d = rank;;) {
      --d;
      if (++scratch[d] < w.kernel[d])
        break;
      scratch[d] = 0;
      if (d == 0)
        return;
    }
  }
}

/// Steps a row-major multi-index over `extents` by one; false once it wrapped around to zero.
inline bool next_index(std::vector<std::int64_t>& index, const shape_t& extents) {
  for (std::size_t d = extents.size(); d-- > 0;) {
    if (++index[d] < extents[d])
      return true;
    index[d] = 0;
  }
  return false;
}

} // namespace hogar::nn
