// reduce_gpu.cpp: the reductions and ArgMax / ArgMin on the GPU (float32), through reduce.cu's
// kernels over the merged runs of reduce.hpp.
#include <vector>

#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/reduce.cuh"
#include "kernels/nn/reduce.hpp"

namespace hogar::nn {

namespace {

int to_cuda(reduce_kind k) {
  switch (k) {
    case reduce_kind::sum: return cuda::reduce_sum;
    case reduce_kind::mean: return cuda::reduce_mean;
    case reduce_kind::max: return cuda::reduce_max;
    case reduce_kind::min: return cuda::reduce_min;
    case reduce_kind::prod: return cuda::reduce_prod;
    case reduce_kind::sum_square: return cuda::reduce_sum_square;
    case reduce_kind::l1: return cuda::reduce_l1;
    case reduce_kind::l2: return cuda::reduce_l2;
    case reduce_kind::log_sum: return cuda::reduce_log_sum;
    case reduce_kind::log_sum_exp: return cuda::reduce_log_sum_exp;
  }
  return cuda::reduce_sum;
}

/// Extents and strides of `runs` as launcher dims.
std::pair<cuda::dims, cuda::dims> to_dims(const std::vector<reduce_dim>& runs,
                                          std::string_view what) {
  std::vector<std::int64_t> extents, strides;
  for (auto& r : runs) {
    extents.push_back(r.extent);
    strides.push_back(r.stride);
  }
  return {nn::to_dims(extents, what), nn::to_dims(strides, what)};
}

} // namespace

result<gpu_kernel> bind_reduce_gpu(const node_view& view, std::span<const value_type> outputs,
                                   const gpu_context& ctx) {
  if (outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}", to_string(outputs[0].type)));
  auto params = reduce_params_of(view);
  if (!params)
    return params.error();
  const auto& p = *params;
  gpu_kernel k;
  if (p.copy) {
    const auto bytes = static_cast<std::size_t>(p.output_count) * sizeof(float);
    k.run = [bytes, stream = ctx.stream](const gpu_buffers& io) {
      if (bytes > 0)
        check(cudaMemcpyAsync(io.outputs[0], io.inputs[0], bytes, cudaMemcpyDeviceToDevice,
                              stream),
              "cudaMemcpyAsync");
    };
    return k;
  }
  const auto kept = to_dims(p.kept, "the kept axes");
  const auto reduced = to_dims(p.reduced, "the reduced axes");
  const bool rows = p.one_run && p.inner == 1 && p.reduced.size() == 1;
  const int op = to_cuda(p.kind);
  const auto outputs_count = p.output_count, n = p.reduced_count;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_reduce(static_cast<const float*>(io.inputs[0]),
                              static_cast<float*>(io.outputs[0]), op, kept.first, kept.second,
                              reduced.first, reduced.second, outputs_count, n, rows, stream),
          "reduce kernel");
  };
  return k;
}

result<gpu_kernel> bind_arg_reduce_gpu(const node_view& view, std::span<const value_type>,
                                       const gpu_context& ctx) {
  if (view.inputs[0].type != dtype::float32)
    return view.error(
      fmt::format("runs float32 on the GPU, not {}", to_string(view.inputs[0].type)));
  auto params = arg_reduce_params_of(view);
  if (!params)
    return params.error();
  const arg_reduce_params p = *params;
  gpu_kernel k;
  k.run = [p, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_arg_reduce(static_cast<const float*>(io.inputs[0]),
                                  static_cast<std::int64_t*>(io.outputs[0]), p.outer, p.axis_size,
                                  p.inner, p.is_max, p.select_last, stream),
          p.is_max ? "argmax kernel" : "argmin kernel");
  };
  return k;
}

} // namespace hogar::nn
