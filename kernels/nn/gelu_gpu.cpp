// gelu_gpu.cpp: Gelu on the GPU (float32), through gelu.cu.
#include <fmt/format.h>

#include "kernels/nn/gelu.cuh"
#include "kernels/nn/gelu.hpp"
#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_gelu_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx) {
  if (outputs.empty() || outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}",
                                  outputs.empty() ? "nothing" : to_string(outputs[0].type)));
  auto p = gelu_params_of(view);
  if (!p)
    return p.error();
  const auto n = element_count(outputs[0].shape);
  gpu_kernel k;
  k.run = [n, tanh_form = p->tanh, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_gelu(static_cast<const float*>(io.inputs[0]),
                            static_cast<float*>(io.outputs[0]), n, tanh_form, stream),
          "Gelu kernel");
  };
  return k;
}

} // namespace hogar::nn
