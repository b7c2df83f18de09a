// cast_gpu.cpp: Cast and CastLike on the GPU for every pair of dtypes, bound to cast.cu's
// kernel (equal types copy device to device).
#include "kernels/nn/cast.cuh"
#include "kernels/nn/cast.hpp"
#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

namespace {

int element_of(dtype type) {
  switch (type) {
    case dtype::float32: return cuda::cast_float32;
    case dtype::float64: return cuda::cast_float64;
    case dtype::int8: return cuda::cast_int8;
    case dtype::uint8: return cuda::cast_uint8;
    case dtype::int32: return cuda::cast_int32;
    case dtype::int64: return cuda::cast_int64;
    case dtype::boolean: return cuda::cast_bool;
  }
  return cuda::cast_bool;
}

} // namespace

result<gpu_kernel> bind_cast_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx) {
  const auto from_type = view.inputs[0].type, to_type = outputs[0].type;
  const auto n = element_count(outputs[0].shape);
  gpu_kernel k;
  if (from_type == to_type) {
    const auto bytes = static_cast<std::size_t>(n) * dtype_size(to_type);
    k.run = [bytes, stream = ctx.stream](const gpu_buffers& io) {
      if (bytes == 0)
        return;
      check(cudaMemcpyAsync(io.outputs[0], io.inputs[0], bytes, cudaMemcpyDeviceToDevice, stream),
            "cudaMemcpyAsync (Cast to the same type)");
    };
    return k;
  }
  const int from = element_of(from_type), to = element_of(to_type);
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_cast(from, to, io.inputs[0], io.outputs[0], n, stream), "Cast kernel");
  };
  return k;
}

} // namespace hogar::nn
