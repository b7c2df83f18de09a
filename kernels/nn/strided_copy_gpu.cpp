// strided_copy_gpu.cpp: Slice, Split, Expand and Tile on the GPU, for every dtype: each
// output's merged view (strided_copy.hpp) runs on Transpose's strided gather
// (shape_ops.cuh), which reads y[i] = x[sum_d index_d(i) * strides[d]]; the view's first
// element is where x starts.
#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/shape_ops.cuh"
#include "kernels/nn/strided_copy.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_strided_copy_gpu(const node_view& view,
                                         std::span<const value_type>, const gpu_context& ctx) {
  auto params = strided_copy_params_of(view);
  if (!params)
    return params.error();
  struct launch {
    cuda::dims extents;
    cuda::dims strides;
    std::int64_t offset_bytes = 0;
    bool empty = false;
  };
  const std::size_t element_size = dtype_size(view.inputs[0].type);
  std::vector<launch> launches;
  for (auto& v : params->views) {
    const auto m = merged(v);
    launch l;
    l.extents = to_dims(m.extents, "the copied output");
    l.strides = to_dims(m.strides, "the input's strides");
    l.offset_bytes = m.offset * static_cast<std::int64_t>(element_size);
    l.empty = element_count(m.extents) == 0;
    launches.push_back(l);
  }
  gpu_kernel k;
  k.run = [launches = std::move(launches), element_size,
           stream = ctx.stream](const gpu_buffers& io) {
    const auto* x = static_cast<const char*>(io.inputs[0]);
    for (std::size_t o = 0; o < launches.size() && o < io.outputs.size(); ++o) {
      const auto& l = launches[o];
      if (!io.outputs[o] || l.empty)
        continue;
      check(cuda::launch_transpose(x + l.offset_bytes, io.outputs[o], element_size, l.extents,
                                   l.strides, stream),
            "strided copy kernel");
    }
  };
  return k;
}

} // namespace hogar::nn
