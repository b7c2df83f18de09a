// where_gpu.cpp: Where on the GPU for every dtype: the three inputs' broadcast strides, with
// the dimensions all three step alike merged (where_dims_of), bound to where.cu's kernel.
#include "kernels/nn/gpu.hpp"
#include "kernels/nn/where.cuh"
#include "kernels/nn/where.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_where_gpu(const node_view& view, std::span<const value_type> outputs,
                                  const gpu_context& ctx) {
  const auto w = where_dims_of(view, outputs[0].shape);
  const auto out = to_dims(w.out, "Where's output");
  const auto sc = to_dims(w.condition, "the condition's strides");
  const auto sx = to_dims(w.x, "X's strides");
  const auto sy = to_dims(w.y, "Y's strides");
  const int element_bytes = static_cast<int>(dtype_size(outputs[0].type));
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_where(element_bytes, io.inputs[0], io.inputs[1], io.inputs[2],
                             io.outputs[0], out, sc, sx, sy, stream),
          "Where kernel");
  };
  return k;
}

} // namespace hogar::nn
