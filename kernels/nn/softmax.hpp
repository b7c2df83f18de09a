// softmax.hpp: Softmax and LogSoftmax. Before opset 13 the input is seen as a 2-D matrix
// [prod(d0..d(axis-1)), prod(d(axis)..)] (axis default 1) and each row is normalised; from
// opset 13 each 1-D slice along `axis` (default -1) is.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// The input seen as [outer, axis_size, inner]; every (outer, inner) pair is one slice of
/// axis_size elements, `inner` apart. (Before opset 13: inner = 1, axis_size = the row.)
struct softmax_params {
  std::int64_t outer = 1;
  std::int64_t axis_size = 1;
  std::int64_t inner = 1;
  bool log = false;
};

result<softmax_params> softmax_params_of(const node_view& view);

result<std::vector<value_type>> infer_softmax(const node_view& view);
result<cpu_kernel> bind_softmax_reference(const node_view& view,
                                          std::span<const value_type> outputs);
/// float32: contiguous slices as rows, strided slices 16 at a time; split over the threads.
/// One contiguous row of the fast CPU path: y = softmax(x) (or log softmax) over n values; y
/// may be x. Eight floats at a time where the CPU has AVX2.
void softmax_row_cpu(const float* x, float* y, std::int64_t n, bool log);

result<std::optional<cpu_kernel>> bind_softmax_cpu(const node_view& view,
                                                   std::span<const value_type> outputs);

} // namespace hogar::nn
