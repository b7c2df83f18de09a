// activation_gpu.cpp: Relu, LeakyRelu, Sigmoid, Tanh and Clip on the GPU (float32), through
// activation.cu's element-wise kernels with the formulas of epilogue.hpp. Clip's bounds may be
// model values (opset 11 on): its kernel reads them from device memory.
#include <fmt/format.h>

#include "kernels/nn/activation.cuh"
#include "kernels/nn/activation.hpp"
#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_activation_gpu(const node_view& view,
                                       std::span<const value_type> outputs,
                                       const gpu_context& ctx) {
  if (outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}", to_string(outputs[0].type)));
  const auto n = element_count(outputs[0].shape);
  if (view.node.op_type == "Clip") {
    // Bounds from the attributes, or (opset 11 on) from inputs 1 and 2, read on the device.
    const auto bounds = clip_bounds_of(view);
    const float lo = static_cast<float>(bounds.min), hi = static_cast<float>(bounds.max);
    const bool has_min = bounds.from_inputs && view.has(1);
    const bool has_max = bounds.from_inputs && view.has(2);
    gpu_kernel k;
    k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
      check(cuda::launch_clip(static_cast<const float*>(io.inputs[0]),
                              static_cast<float*>(io.outputs[0]), n,
                              has_min ? static_cast<const float*>(io.inputs[1]) : nullptr,
                              has_max ? static_cast<const float*>(io.inputs[2]) : nullptr, lo, hi,
                              stream),
            "clip kernel");
    };
    return k;
  }
  auto act = activation_of(view);
  if (!act)
    return act.error();
  const auto params = to_cuda(*act);
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_activation(params, static_cast<const float*>(io.inputs[0]),
                                  static_cast<float*>(io.outputs[0]), n, stream),
          "activation kernel");
  };
  return k;
}

} // namespace hogar::nn
