// binary_gpu.cpp: Add, Sub, Mul and Div on the GPU (float32 and float64; Add, Sub and Mul on
// int32 and int64 too: an integer Div's division by zero fails the batch on the CPU paths, and
// a kernel has no way to say so): the broadcast strides of both inputs, with dimensions that
// step alike merged, bound to binary.cu's kernel.
#include <optional>

#include <fmt/format.h>

#include "kernels/nn/binary.cuh"
#include "kernels/nn/binary.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

namespace {

int kind_of(binary_op op) {
  switch (op) {
    case binary_op::add: return cuda::binary_add;
    case binary_op::sub: return cuda::binary_sub;
    case binary_op::mul: return cuda::binary_mul;
    case binary_op::div: return cuda::binary_div;
  }
  return cuda::binary_add;
}

/// The kernel's element type for `type`, or nullopt where the GPU does not run `op` on it.
std::optional<int> element_of(dtype type, binary_op op) {
  switch (type) {
    case dtype::float32: return cuda::binary_float32;
    case dtype::float64: return cuda::binary_float64;
    case dtype::int32: return op == binary_op::div ? std::nullopt : std::optional{int{cuda::binary_int32}};
    case dtype::int64: return op == binary_op::div ? std::nullopt : std::optional{int{cuda::binary_int64}};
    default: return std::nullopt;
  }
}

} // namespace

result<gpu_kernel> bind_binary_gpu(const node_view& view, std::span<const value_type> outputs,
                                   const gpu_context& ctx) {
  auto op = binary_op_of(view.node.op_type);
  if (!op)
    return view.error("is not Add, Sub, Mul or Div");
  const auto element = element_of(outputs[0].type, *op);
  if (!element)
    return view.error(fmt::format("runs {} on the GPU, not {}",
                                  *op == binary_op::div ? "float32 and float64"
                                                        : "float32, float64, int32 and int64",
                                  to_string(outputs[0].type)));
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  const auto& out = outputs[0].shape;
  const auto dims = to_launch_broadcast(
    merge_dims(out, broadcast_strides(shapes->a, out), broadcast_strides(shapes->b, out)));
  const int kind = kind_of(*op);
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_binary(kind, *element, io.inputs[0], io.inputs[1], io.outputs[0], dims.out,
                              dims.a, dims.b, stream),
          "binary kernel");
  };
  return k;
}

} // namespace hogar::nn
