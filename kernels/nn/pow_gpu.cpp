// pow_gpu.cpp: Pow on the GPU for a float32 or float64 base and an exponent of any numeric
// type: the broadcast strides of both inputs, with dimensions that step alike merged, bound to
// pow.cu's kernel. Integer bases run on the CPU paths (the registry's gpu_support says
// float32 and float64).
#include <optional>

#include <fmt/format.h>

#include "kernels/nn/binary.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/gpu.hpp"
#include "kernels/nn/pow.cuh"
#include "kernels/nn/pow.hpp"

namespace hogar::nn {

namespace {

std::optional<int> element_of(dtype type) {
  switch (type) {
    case dtype::float32: return cuda::pow_float32;
    case dtype::float64: return cuda::pow_float64;
    case dtype::int8: return cuda::pow_int8;
    case dtype::uint8: return cuda::pow_uint8;
    case dtype::int32: return cuda::pow_int32;
    case dtype::int64: return cuda::pow_int64;
    default: return std::nullopt;
  }
}

} // namespace

result<gpu_kernel> bind_pow_gpu(const node_view& view, std::span<const value_type> outputs,
                                const gpu_context& ctx) {
  const auto base_type = outputs[0].type;
  if (base_type != dtype::float32 && base_type != dtype::float64)
    return view.error(fmt::format("runs float32 and float64 bases on the GPU, not {}",
                                  to_string(base_type)));
  const auto exponent = element_of(view.inputs[1].type);
  if (!exponent)
    return view.error(fmt::format("input Y is {}; the GPU takes a numeric exponent",
                                  to_string(view.inputs[1].type)));
  auto shapes = binary_shapes_of(view);
  if (!shapes)
    return shapes.error();
  const auto& out = outputs[0].shape;
  const auto dims = to_launch_broadcast(
    merge_dims(out, broadcast_strides(shapes->a, out), broadcast_strides(shapes->b, out)));
  const int base = base_type == dtype::float32 ? cuda::pow_float32 : cuda::pow_float64;
  gpu_kernel k;
  k.run = [=, exponent = *exponent, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_pow(base, exponent, io.inputs[0], io.inputs[1], io.outputs[0], dims.out,
                           dims.a, dims.b, stream),
          "pow kernel");
  };
  return k;
}

} // namespace hogar::nn
