// dropout_gpu.cpp: Dropout on the GPU, bound only when a node names its mask (a plain Dropout
// is a view and runs nothing): the data copied, the mask filled with ones (a byte memset for
// bool, dropout.cu's fill for the float masks of opsets 7 to 9).
#include "kernels/nn/dropout.cuh"
#include "kernels/nn/dropout.hpp"
#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_dropout_gpu(const node_view& view, std::span<const value_type> outputs,
                                    const gpu_context& ctx) {
  const auto n = element_count(outputs[0].shape);
  if (!view.has(0) || element_count(view.inputs[0].shape) != n)
    return view.error("copies its input, which must hold as many elements as its output");
  const auto bytes = static_cast<std::size_t>(n) * dtype_size(outputs[0].type);
  const auto mask_type = outputs.size() > 1 ? outputs[1].type : dtype::boolean;
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    if (io.outputs[0] && bytes > 0)
      check(cudaMemcpyAsync(io.outputs[0], io.inputs[0], bytes, cudaMemcpyDeviceToDevice, stream),
            "cudaMemcpyAsync");
    if (io.outputs.size() < 2 || !io.outputs[1] || n == 0)
      return;
    if (mask_type == dtype::boolean)
      check(cudaMemsetAsync(io.outputs[1], 1, static_cast<std::size_t>(n), stream),
            "cudaMemsetAsync");
    else
      check(cuda::launch_fill_ones(io.outputs[1], n, mask_type == dtype::float64, stream),
            "fill kernel");
  };
  return k;
}

} // namespace hogar::nn
