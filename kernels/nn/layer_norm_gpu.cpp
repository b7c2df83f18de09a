// layer_norm_gpu.cpp: LayerNormalization on the GPU (float32), through layer_norm.cu.
#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/layer_norm.cuh"
#include "kernels/nn/layer_norm.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_layer_norm_gpu(const node_view& view,
                                       std::span<const value_type> outputs,
                                       const gpu_context& ctx) {
  if (outputs.empty() || outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}",
                                  outputs.empty() ? "nothing" : to_string(outputs[0].type)));
  auto params = layer_norm_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  gpu_kernel k;
  k.run = [p, stream = ctx.stream](const gpu_buffers& io) {
    auto* mean = io.outputs.size() > 1 ? static_cast<float*>(io.outputs[1]) : nullptr;
    auto* inv_std = io.outputs.size() > 2 ? static_cast<float*>(io.outputs[2]) : nullptr;
    check(cuda::launch_layer_norm(
            static_cast<const float*>(io.inputs[0]), static_cast<const float*>(io.inputs[1]),
            p.scale_single ? 0 : 1,
            p.has_bias ? static_cast<const float*>(io.inputs[2]) : nullptr,
            p.bias_single ? 0 : 1, static_cast<float*>(io.outputs[0]), mean, inv_std, p.rows,
            p.cols, static_cast<float>(p.epsilon), stream),
          "layer normalization kernel");
  };
  return k;
}

} // namespace hogar::nn
