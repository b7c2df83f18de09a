// gather_gpu.cpp: Gather on the GPU for every dtype, int32 or int64 indices, through
// gather.cu. The kernel cannot throw at an index outside the axis: it records it, and the
// executor fails the batch after it with describe_fault's words, gathered_row's
// (gather_ref.cpp).
#include <fmt/format.h>

#include "kernels/nn/gather.cuh"
#include "kernels/nn/gather.hpp"
#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_gather_gpu(const node_view& view, std::span<const value_type>,
                                   const gpu_context& ctx) {
  auto params = gather_params_of(view);
  if (!params)
    return params.error();
  const auto p = *params;
  gpu_kernel k;
  k.run = [p, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_gather(static_cast<int>(p.element_size), io.inputs[0], io.inputs[1],
                              p.indices_int64, io.outputs[0], p.outer, p.extent, p.inner,
                              p.indices, io.fault, stream),
          "Gather kernel");
  };
  k.describe_fault = [p](const cuda::fault& f) {
    return fmt::format("index {} (element {} of the indices) is outside [{}, {}) for the "
                       "gathered axis",
                       f.value, cuda::fault_element(f), -p.extent, p.extent);
  };
  return k;
}

} // namespace hogar::nn
