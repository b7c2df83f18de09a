// pad.hpp: Pad, for every dtype, in modes constant, reflect and edge. Pads an attribute up to
// opset 10 (`paddings` at opset 1, `pads` from 2, with a float `value`), a constant input
// from 11 (a request may send the constant_value: kernels read it when they run), with
// opset 18's optional axes input. Negative pads crop. Reflect mirrors about the edge elements
// without repeating them (numpy's 'reflect', repeated for pads longer than the axis).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// Values mirror pad.cuh's pad_mode_* constants.
enum class pad_mode : std::uint8_t { constant = 0, reflect = 1, edge = 2 };

struct pad_params {
  shape_t in_shape;
  shape_t out_shape;
  /// Per dimension, the elements added before the input's first (negative: removed).
  std::vector<std::int64_t> begin;
  pad_mode mode = pad_mode::constant;
  std::size_t element_size = 4;
  /// The constant mode's value in the data's dtype (its bytes, little end first), used when
  /// the node has no constant_value input.
  std::uint64_t value_bits = 0;
  /// Input 2 (constant_value) is given: its first element is read at every run.
  bool value_input = false;
};

result<pad_params> pad_params_of(const node_view& view);

/// The input index along an axis of extent n that output position `j` (counted from the
/// input's first element: out index - begin) reads, or -1 for the constant.
inline std::int64_t pad_source(pad_mode mode, std::int64_t j, std::int64_t n) {
  if (j >= 0 && j < n)
    return j;
  switch (mode) {
    case pad_mode::constant: return -1;
    case pad_mode::edge: return j < 0 ? 0 : n - 1;
    case pad_mode::reflect: {
      if (n == 1)
        return 0;
      const auto period = 2 * (n - 1);
      auto k = j % period;
      if (k < 0)
        k += period;
      return k < n ? k : period - k;
    }
  }
  return -1;
}

result<std::vector<value_type>> infer_pad(const node_view& view);
result<cpu_kernel> bind_pad_reference(const node_view& view,
                                      std::span<const value_type> outputs);
/// Every dtype: per output row the input's run copied with memcpy and the pads filled (or
/// mirrored, repeated) around it; rows split over the instance's threads.
result<std::optional<cpu_kernel>> bind_pad_cpu(const node_view& view,
                                               std::span<const value_type> outputs);

} // namespace hogar::nn
