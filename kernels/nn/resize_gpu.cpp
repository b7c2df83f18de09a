// resize_gpu.cpp: Resize and Upsample on the GPU (float32, up to 8 axes), through resize.cu,
// whose taps follow the reference's definition.
#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/resize.cuh"
#include "kernels/nn/resize.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_resize_gpu(const node_view& view, std::span<const value_type> outputs,
                                   const gpu_context& ctx) {
  if (outputs.empty() || outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}",
                                  outputs.empty() ? "nothing" : to_string(outputs[0].type)));
  auto params = resize_params_of(view);
  if (!params)
    return params.error();
  const auto& p = *params;
  const auto rank = p.in_shape.size();
  if (rank > static_cast<std::size_t>(cuda::resize_max_rank))
    return view.error(fmt::format("resizes {} axes; the GPU resizes up to {}", rank,
                                  cuda::resize_max_rank));
  cuda::resize_geometry g;
  g.rank = static_cast<int>(rank);
  g.mode = static_cast<int>(p.mode);
  g.coordinates = static_cast<int>(p.coordinates);
  g.rounding = static_cast<int>(p.rounding);
  g.exclude_outside = p.exclude_outside ? 1 : 0;
  g.cubic_a = p.cubic_a;
  g.extrapolation = static_cast<float>(p.extrapolation_value);
  for (std::size_t a = 0; a < rank; ++a) {
    g.in[a] = p.in_shape[a];
    g.out[a] = p.out_shape[a];
    g.scale[a] = p.scales[a];
    g.roi_start[a] = p.roi_start[a];
    g.roi_end[a] = p.roi_end[a];
  }
  gpu_kernel k;
  k.run = [g, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_resize(static_cast<const float*>(io.inputs[0]),
                              static_cast<float*>(io.outputs[0]), g, stream),
          "resize kernel");
  };
  return k;
}

} // namespace hogar::nn
