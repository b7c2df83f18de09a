// nary_gpu.cpp: Sum, Max, Min and Mean on the GPU (float32 and float64; Max and Min on int32
// and int64 too): the same steps as the CPU paths (y = x0 op x1, y = y op xk, Mean's
// division), each with the broadcast strides of its operands merged: the steps on binary.cu's
// broadcast kernel, the division on nary.cu's.
#include <optional>

#include <fmt/format.h>

#include "kernels/nn/binary.cuh"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/gpu.hpp"
#include "kernels/nn/nary.cuh"
#include "kernels/nn/nary.hpp"

namespace hogar::nn {

namespace {

/// The kernels' element type for `type`, or nullopt where the GPU does not run it.
std::optional<int> element_of(dtype type) {
  switch (type) {
    case dtype::float32: return cuda::binary_float32;
    case dtype::float64: return cuda::binary_float64;
    case dtype::int32: return cuda::binary_int32;
    case dtype::int64: return cuda::binary_int64;
    default: return std::nullopt;
  }
}

/// One step bound to the kernels: operand -1 is the output itself.
struct gpu_step {
  int a = 0;
  int b = 1;
  launch_broadcast dims;
};

} // namespace

result<gpu_kernel> bind_nary_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx) {
  const auto op = nary_op_of(view.node.op_type);
  if (!op)
    return view.error("is not Sum, Max, Min or Mean");
  const auto type = outputs[0].type;
  const auto element = element_of(type);
  // infer_nary gives integers to Max and Min only.
  if (!element)
    return view.error(fmt::format("runs {} on the GPU, not {}",
                                  *op == nary_op::max || *op == nary_op::min
                                    ? "float32, float64, int32 and int64"
                                    : "float32 and float64",
                                  to_string(type)));
  const auto& out = outputs[0].shape;
  const auto contiguous = broadcast_strides(out, out);
  std::vector<gpu_step> steps;
  for (std::size_t k = 1; k < view.inputs.size(); ++k) {
    const bool first = k == 1;
    const auto a_strides = first ? broadcast_strides(view.inputs[0].shape, out) : contiguous;
    steps.push_back({first ? 0 : -1, static_cast<int>(k),
                     to_launch_broadcast(merge_dims(out, a_strides,
                                                    broadcast_strides(view.inputs[k].shape, out)))});
  }
  const int kind = *op == nary_op::max   ? cuda::binary_max
                   : *op == nary_op::min ? cuda::binary_min
                                         : cuda::binary_add;
  const bool mean = *op == nary_op::mean;
  // infer_nary gives Mean floats only.
  const int mean_element = type == dtype::float64 ? cuda::nary_float64 : cuda::nary_float32;
  const double count = static_cast<double>(view.inputs.size());
  const auto n = element_count(out);
  const auto bytes = static_cast<std::size_t>(n) * dtype_size(type);
  gpu_kernel k;
  k.run = [=, element = *element, stream = ctx.stream](const gpu_buffers& io) {
    void* y = io.outputs[0];
    // One input, of the output's shape: a copy.
    if (steps.empty() && bytes > 0)
      check(cudaMemcpyAsync(y, io.inputs[0], bytes, cudaMemcpyDeviceToDevice, stream),
            "cudaMemcpyAsync");
    for (auto& s : steps) {
      const void* a = s.a < 0 ? y : io.inputs[static_cast<std::size_t>(s.a)];
      check(cuda::launch_binary(kind, element, a, io.inputs[static_cast<std::size_t>(s.b)], y,
                                s.dims.out, s.dims.a, s.dims.b, stream),
            "n-ary step kernel");
    }
    if (mean)
      check(cuda::launch_nary_divide(mean_element, y, n, count, stream), "mean division kernel");
  };
  return k;
}

} // namespace hogar::nn
