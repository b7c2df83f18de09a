// instance_norm_gpu.cpp: InstanceNormalization on the GPU (float32), through instance_norm.cu.
#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/instance_norm.cuh"
#include "kernels/nn/instance_norm.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_instance_norm_gpu(const node_view& view,
                                          std::span<const value_type> outputs,
                                          const gpu_context& ctx) {
  if (outputs.empty() || outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}",
                                  outputs.empty() ? "nothing" : to_string(outputs[0].type)));
  auto params = instance_norm_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  gpu_kernel k;
  k.run = [p, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_instance_norm(
            static_cast<const float*>(io.inputs[0]), static_cast<const float*>(io.inputs[1]),
            static_cast<const float*>(io.inputs[2]), static_cast<float*>(io.outputs[0]),
            p.batch * p.channels, p.channels, p.plane, static_cast<float>(p.epsilon), stream),
          "instance normalization kernel");
  };
  return k;
}

} // namespace hogar::nn
