// batch_norm_gpu.cpp: BatchNormalization (inference) on the GPU (float32), through
// batch_norm.cu's kernel. optimize() folds most of them into the Conv before them; this runs
// the rest (after a Gemm, a pool, or a model input).
#include <fmt/format.h>

#include "kernels/nn/batch_norm.cuh"
#include "kernels/nn/batch_norm.hpp"
#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_batch_norm_gpu(const node_view& view,
                                       std::span<const value_type> outputs,
                                       const gpu_context& ctx) {
  for (std::size_t i = 0; i < view.inputs.size() && i < 5; ++i)
    if (view.has(i) && view.inputs[i].type != dtype::float32)
      return view.error(fmt::format("runs float32 on the GPU; input {} is {}", i,
                                    to_string(view.inputs[i].type)));
  auto params = batch_norm_params_of(view);
  if (!params)
    return params.error();
  const batch_norm_params p = *params;
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_batch_norm(static_cast<const float*>(io.inputs[0]),
                                  static_cast<float*>(io.outputs[0]),
                                  static_cast<const float*>(io.inputs[1]),
                                  static_cast<const float*>(io.inputs[2]),
                                  static_cast<const float*>(io.inputs[3]),
                                  static_cast<const float*>(io.inputs[4]), p.epsilon, p.batch,
                                  p.channels, p.spatial_size, stream),
          "batch normalization kernel");
  };
  return k;
}

} // namespace hogar::nn
