// prelu_gpu.cpp: PRelu on the GPU (float32), through prelu.cu.
#include <fmt/format.h>

#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/gpu.hpp"
#include "kernels/nn/prelu.cuh"
#include "kernels/nn/prelu.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_prelu_gpu(const node_view& view, std::span<const value_type> outputs,
                                  const gpu_context& ctx) {
  if (outputs.empty() || outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}",
                                  outputs.empty() ? "nothing" : to_string(outputs[0].type)));
  auto types = infer_prelu(view);
  if (!types)
    return types.error();
  const auto& out = outputs[0].shape;
  const auto dims = to_launch_broadcast(merge_dims(
    out, broadcast_strides(view.inputs[0].shape, out), broadcast_strides(view.inputs[1].shape, out)));
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_prelu(static_cast<const float*>(io.inputs[0]),
                             static_cast<const float*>(io.inputs[1]),
                             static_cast<float*>(io.outputs[0]), dims.out, dims.b, stream),
          "PRelu kernel");
  };
  return k;
}

} // namespace hogar::nn
