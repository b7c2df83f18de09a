// pool_gpu.cpp: MaxPool, AveragePool and GlobalAveragePool on the GPU (float32), through
// pool.cu's kernels, which read the window exactly as the reference does (ceil_mode overhang,
// dilations, count_include_pad, asymmetric pads).
#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/pool.cuh"
#include "kernels/nn/pool.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_pool_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx) {
  if (view.inputs.empty() || view.inputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}",
                                  view.inputs.empty() ? "nothing" : to_string(view.inputs[0].type)));
  auto params = pool_params_of(view);
  if (!params)
    return params.error();
  const pool_params& p = *params;
  const std::int64_t planes = p.batch * p.channels;
  gpu_kernel k;
  if (p.kind == pool_kind::global_average) {
    const std::int64_t plane_size = element_count(p.in_spatial);
    k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
      check(cuda::launch_global_average_pool(static_cast<const float*>(io.inputs[0]),
                                             static_cast<float*>(io.outputs[0]), planes,
                                             plane_size, stream),
            "global average pool kernel");
    };
    return k;
  }
  const auto rank = p.in_spatial.size();
  if (rank < 1 || rank > 3)
    return view.error(fmt::format("pools over {} spatial dimensions; the GPU pools over 1 to 3",
                                  rank));
  cuda::pool_window w;
  w.in = to_dims(p.in_spatial, "input X's spatial extents");
  w.out = to_dims(p.out_spatial, "output Y's spatial extents");
  w.kernel = to_dims(p.kernel, "kernel_shape");
  w.strides = to_dims(p.strides, "strides");
  w.dilations = to_dims(p.dilations, "dilations");
  w.pads_begin = to_dims(p.pads_begin, "pads");
  w.pads_end = to_dims(p.pads_end, "pads");
  if (p.kind == pool_kind::average) {
    const bool count_include_pad = p.count_include_pad;
    k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
      check(cuda::launch_average_pool(static_cast<const float*>(io.inputs[0]),
                                      static_cast<float*>(io.outputs[0]), planes, w,
                                      count_include_pad, stream),
            "average pool kernel");
    };
    return k;
  }
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_max_pool(static_cast<const float*>(io.inputs[0]),
                                static_cast<float*>(io.outputs[0]), planes, w, stream),
          "max pool kernel");
  };
  return k;
}

} // namespace hogar::nn
