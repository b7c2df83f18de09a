// compare_gpu.cpp: the comparisons, And, Or, Xor and Not on the GPU, for every dtype they take:
// the broadcast strides of both inputs, with dimensions that step alike merged, bound to
// compare.cu's kernels.
#include "kernels/nn/binary.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/compare.cuh"
#include "kernels/nn/compare.hpp"
#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

namespace {

int kind_of(compare_op op) {
  switch (op) {
    case compare_op::equal: return cuda::compare_equal;
    case compare_op::less: return cuda::compare_less;
    case compare_op::greater: return cuda::compare_greater;
    case compare_op::less_equal: return cuda::compare_less_equal;
    case compare_op::greater_equal: return cuda::compare_greater_equal;
    case compare_op::logical_and: return cuda::compare_and;
    case compare_op::logical_or: return cuda::compare_or;
    case compare_op::logical_xor: return cuda::compare_xor;
    case compare_op::logical_not: break;
  }
  return cuda::compare_equal;
}

int element_of(dtype type) {
  switch (type) {
    case dtype::float32: return cuda::compare_float32;
    case dtype::float64: return cuda::compare_float64;
    case dtype::int8: return cuda::compare_int8;
    case dtype::uint8: return cuda::compare_uint8;
    case dtype::int32: return cuda::compare_int32;
    case dtype::int64: return cuda::compare_int64;
    case dtype::boolean: return cuda::compare_bool;
  }
  return cuda::compare_bool;
}

} // namespace

result<gpu_kernel> bind_compare_gpu(const node_view& view, std::span<const value_type> outputs,
                                    const gpu_context& ctx) {
  const auto op = compare_op_of(view.node.op_type);
  if (!op)
    return view.error("is not a comparison, And, Or, Xor or Not");
  gpu_kernel k;
  if (*op == compare_op::logical_not) {
    const auto n = element_count(outputs[0].shape);
    k.run = [n, stream = ctx.stream](const gpu_buffers& io) {
      check(cuda::launch_not(io.inputs[0], io.outputs[0], n, stream), "Not kernel");
    };
    return k;
  }
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  const auto& out = outputs[0].shape;
  const auto dims = to_launch_broadcast(
    merge_dims(out, broadcast_strides(shapes->a, out), broadcast_strides(shapes->b, out)));
  const int kind = kind_of(*op);
  const int element = element_of(view.inputs[0].type);
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_compare(kind, element, io.inputs[0], io.inputs[1], io.outputs[0],
                               dims.out, dims.a, dims.b, stream),
          "comparison kernel");
  };
  return k;
}

} // namespace hogar::nn
