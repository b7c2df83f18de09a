// softmax_gpu.cpp: Softmax and LogSoftmax on the GPU (float32), through softmax.cu's kernels
// over the [outer, axis, inner] view of softmax.hpp.
#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/softmax.cuh"
#include "kernels/nn/softmax.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_softmax_gpu(const node_view& view, std::span<const value_type> outputs,
                                    const gpu_context& ctx) {
  if (outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}", to_string(outputs[0].type)));
  auto params = softmax_params_of(view);
  if (!params)
    return params.error();
  const softmax_params p = *params;
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_softmax(static_cast<const float*>(io.inputs[0]),
                               static_cast<float*>(io.outputs[0]), p.outer, p.axis_size, p.inner,
                               p.log, stream),
          p.log ? "log softmax kernel" : "softmax kernel");
  };
  return k;
}

} // namespace hogar::nn
