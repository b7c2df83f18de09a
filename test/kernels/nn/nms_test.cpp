// nms_test.cpp: NonMaxSuppression (kernels/nn/nms*): the boxes it keeps and their order, the
// same rows on every path, rows counted when it runs, and what plans refuse. Debian's ONNX
// backend cases (conformance_cases.cmake) check ONNX's own examples.
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/nn/nms.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

std::vector<nn::device> devices_here() {
  std::vector<nn::device> devices = {nn::device::reference, nn::device::cpu};
  if (cuda_device_count() > 0)
    devices.push_back(nn::device::gpu);
  return devices;
}

/// max_output_boxes_per_class as a constant.
operand bound(std::int64_t keep) { return constant(tensor::from_values<std::int64_t>({1}, {keep})); }

tensor rows_of(std::vector<std::int64_t> v) {
  const auto rows = static_cast<std::int64_t>(v.size() / 3);
  return tensor::from_values<std::int64_t>({rows, 3}, v);
}

/// A one-node NonMaxSuppression model over `boxes` and `scores` (request inputs),
/// max_output_boxes_per_class `keep` (a constant), iou and score thresholds (request inputs).
model_with_inputs nms_model(tensor boxes, tensor scores, std::int64_t keep, float iou,
                            float score, std::vector<onnx::attribute> attributes = {}) {
  return one_node_model("NonMaxSuppression",
                        {given(std::move(boxes)), given(std::move(scores)),
                         bound(keep),
                         given(tensor::from_values<float>({1}, {iou})),
                         given(tensor::from_values<float>({1}, {score}))},
                        std::move(attributes), 11, 1, "nms");
}

TEST_CASE("NonMaxSuppression keeps each class's best boxes, drops overlaps and low scores, ties "
          "lower box first") {
  // Corners [y1, x1, y2, x2]: box 1 overlaps box 0 (IoU 0.82), box 3 is box 2, box 4 stands
  // alone; the second is box 2 flipped (the other diagonal).
  auto boxes = tensor::from_values<float>({1, 5, 4}, {0, 0, 10, 10,   0, 1, 10, 11,
                                                      20, 20, 30, 30, 30, 30, 20, 20,
                                                      50, 50, 60, 60});
  auto scores = tensor::from_values<float>({1, 2, 5}, {0.9f, 0.8f, 0.7f, 0.7f, 0.1f,
                                                       0.1f, 0.95f, 0.3f, 0.3f, 0.5f});
  auto m = nms_model(boxes, scores, 3, 0.5f, 0.2f);
  // Planned for 1 * 2 * 3 rows; 5 kept.
  const auto expected = rows_of({0, 0, 0, 0, 0, 2, 0, 1, 1, 0, 1, 4, 0, 1, 2});
  for (auto d : devices_here()) {
    INFO(nn::to_string(d));
    auto out = run_on(m, d);
    REQUIRE_MESSAGE(out.has_value(), out.error().message);
    CHECK(out->front() == expected);
  }
  // At most one box per class; an IoU threshold of 0.9 keeps box 1 beside box 0.
  for (auto d : devices_here()) {
    INFO(nn::to_string(d));
    auto one = run_on(nms_model(boxes, scores, 1, 0.5f, 0.2f), d);
    REQUIRE_MESSAGE(one.has_value(), one.error().message);
    CHECK(one->front() == rows_of({0, 0, 0, 0, 1, 1}));
    auto loose = run_on(nms_model(boxes, scores, 2, 0.9f, 0.2f), d);
    REQUIRE_MESSAGE(loose.has_value(), loose.error().message);
    CHECK(loose->front() == rows_of({0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 4}));
  }
  // No max_output_boxes_per_class: nothing is kept (ONNX's default, 0).
  auto none = one_node_model("NonMaxSuppression", {given(boxes), given(scores)}, {}, 11, 1);
  auto out = run_on(none, nn::device::cpu);
  REQUIRE_MESSAGE(out.has_value(), out.error().message);
  CHECK(out->front().shape() == shape_t{0, 3});
}

TEST_CASE("NonMaxSuppression gives the reference's rows on every path for a detector's thousands "
          "of candidates") {
  // Two images, 1500 boxes of 20 to 60 pixels as [x_center, y_center, width, height] on a
  // 100 x 100 image, 6 classes, scores uniform in [0, 1): many overlap, some classes keep
  // fewer boxes than they may.
  const std::int64_t items = 2, count = 1500, classes = 6;
  tensor boxes = random_values(dtype::float32, {items, count, 4}, 17, 0.0);
  auto b = boxes.mutable_values<float>();
  for (std::size_t i = 0; i < b.size(); ++i)
    b[i] = i % 4 < 2 ? b[i] * 50 : 20 + b[i] * 20;
  tensor scores = random_values(dtype::float32, {items, classes, count}, 18, 0.0);
  for (auto& s : scores.mutable_values<float>())
    s /= 2;
  auto m = nms_model(boxes, scores, 40, 0.2f, 0.6f, {attr("center_point_box", std::int64_t{1})});
  auto expected = run_on(m, nn::device::reference);
  REQUIRE_MESSAGE(expected.has_value(), expected.error().message);
  const auto& rows = expected->front();
  const auto r = rows.values<std::int64_t>();
  REQUIRE(rows.shape()[0] > 0);
  CHECK(rows.shape()[0] < items * classes * 40);
  // What the reference keeps holds NMS's promises, checked here without its code: each row's
  // score passes, rows go item by item, class by class, best first, and no two kept boxes of
  // one class overlap by more than the threshold.
  auto corners = [&](std::int64_t item, std::int64_t box) {
    return nn::nms_corners(boxes.values<float>().data() + (item * count + box) * 4, true);
  };
  auto score_of = [&](std::size_t row) {
    return scores.values<float>()[static_cast<std::size_t>((r[row * 3] * classes + r[row * 3 + 1]) *
                                                           count + r[row * 3 + 2])];
  };
  for (std::size_t i = 0; i < r.size() / 3; ++i) {
    CHECK(score_of(i) > 0.6f);
    if (i == 0)
      continue;
    const bool same_pair = r[i * 3] == r[i * 3 - 3] && r[i * 3 + 1] == r[i * 3 - 2];
    if (same_pair)
      CHECK(score_of(i) <= score_of(i - 1));
    else
      CHECK(std::pair{r[i * 3], r[i * 3 + 1]} > std::pair{r[i * 3 - 3], r[i * 3 - 2]});
    for (std::size_t j = i; j-- > 0 && r[j * 3] == r[i * 3] && r[j * 3 + 1] == r[i * 3 + 1];)
      CHECK_FALSE(nn::nms_suppresses(corners(r[i * 3], r[i * 3 + 2]),
                                     corners(r[j * 3], r[j * 3 + 2]), 0.2f));
  }
  for (std::size_t threads : {std::size_t{1}, std::size_t{3}}) {
    auto fast = run_on(m, nn::device::cpu, threads);
    REQUIRE_MESSAGE(fast.has_value(), fast.error().message);
    CHECK(fast->front() == rows);
  }
  if (cuda_device_count() > 0) {
    auto gpu = run_on(m, nn::device::gpu);
    REQUIRE_MESSAGE(gpu.has_value(), gpu.error().message);
    CHECK(gpu->front() == rows);
  }
}

TEST_CASE("plans refuse a NonMaxSuppression bound given per request and a node reading its "
          "rows, naming the node") {
  auto boxes = given(random_values(dtype::float32, {1, 8, 4}, 3));
  auto scores = given(random_values(dtype::float32, {1, 2, 8}, 4));
  struct refusal {
    std::string name;
    model_with_inputs model;
    std::string says;
  };
  std::vector<refusal> refusals;
  refusals.push_back({"a bound given with each request",
                      one_node_model("NonMaxSuppression",
                                     {boxes, scores, given(tensor::from_values<std::int64_t>({1}, {3}))},
                                     {}, 11, 1, "nms"),
                      "node 'nms' (NonMaxSuppression): input 2 ('v2', max_output_boxes_per_class) "
                      "must be a constant"});
  refusals.push_back({"boxes of five numbers",
                      one_node_model("NonMaxSuppression",
                                     {data({1, 8, 5}), scores, bound(3)}, {}, 11, 1, "nms"),
                      "node 'nms' (NonMaxSuppression): input 0 ('v0', boxes) is float32[1, 8, 5]"});
  refusals.push_back({"center_point_box 2",
                      one_node_model("NonMaxSuppression", {boxes, scores, bound(3)},
                                     {attr("center_point_box", std::int64_t{2})}, 11, 1, "nms"),
                      "center_point_box"});
  {
    model_builder b{11};
    auto selected = b.node("NonMaxSuppression", {b.value(boxes), b.value(scores),
                                                 b.value(bound(3))}, {}, "nms");
    auto picked = b.node("Cast", {selected}, {attr("to", std::int64_t{1})}, "cast");
    refusals.push_back({"a node reading the rows", b.finish(picked),
                        "node 'cast' (Cast) reads 'nms_out', which node 'nms' (NonMaxSuppression) "
                        "writes with as many rows as it selects"});
  }
  for (auto& r : refusals) {
    INFO(r.name);
    for (auto d : {nn::device::reference, nn::device::cpu}) {
      auto out = run_on(r.model, d);
      REQUIRE_FALSE(out.has_value());
      CHECK_MESSAGE(out.error().message.find(r.says) != std::string::npos, out.error().message);
    }
  }
}

} // namespace
} // namespace hogar::test
