// nary.hpp: Sum, Max, Min and Mean: one or more inputs combined element by element, with
// numpy broadcasting from opset 8 (all inputs one shape before). Sum and Mean take float32
// and float64; Max and Min integers too from opset 12 (int8, uint8, int32, int64 among
// hogar's dtypes). Every path combines the inputs in order, one step at a time: the output is
// input 0 broadcast, then `output op input k` for k = 1, 2, ...; Mean divides the sum by the
// input count at the end.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

enum class nary_op : std::uint8_t { sum, max, min, mean };

std::optional<nary_op> nary_op_of(std::string_view op_type) noexcept;

/// The output shape: every input broadcast together (opset 8 on), or their one shape before;
/// fails naming the node and the first input that does not fit.
result<shape_t> nary_shape_of(const node_view& view);

/// One step of `op` (Mean's steps sum). Max and Min return a NaN operand (numpy's maximum and
/// minimum do), which a plain comparison would drop or keep depending on the order.
template <class T>
T nary_combine(nary_op op, T a, T b) noexcept {
  switch (op) {
    case nary_op::sum:
    case nary_op::mean: return static_cast<T>(a + b);
    // a != a: a is NaN (always false for integers).
    case nary_op::max: return (a > b || a != a) ? a : b;
    case nary_op::min: return (a < b || a != a) ? a : b;
  }
  return a;
}

result<std::vector<value_type>> infer_nary(const node_view& view);
/// Every dtype infer_nary accepts; float32 combined in double and rounded once (the oracle).
result<cpu_kernel> bind_nary_reference(const node_view& view,
                                       std::span<const value_type> outputs);
/// float32: each step a pass of four-float vectors over runs of merged dimensions
/// (broadcast.hpp's merge_dims), split over the instance's threads.
result<std::optional<cpu_kernel>> bind_nary_cpu(const node_view& view,
                                                std::span<const value_type> outputs);

} // namespace hogar::nn
