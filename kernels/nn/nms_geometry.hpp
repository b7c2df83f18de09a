// nms_geometry.hpp: the box arithmetic of NonMaxSuppression, shared by the CPU paths (nms.hpp)
// and the CUDA kernels (nms.cu), so that every path keeps and drops the same boxes. Plain
// C++17 without hogar headers, like gpu_common.cuh, for nvcc.
#pragma once

#ifdef __CUDACC__
#define HOGAR_NMS_HOST_DEVICE __host__ __device__
#else
#define HOGAR_NMS_HOST_DEVICE
#endif

namespace hogar::nn {

/// One box as its corners, whichever format it came in.
struct nms_box {
  float x_min, y_min, x_max, y_max;
};

/// The corners of box `b`: [y1, x1, y2, x2] in either diagonal order (center_point_box = 0) or
/// [x_center, y_center, width, height] (1).
HOGAR_NMS_HOST_DEVICE inline nms_box nms_corners(const float* b, bool center_point_box) {
  if (center_point_box) {
    const float half_w = b[2] / 2, half_h = b[3] / 2;
    return {b[0] - half_w, b[1] - half_h, b[0] + half_w, b[1] + half_h};
  }
  return {b[1] < b[3] ? b[1] : b[3], b[0] < b[2] ? b[0] : b[2], b[1] < b[3] ? b[3] : b[1],
          b[0] < b[2] ? b[2] : b[0]};
}

/// Whether two boxes overlap by more than `iou_threshold` (intersection over union; boxes
/// without area never do).
HOGAR_NMS_HOST_DEVICE inline bool nms_suppresses(const nms_box& a, const nms_box& b,
                                                 float iou_threshold) {
  const float x0 = a.x_min < b.x_min ? b.x_min : a.x_min;
  const float x1 = a.x_max < b.x_max ? a.x_max : b.x_max;
  const float y0 = a.y_min < b.y_min ? b.y_min : a.y_min;
  const float y1 = a.y_max < b.y_max ? a.y_max : b.y_max;
  if (x1 <= x0 || y1 <= y0)
    return false;
  const float intersection = (x1 - x0) * (y1 - y0);
  const float area_a = (a.x_max - a.x_min) * (a.y_max - a.y_min);
  const float area_b = (b.x_max - b.x_min) * (b.y_max - b.y_min);
  if (area_a <= 0 || area_b <= 0)
    return false;
  const float union_area = area_a + area_b - intersection;
  return union_area > 0 && intersection / union_area > iou_threshold;
}

} // namespace hogar::nn

#undef HOGAR_NMS_HOST_DEVICE
