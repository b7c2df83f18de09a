// nms_ref.cpp: NonMaxSuppression's parameters and shape rules, the selection both CPU paths
// share, and the reference twin.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "kernels/nn/nms.hpp"

namespace hogar::nn {

namespace {

/// Input `i` must be one value of `type` (shape [] or [1]).
std::optional<error_info> check_single(const node_view& view, std::size_t i, dtype type,
                                       std::string_view what) {
  const auto& v = view.inputs[i];
  if (v.type != type || element_count(v.shape) != 1 || v.shape.size() > 1)
    return view.error(fmt::format("input {} ('{}', {}) is {}{}; it must be one {} ([1])", i,
                                  view.node.inputs[i], what, to_string(v.type),
                                  to_string(v.shape), to_string(type)));
  return std::nullopt;
}

} // namespace

result<nms_params> nms_params_of(const node_view& view) {
  if (view.inputs.size() < 2 || view.inputs.size() > 5 || !view.has(0) || !view.has(1))
    return view.error("needs inputs boxes and scores (and optionally max_output_boxes_per_class, "
                      "iou_threshold, score_threshold)");
  const auto& boxes = view.inputs[0];
  const auto& scores = view.inputs[1];
  if (boxes.type != dtype::float32 || boxes.shape.size() != 3 || boxes.shape[2] != 4)
    return view.error(fmt::format("input 0 ('{}', boxes) is {}{}; it must be float32 "
                                  "[batches, boxes, 4]",
                                  view.node.inputs[0], to_string(boxes.type),
                                  to_string(boxes.shape)));
  if (scores.type != dtype::float32 || scores.shape.size() != 3 ||
      scores.shape[0] != boxes.shape[0] || scores.shape[2] != boxes.shape[1])
    return view.error(fmt::format("input 1 ('{}', scores) is {}{}; for boxes {} it must be "
                                  "float32 [{}, classes, {}]",
                                  view.node.inputs[1], to_string(scores.type),
                                  to_string(scores.shape), to_string(boxes.shape),
                                  boxes.shape[0], boxes.shape[1]));
  nms_params p;
  p.batches = boxes.shape[0];
  p.boxes = boxes.shape[1];
  p.classes = scores.shape[1];
  if (view.has(2)) {
    if (auto bad = check_single(view, 2, dtype::int64, "max_output_boxes_per_class"))
      return *bad;
    const tensor* keep = view.constant(2);
    if (!keep)
      return view.error(fmt::format("input 2 ('{}', max_output_boxes_per_class) must be a "
                                    "constant (an initializer, or computed from constants "
                                    "only): it bounds the output, which hogar plans before "
                                    "the first request",
                                    view.node.inputs[2]));
    p.keep_per_class = std::clamp<std::int64_t>(keep->values<std::int64_t>()[0], 0, p.boxes);
  }
  if (view.has(3)) {
    if (auto bad = check_single(view, 3, dtype::float32, "iou_threshold"))
      return *bad;
    p.has_iou_threshold = true;
  }
  if (view.has(4)) {
    if (auto bad = check_single(view, 4, dtype::float32, "score_threshold"))
      return *bad;
    p.has_score_threshold = true;
  }
  auto attrs = view.attributes();
  auto center = attrs.get_int("center_point_box", 0);
  if (!center)
    return center.error();
  if (*center != 0 && *center != 1)
    return attrs.error("center_point_box",
                       fmt::format("is {}; it must be 0 (corners) or 1 (center, width, height)",
                                   *center));
  p.center_point_box = *center == 1;
  return p;
}

result<std::vector<value_type>> infer_nms(const node_view& view) {
  auto p = nms_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{{dtype::int64, shape_t{p->row_bound(), 3}}};
}

nms_thresholds nms_thresholds_of(const nms_params& p, const cpu_buffers& io) {
  nms_thresholds t;
  if (p.has_iou_threshold)
    t.iou = *static_cast<const float*>(io.inputs[3]);
  if (p.has_score_threshold)
    t.score = *static_cast<const float*>(io.inputs[4]);
  return t;
}

std::size_t nms_scratch_bytes(const nms_params& p) {
  return static_cast<std::size_t>(p.boxes) * sizeof(std::int64_t) +
         static_cast<std::size_t>(p.keep_per_class) * sizeof(nms_box);
}

std::int64_t nms_select(const nms_params& p, const nms_thresholds& t, const float* boxes,
                        const float* scores, void* scratch, std::int64_t* kept) {
  if (p.keep_per_class == 0)
    return 0;
  auto* order = static_cast<std::int64_t*>(scratch);
  auto* kept_boxes = reinterpret_cast<nms_box*>(order + p.boxes);
  std::int64_t candidates = 0;
  for (std::int64_t i = 0; i < p.boxes; ++i)
    if (!std::isnan(scores[i]) && (!t.score || scores[i] > *t.score))
      order[candidates++] = i;
  std::sort(order, order + candidates, [&](std::int64_t a, std::int64_t b) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
  });
  std::int64_t count = 0;
  for (std::int64_t c = 0; c < candidates && count < p.keep_per_class; ++c) {
    const auto box = nms_corners(boxes + order[c] * 4, p.center_point_box);
    bool suppressed = false;
    for (std::int64_t k = 0; k < count && !suppressed; ++k)
      suppressed = nms_suppresses(kept_boxes[k], box, t.iou);
    if (suppressed)
      continue;
    kept_boxes[count] = box;
    kept[count++] = order[c];
  }
  return count;
}

result<cpu_kernel> bind_nms_reference(const node_view& view, std::span<const value_type>) {
  auto params = nms_params_of(view);
  if (!params)
    return params.error();
  cpu_kernel k;
  const auto& p = *params;
  k.workspace_bytes =
    nms_scratch_bytes(p) + static_cast<std::size_t>(p.keep_per_class) * sizeof(std::int64_t);
  k.run = [p](const cpu_buffers& io) {
    const auto t = nms_thresholds_of(p, io);
    const auto* boxes = static_cast<const float*>(io.inputs[0]);
    const auto* scores = static_cast<const float*>(io.inputs[1]);
    auto* rows = static_cast<std::int64_t*>(io.outputs[0]);
    auto* kept = reinterpret_cast<std::int64_t*>(static_cast<char*>(io.workspace) +
                                                 nms_scratch_bytes(p));
    std::int64_t row = 0;
    for (std::int64_t b = 0; b < p.batches; ++b)
      for (std::int64_t c = 0; c < p.classes; ++c) {
        const auto n = nms_select(p, t, boxes + b * p.boxes * 4,
                                  scores + (b * p.classes + c) * p.boxes, io.workspace, kept);
        for (std::int64_t j = 0; j < n; ++j, ++row) {
          rows[row * 3] = b;
          rows[row * 3 + 1] = c;
          rows[row * 3 + 2] = kept[j];
        }
      }
    std::fill(rows + row * 3, rows + p.row_bound() * 3, std::int64_t{-1});
  };
  return k;
}

} // namespace hogar::nn
