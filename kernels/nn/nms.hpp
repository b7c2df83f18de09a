// nms.hpp: NonMaxSuppression (a detector's last step): per batch item and class, the boxes
// whose score passes score_threshold, best first, each kept unless it overlaps a box kept
// before it by more than iou_threshold (intersection over union), at most
// max_output_boxes_per_class of them. Output: the kept boxes as rows [batch, class, box]
// (int64), batch by batch, class by class, best first within a class, as onnxruntime orders
// them; equal scores go lower box index first. NaN scores are never kept.
//
// Boxes are [batches, boxes, 4] float32: corners [y1, x1, y2, x2] in either diagonal order
// (center_point_box = 0) or [x_center, y_center, width, height] (1). Scores are
// [batches, classes, boxes]. max_output_boxes_per_class (input 2; absent: 0, nothing kept)
// must be a constant: it bounds the output's rows, which plans size before the first request.
// iou_threshold and score_threshold (inputs 3, 4; absent: 0 and no threshold) may be request
// inputs: kernels read them when they run. How many rows come out is known only then
// (op_definition::selects_rows): the rows after the last kept box are -1.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/nms_geometry.hpp"
#include "kernels/nn/op.hpp"

namespace hogar::nn {

struct nms_params {
  std::int64_t batches = 0;
  std::int64_t classes = 0;
  std::int64_t boxes = 0;
  /// max_output_boxes_per_class, at most `boxes`.
  std::int64_t keep_per_class = 0;
  bool center_point_box = false;
  bool has_iou_threshold = false;
  bool has_score_threshold = false;

  /// The output's rows as planned: every class of every item keeping all it may.
  std::int64_t row_bound() const noexcept { return batches * classes * keep_per_class; }
};

result<nms_params> nms_params_of(const node_view& view);

/// The thresholds of one call, read from the kernel's inputs (host pointers).
struct nms_thresholds {
  float iou = 0;
  std::optional<float> score;
};
nms_thresholds nms_thresholds_of(const nms_params& p, const cpu_buffers& io);

/// Scratch one class's selection needs: its candidates' indices and corners.
std::size_t nms_scratch_bytes(const nms_params& p);

/// Greedy selection for one item's boxes ([boxes, 4]) and one class's scores ([boxes]): writes
/// the kept box indices, best first, to `kept` (room for keep_per_class) and returns how many.
std::int64_t nms_select(const nms_params& p, const nms_thresholds& t, const float* boxes,
                        const float* scores, void* scratch, std::int64_t* kept);

result<std::vector<value_type>> infer_nms(const node_view& view);
/// One (item, class) after another.
result<cpu_kernel> bind_nms_reference(const node_view& view, std::span<const value_type> outputs);
/// The (item, class) pairs split over the instance's threads, then their rows gathered.
result<std::optional<cpu_kernel>> bind_nms_cpu(const node_view& view,
                                               std::span<const value_type> outputs);

} // namespace hogar::nn
