// nms_gpu.cpp: NonMaxSuppression on the GPU (float32 boxes and scores), through nms.cu.
#include "kernels/nn/gpu.hpp"
#include "kernels/nn/nms.cuh"
#include "kernels/nn/nms.hpp"

namespace hogar::nn {

result<gpu_kernel> bind_nms_gpu(const node_view& view, std::span<const value_type>,
                                const gpu_context& ctx) {
  auto params = nms_params_of(view);
  if (!params)
    return params.error();
  const cuda::nms_shape shape{params->batches, params->classes, params->boxes,
                              params->keep_per_class, params->center_point_box};
  gpu_kernel k;
  k.workspace_bytes = cuda::nms_workspace_bytes(shape);
  k.run = [shape, iou = params->has_iou_threshold, score = params->has_score_threshold,
           stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_nms(static_cast<const float*>(io.inputs[0]),
                           static_cast<const float*>(io.inputs[1]),
                           iou ? static_cast<const float*>(io.inputs[3]) : nullptr,
                           score ? static_cast<const float*>(io.inputs[4]) : nullptr,
                           static_cast<std::int64_t*>(io.outputs[0]), io.workspace, shape, stream),
          "NonMaxSuppression kernels");
  };
  return k;
}

} // namespace hogar::nn
