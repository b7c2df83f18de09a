#include "kernels/ops/detected.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "../fixture.hpp"

using namespace hogar;
using namespace hogar::test;

namespace {

using strings = std::vector<std::string>;

const strings labels{"person", "car", "dog"};

/// What a detector's output holds for one request of 4 boxes (no batch dimension): scores
/// [3 classes, 4 boxes] and the kept rows [item, class, box].
record detections(std::vector<std::int64_t> rows) {
  std::vector<float> scores{0.9f, 0.1f, 0.2f, 0.3f,   // person
                            0.1f, 0.8f, 0.4f, 0.6f,   // car
                            0.0f, 0.05f, 0.7f, 0.1f}; // dog
  const auto k = static_cast<std::int64_t>(rows.size() / 3);
  return record{{"boxes", tensor{dtype::float32, {4, 4}}},
                {"scores", make<float>({3, 4}, scores)},
                {"selected", make<std::int64_t>({k, 3}, rows)}};
}

std::int64_t count_of(const op_output& out) {
  const auto& t = get(out, "detections");
  CHECK(t.type() == dtype::int64);
  CHECK(t.rank() == 0);
  return t.values<std::int64_t>()[0];
}

float score_of(const op_output& out) {
  const auto& t = get(out, "score");
  CHECK(t.type() == dtype::float32);
  CHECK(t.rank() == 0);
  return t.values<float>()[0];
}

bool condition_of(const op_output& out) {
  const auto& c = get(out, condition_tensor_name);
  CHECK(c.type() == dtype::boolean);
  CHECK(c.rank() == 0);
  return c.values<bool>()[0];
}

std::string error_of(operation& op, const record& in) {
  auto out = call1(op, in);
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == errc::invalid_argument);
  return out.error().message;
}

record_signature sig(std::vector<tensor_signature> tensors) {
  return record_signature{std::move(tensors), false};
}

result<record_signature> signature_of(const graph::operator_spec& spec,
                                      std::vector<record_signature> inputs) {
  operation_context context;
  return output_signature(signature_call{spec, inputs, context});
}

std::string signature_error(const graph::operator_spec& spec, record_signature input) {
  auto out = signature_of(spec, {std::move(input)});
  REQUIRE_FALSE(out.has_value());
  return out.error().message;
}

} // namespace

TEST_CASE("detected counts the kept boxes of its label and keeps the best score") {
  auto op = make_op(make_spec("detected", {{"labels", labels}, {"label", std::string{"car"}}}));
  // Kept: person box 0, car boxes 1 and 3, dog box 2.
  auto out = ok(call1(*op, detections({0, 0, 0, 0, 1, 1, 0, 1, 3, 0, 2, 2})));
  REQUIRE(out.value.size() == 3);
  CHECK(count_of(out) == 2);
  CHECK(score_of(out) == doctest::Approx(0.8));
  CHECK(condition_of(out));
  // Car box 2 scores 0.4 but was not kept: it does not count.
  auto none = ok(call1(*op, detections({0, 0, 0, 0, 2, 2})));
  CHECK(count_of(none) == 0);
  CHECK(score_of(none) == 0);
  CHECK_FALSE(condition_of(none));
}

TEST_CASE("detected without a label counts the kept boxes of every label") {
  auto op = make_op(make_spec("detected", {{"labels", labels}}));
  auto out = ok(call1(*op, detections({0, 1, 3, 0, 2, 2, 0, 0, 0})));
  CHECK(count_of(out) == 3);
  CHECK(score_of(out) == doctest::Approx(0.9));
  CHECK(condition_of(out));
}

TEST_CASE("detected counts only boxes that score at least the threshold") {
  auto at = [](double threshold, std::string label = "") {
    auto op = make_op(make_spec("detected", {{"labels", labels}, {"label", label},
                                             {"threshold", threshold}}));
    return ok(call1(*op, detections({0, 0, 0, 0, 1, 1, 0, 1, 3, 0, 2, 2})));
  };
  auto cars = at(0.7, "car");
  CHECK(count_of(cars) == 1);
  CHECK(score_of(cars) == doctest::Approx(0.8));
  CHECK(condition_of(cars));
  // The threshold is inclusive: car box 3 scores exactly 0.6f.
  CHECK(count_of(at(static_cast<double>(0.6f), "car")) == 2);
  auto high = at(0.85, "car");
  CHECK(count_of(high) == 0);
  CHECK(score_of(high) == 0);
  CHECK_FALSE(condition_of(high));
  auto any = at(0.75);
  CHECK(count_of(any) == 2); // person 0.9, car 0.8
  CHECK(score_of(any) == doctest::Approx(0.9));
}

TEST_CASE("detected with no kept boxes emits zero detections and a false condition") {
  auto op = make_op(make_spec("detected", {{"labels", labels}}));
  auto out = ok(call1(*op, detections({})));
  CHECK(get(out, "detections").rank() == 0);
  CHECK(count_of(out) == 0);
  CHECK(score_of(out) == 0);
  CHECK_FALSE(condition_of(out));
}

TEST_CASE("detected reads the scores of each row's item in a batched request") {
  auto op = make_op(make_spec("detected", {{"labels", strings{"person", "car"}},
                                           {"label", std::string{"car"}},
                                           {"threshold", 0.5}}));
  // 2 items, 2 classes, 3 boxes.
  std::vector<float> scores{0.1f, 0.2f, 0.3f,  0.4f, 0.45f, 0.2f,   // item 0
                            0.9f, 0.1f, 0.1f,  0.2f, 0.7f,  0.55f}; // item 1
  auto in = [&](std::vector<std::int64_t> rows) {
    const auto k = static_cast<std::int64_t>(rows.size() / 3);
    return record{{"scores", make<float>({2, 2, 3}, scores)},
                  {"selected", make<std::int64_t>({k, 3}, rows)}};
  };
  // Item 0's cars score below 0.5; item 1's cars boxes 1 and 2 reach it.
  auto out = ok(call1(*op, in({0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 2})));
  CHECK(count_of(out) == 2);
  CHECK(score_of(out) == doctest::Approx(0.7));
  CHECK(condition_of(out));
  auto item0 = ok(call1(*op, in({0, 1, 0, 0, 1, 1})));
  CHECK(count_of(item0) == 0);
  CHECK_FALSE(condition_of(item0));
}

TEST_CASE("detected reads the tensors its parameters name") {
  auto op = make_op(make_spec("detected", {{"labels", labels},
                                           {"selected", std::string{"keep"}},
                                           {"scores", std::string{"conf"}}}));
  auto out = ok(call1(*op, record{{"conf", make<float>({3, 1}, {0.2f, 0.3f, 0.4f})},
                                  {"keep", make<std::int64_t>({1, 3}, {0, 2, 0})}}));
  CHECK(count_of(out) == 1);
  CHECK(score_of(out) == doctest::Approx(0.4));
}

TEST_CASE("detected fails a request whose tensors are missing, naming what the input holds") {
  auto op = make_op(make_spec("detected", {{"labels", labels}}));
  CHECK(error_of(*op, record{{"boxes", tensor{dtype::float32, {4, 4}}},
                             {"scores", tensor{dtype::float32, {3, 4}}}}) ==
        "detected input has no tensor 'selected' (it has: boxes, scores)");
  CHECK(error_of(*op, record{{"selected", tensor{dtype::int64, {0, 3}}}}) ==
        "detected input has no tensor 'scores' (it has: selected)");
}

TEST_CASE("detected fails a request whose selected or scores have the wrong dtype or shape") {
  auto op = make_op(make_spec("detected", {{"labels", labels}}));
  auto with = [](tensor selected, tensor scores) {
    return record{{"scores", std::move(scores)}, {"selected", std::move(selected)}};
  };
  const tensor scores{dtype::float32, {3, 4}};
  const tensor selected{dtype::int64, {1, 3}};
  CHECK(error_of(*op, with(tensor{dtype::int32, {1, 3}}, scores)) ==
        "detected: tensor 'selected' is int32 [1, 3] but must be int64 [k, 3] (rows [item, "
        "class, box])");
  CHECK(error_of(*op, with(tensor{dtype::int64, {1, 2}}, scores)) ==
        "detected: tensor 'selected' is int64 [1, 2] but must be int64 [k, 3] (rows [item, "
        "class, box])");
  CHECK(error_of(*op, with(tensor{dtype::int64, {3}}, scores)) ==
        "detected: tensor 'selected' is int64 [3] but must be int64 [k, 3] (rows [item, class, "
        "box])");
  CHECK(error_of(*op, with(selected, tensor{dtype::float64, {3, 4}})) ==
        "detected: tensor 'scores' is float64 [3, 4] but must be float32 [classes, boxes] or "
        "[items, classes, boxes]");
  CHECK(error_of(*op, with(selected, tensor{dtype::float32, {12}})) ==
        "detected: tensor 'scores' is float32 [12] but must be float32 [classes, boxes] or "
        "[items, classes, boxes]");
  CHECK(error_of(*op, with(selected, tensor{dtype::float32, {1, 1, 3, 4}})) ==
        "detected: tensor 'scores' is float32 [1, 1, 3, 4] but must be float32 [classes, "
        "boxes] or [items, classes, boxes]");
}

TEST_CASE("detected fails a request with a row outside the labels or the scores") {
  auto op = make_op(make_spec("detected", {{"labels", labels}, {"label", std::string{"car"}}}));
  // Every row is checked, also those of other labels.
  CHECK(error_of(*op, detections({0, 1, 1, 0, 3, 0})) ==
        "detected: tensor 'selected' row 1 [0, 3, 0]: class 3 is outside the 3 labels");
  CHECK(error_of(*op, detections({0, -1, 0})) ==
        "detected: tensor 'selected' row 0 [0, -1, 0]: class -1 is outside the 3 labels");
  CHECK(error_of(*op, detections({0, 0, 4})) ==
        "detected: tensor 'selected' row 0 [0, 0, 4]: box 4 is outside tensor 'scores' shape "
        "[3, 4] (4 boxes)");
  CHECK(error_of(*op, detections({0, 1, -2})) ==
        "detected: tensor 'selected' row 0 [0, 1, -2]: box -2 is outside tensor 'scores' shape "
        "[3, 4] (4 boxes)");
  CHECK(error_of(*op, detections({1, 1, 0})) ==
        "detected: tensor 'selected' row 0 [1, 1, 0]: item 1 but tensor 'scores' shape [3, 4] "
        "has no item dimension (the item must be 0)");
  // Scores of fewer classes than labels: a row of a class the scores lack.
  record few{{"scores", make<float>({2, 1}, {0.5f, 0.5f})},
             {"selected", make<std::int64_t>({1, 3}, {0, 2, 0})}};
  CHECK(error_of(*op, few) == "detected: tensor 'selected' row 0 [0, 2, 0]: class 2 is outside "
                              "tensor 'scores' shape [2, 1] (2 classes)");
  record batched{{"scores", tensor{dtype::float32, {2, 3, 4}}},
                 {"selected", make<std::int64_t>({2, 3}, {1, 1, 1, 2, 1, 1})}};
  CHECK(error_of(*op, batched) == "detected: tensor 'selected' row 1 [2, 1, 1]: item 2 is "
                                  "outside tensor 'scores' shape [2, 3, 4] (2 items)");
}

TEST_CASE("detected refuses at construction a label not in labels, no labels, a NaN threshold") {
  auto label = make_operation(make_spec("detected", {{"labels", labels},
                                                     {"label", std::string{"cat"}}},
                                        {}, "car_check"));
  REQUIRE_FALSE(label.has_value());
  CHECK(label.error().message == "operator 'car_check' (detected): parameter 'label': 'cat' is "
                                 "not one of labels [person, car, dog]");
  auto none = make_operation(make_spec("detected", {{"labels", strings{}}}, {}, "car_check"));
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().message ==
        "operator 'car_check' (detected): parameter 'labels': needs at least one label");
  auto nan = make_operation(make_spec("detected", {{"labels", labels},
                                                   {"threshold", std::nan("")}},
                                      {}, "car_check"));
  REQUIRE_FALSE(nan.has_value());
  CHECK(nan.error().message ==
        "operator 'car_check' (detected): parameter 'threshold': must be a number, got NaN");
  auto unnamed = make_operation(make_spec("detected", {{"labels", labels},
                                                       {"scores", std::string{}}},
                                          {}, "car_check"));
  REQUIRE_FALSE(unnamed.has_value());
  CHECK(unnamed.error().message ==
        "operator 'car_check' (detected): parameter 'scores': must name a tensor of the input");
}

TEST_CASE("detected's signature is three scalars, and matches what it emits") {
  auto spec = make_spec("detected", {{"labels", labels}});
  auto s = signature_of(spec, {sig({{"boxes", dtype::float32, {-1, 4}},
                                    {"scores", dtype::float32, {3, -1}},
                                    {"selected", dtype::int64, {-1, 3}}})});
  REQUIRE(s.has_value());
  REQUIRE(s->tensors.size() == 3);
  auto out = ok(call1(*make_op(spec), detections({0, 1, 1})));
  REQUIRE(out.value.size() == 3);
  const std::pair<const char*, dtype> want[] = {
    {"detections", dtype::int64}, {"score", dtype::float32}, {"condition", dtype::boolean}};
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(s->tensors[i].name == want[i].first);
    CHECK(s->tensors[i].type == want[i].second);
    CHECK(s->tensors[i].shape.empty());
    CHECK_FALSE(s->tensors[i].optional);
    CHECK(out.value[i].name == want[i].first);
    CHECK(out.value[i].value.type() == want[i].second);
    CHECK(out.value[i].value.rank() == 0);
  }
  // Batched scores, and scores whose class extent each request decides, are accepted too.
  CHECK(signature_of(spec, {sig({{"scores", dtype::float32, {-1, 3, -1}},
                                 {"selected", dtype::int64, {-1, 3}}})})
          .has_value());
  CHECK(signature_of(spec, {sig({{"scores", dtype::float32, {-1, -1, -1}},
                                 {"selected", dtype::int64, {-1, -1}}})})
          .has_value());
}

TEST_CASE("detected's signature refuses missing tensors, wrong dtypes and a class count that "
          "is not the label count") {
  auto spec = make_spec("detected", {{"labels", labels}});
  const tensor_signature scores{"scores", dtype::float32, {3, -1}, false};
  const tensor_signature selected{"selected", dtype::int64, {-1, 3}, false};
  CHECK(signature_error(spec, sig({{"boxes", dtype::float32, {-1, 4}}, scores})) ==
        "operator 'op' (detected): detected: its input never holds tensor 'selected' (it holds: "
        "boxes, scores)");
  CHECK(signature_error(spec, sig({selected})) ==
        "operator 'op' (detected): detected: its input never holds tensor 'scores' (it holds: "
        "selected)");
  CHECK(signature_error(spec, sig({})) ==
        "operator 'op' (detected): detected: its input never holds tensor 'selected' (it holds: "
        "none)");
  CHECK(signature_error(spec, sig({scores, {"selected", dtype::int32, {-1, 3}}})) ==
        "operator 'op' (detected): detected: tensor 'selected' is int32 [-1, 3] but must be "
        "int64 [k, 3] (rows [item, class, box])");
  CHECK(signature_error(spec, sig({scores, {"selected", dtype::int64, {-1, 4}}})) ==
        "operator 'op' (detected): detected: tensor 'selected' is int64 [-1, 4] but must be "
        "int64 [k, 3] (rows [item, class, box])");
  CHECK(signature_error(spec, sig({{"scores", dtype::float64, {3, -1}}, selected})) ==
        "operator 'op' (detected): detected: tensor 'scores' is float64 [3, -1] but must be "
        "float32 [classes, boxes] or [items, classes, boxes]");
  CHECK(signature_error(spec, sig({{"scores", dtype::float32, {-1}}, selected})) ==
        "operator 'op' (detected): detected: tensor 'scores' is float32 [-1] but must be "
        "float32 [classes, boxes] or [items, classes, boxes]");
  CHECK(signature_error(spec, sig({{"scores", dtype::float32, {4, -1}}, selected})) ==
        "operator 'op' (detected): detected: tensor 'scores' shape [4, -1] holds 4 classes but "
        "parameter 'labels' lists 3 labels");
  CHECK(signature_error(spec, sig({{"scores", dtype::float32, {-1, 80, 100}}, selected})) ==
        "operator 'op' (detected): detected: tensor 'scores' shape [-1, 80, 100] holds 80 "
        "classes but parameter 'labels' lists 3 labels");
  // The parameters name the tensors the signature looks for.
  auto renamed = make_spec("detected", {{"labels", labels}, {"scores", std::string{"conf"}}});
  CHECK(signature_error(renamed, sig({scores, selected})) ==
        "operator 'op' (detected): detected: its input never holds tensor 'conf' (it holds: "
        "scores, selected)");
}
