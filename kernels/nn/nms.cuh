// nms.cuh: the CUDA launcher of NonMaxSuppression (nms_gpu.cpp binds nodes to it, nms.cu holds
// the kernels).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/nn/gpu_common.cuh"

namespace hogar::nn::cuda {

/// What one node selects with: nms.hpp's nms_params, flattened for nvcc.
struct nms_shape {
  std::int64_t batches = 0;
  std::int64_t classes = 0;
  std::int64_t boxes = 0;
  std::int64_t keep_per_class = 0;
  bool center_point_box = false;
};

/// Device scratch launch_nms needs: per (item, class) pair its live-candidate flags, kept
/// boxes and count.
std::size_t nms_workspace_bytes(const nms_shape& s);

/// boxes [batches, boxes, 4], scores [batches, classes, boxes]; iou_threshold and
/// score_threshold device pointers to one float each, or null (0; no threshold). One block per
/// pair picks its best live candidate, keeps it and clears the candidates it suppresses, until
/// keep_per_class are kept or none is left; then one block writes the rows [item, class, box]
/// in order and sets the rest of `rows` (batches * classes * keep_per_class rows of 3) to -1.
cudaError_t launch_nms(const float* boxes, const float* scores, const float* iou_threshold,
                       const float* score_threshold, std::int64_t* rows, void* workspace,
                       const nms_shape& s, cudaStream_t stream);

} // namespace hogar::nn::cuda
