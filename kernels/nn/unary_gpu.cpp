// unary_gpu.cpp: the unary ops on the GPU (float32), through unary.cu's kernel. Neg, Abs and
// Sign of integers run on the CPU paths only (the registry's gpu_support says float32).
#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/unary.cuh"
#include "kernels/nn/unary.hpp"

namespace hogar::nn {

// unary_kind lists the kinds in unary_op's order: the binder converts by value.
static_assert(static_cast<int>(unary_op::sqrt) == cuda::unary_sqrt);
static_assert(static_cast<int>(unary_op::sign) == cuda::unary_sign);
static_assert(static_cast<int>(unary_op::hard_sigmoid) == cuda::unary_hard_sigmoid);
static_assert(static_cast<int>(unary_op::thresholded_relu) + 1 == cuda::unary_kind_count);

result<gpu_kernel> bind_unary_gpu(const node_view& view, std::span<const value_type> outputs,
                                  const gpu_context& ctx) {
  if (outputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}", to_string(outputs[0].type)));
  auto f = unary_function_of(view);
  if (!f)
    return f.error();
  cuda::unary_params params;
  params.kind = static_cast<int>(f->op);
  params.alpha = f->alpha;
  params.beta = f->beta;
  const auto n = element_count(outputs[0].shape);
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_unary(params, static_cast<const float*>(io.inputs[0]),
                             static_cast<float*>(io.outputs[0]), n, stream),
          "unary kernel");
  };
  return k;
}

} // namespace hogar::nn
