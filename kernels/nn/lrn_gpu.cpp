// lrn_gpu.cpp: LRN on the GPU (float32), through lrn.cu.
#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/lrn.cuh"
#include "kernels/nn/lrn.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_lrn_gpu(const node_view& view, std::span<const value_type> outputs,
                                const gpu_context& ctx) {
  if (outputs.empty() || outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}",
                                  outputs.empty() ? "nothing" : to_string(outputs[0].type)));
  auto params = lrn_params_of(view);
  if (!params)
    return params.error();
  cuda::lrn_geometry g;
  g.batch = params->batch;
  g.channels = params->channels;
  g.spatial = params->spatial;
  g.size = params->size;
  g.before = params->before;
  g.after = params->after;
  g.alpha = static_cast<float>(params->alpha);
  g.beta = static_cast<float>(params->beta);
  g.bias = static_cast<float>(params->bias);
  gpu_kernel k;
  k.run = [g, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_lrn(static_cast<const float*>(io.inputs[0]),
                           static_cast<float*>(io.outputs[0]), g, stream),
          "LRN kernel");
  };
  return k;
}

} // namespace hogar::nn
