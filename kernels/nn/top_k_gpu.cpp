// top_k_gpu.cpp: TopK on the GPU (float32), through top_k.cu.
#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/top_k.cuh"
#include "kernels/nn/top_k.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_top_k_gpu(const node_view& view, std::span<const value_type> outputs,
                                  const gpu_context& ctx) {
  if (outputs.empty() || outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}",
                                  outputs.empty() ? "nothing" : to_string(outputs[0].type)));
  auto params = top_k_params_of(view);
  if (!params)
    return params.error();
  gpu_kernel k;
  k.run = [p = *params, stream = ctx.stream](const gpu_buffers& io) {
    auto* indices = io.outputs.size() > 1 ? static_cast<std::int64_t*>(io.outputs[1]) : nullptr;
    check(cuda::launch_top_k(static_cast<const float*>(io.inputs[0]),
                             static_cast<float*>(io.outputs[0]), indices, p.outer, p.axis_size,
                             p.inner, p.k, p.largest, stream),
          "TopK kernel");
  };
  return k;
}

} // namespace hogar::nn
