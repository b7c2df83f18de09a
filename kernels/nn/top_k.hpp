// top_k.hpp: TopK (detectors keep their best boxes with it, decoders their best tokens): the k
// largest (largest = 0: smallest) elements of each slice along `axis`, as Values (the input's
// dtype) and Indices (int64), in order (sorted = 0 lets ONNX take any order; hogar sorts
// anyway). Equal values come out lower index first, as ONNX asks. NaN counts as greater than
// every number (numpy's sort and PyTorch's topk order): first among the largest, last among
// the smallest.
//
// k is the attribute `k` before opset 10 and from opset 10 input 1 (one int64), which must be
// a constant: hogar plans every shape before the first request. largest and sorted arrived in
// opset 11; before, both are 1.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// The input as [outer, axis_size, inner]; each of the outer * inner slices gives k outputs.
struct top_k_params {
  std::int64_t outer = 1;
  std::int64_t axis_size = 1;
  std::int64_t inner = 1;
  std::int64_t k = 1;
  bool largest = true;
  shape_t output_shape;
};

result<top_k_params> top_k_params_of(const node_view& view);

/// Whether element (a, ia) of a slice comes out before (b, ib): TopK's total order.
template <class T>
bool top_k_before(bool largest, T a, std::int64_t ia, T b, std::int64_t ib) noexcept {
  if constexpr (std::is_floating_point_v<T>) {
    const bool na = std::isnan(a), nb = std::isnan(b);
    if (na || nb) {
      if (na && nb)
        return ia < ib;
      return largest ? na : nb;
    }
  }
  if (a != b)
    return largest ? a > b : a < b;
  return ia < ib;
}

result<std::vector<value_type>> infer_top_k(const node_view& view);
/// float32, float64, int8, uint8, int32, int64: each slice's indices sorted whole.
result<cpu_kernel> bind_top_k_reference(const node_view& view,
                                        std::span<const value_type> outputs);
/// Every dtype of the reference: slices split over the threads, each copied with its indices
/// into a scratch slot, partitioned around its k-th element and its first k sorted.
result<std::optional<cpu_kernel>> bind_top_k_cpu(const node_view& view,
                                                 std::span<const value_type> outputs);

} // namespace hogar::nn
