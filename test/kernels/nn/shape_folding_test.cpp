// shape_folding_test.cpp: the shape arithmetic exporters write (Shape -> Gather -> Unsqueeze ->
// Concat -> Reshape, ConstantOfShape of a computed shape) folded by plans into constants for
// each input shape (kernels/nn/shape_query.hpp, plan.cpp), and Gather's indices checked per
// request.
#include <string>
#include <vector>

#include "kernels/onnx/plan.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

tensor int64s(shape_t shape, std::vector<std::int64_t> values) {
  return tensor::from_values<std::int64_t>(std::move(shape), values);
}

/// The op types of the nodes a plan for `inputs` runs.
std::vector<std::string> planned_ops(const model_with_inputs& m) {
  auto p = onnx::plan::make(m.model, m.inputs);
  REQUIRE_MESSAGE(p.has_value(), p.error().message);
  std::vector<std::string> ops;
  for (auto& n : p->nodes())
    ops.push_back(n.source->op_type);
  return ops;
}

/// Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) then Relu: x flattened per batch
/// row, as torch.flatten(x, 1) exports at opset 13.
model_with_inputs flatten_by_shape_arithmetic(std::int64_t batch) {
  model_builder b{13, 3};
  auto x = b.value(data({batch, 8, 4, 4}));
  auto shape = b.node("Shape", {x});
  auto rows = b.node("Gather", {shape, b.value(constant(int64s({}, {0})))},
                     {attr("axis", std::int64_t{0})});
  auto rows_1d = b.node("Unsqueeze", {rows, b.value(constant(int64s({1}, {0})))});
  auto target = b.node("Concat", {rows_1d, b.value(constant(int64s({1}, {-1})))},
                       {attr("axis", std::int64_t{0})});
  return b.finish(b.node("Relu", {b.node("Reshape", {x, target})}));
}

} // namespace

TEST_CASE("a Reshape whose shape is computed from Shape, Gather, Unsqueeze and Concat plans as a "
          "view, for every batch size") {
  for (std::int64_t batch : {1, 3, 7}) {
    CAPTURE(batch);
    auto m = flatten_by_shape_arithmetic(batch);
    // Only the Relu runs: the shape arithmetic folded, the Reshape is a view.
    CHECK(planned_ops(m) == std::vector<std::string>{"Relu"});
    auto out = run_on(m, nn::device::cpu);
    REQUIRE_MESSAGE(out.has_value(), out.error().message);
    CHECK((*out)[0].shape() == shape_t{batch, 128});
    check_fast_path_matches_reference(m);
  }
}

TEST_CASE("ConstantOfShape of a computed shape folds; of a request's values it is refused "
          "naming the input") {
  model_builder b{13, 4};
  auto x = b.value(data({2, 3, 5}));
  auto ones = b.node("ConstantOfShape", {b.node("Shape", {x})},
                     {attr("value", tensor::from_values<float>({1}, {1.0f}))});
  auto m = b.finish(b.node("Add", {x, ones}));
  CHECK(planned_ops(m) == std::vector<std::string>{"Add"});
  auto out = run_on(m, nn::device::cpu);
  REQUIRE_MESSAGE(out.has_value(), out.error().message);
  auto got = (*out)[0].values<float>();
  auto in = m.inputs[0].values<float>();
  for (std::size_t i = 0; i < got.size(); ++i)
    CHECK(got[i] == in[i] + 1.0f);

  model_builder r{13, 5};
  auto shape = r.value(given(int64s({2}, {2, 2})));
  auto refused = r.finish(r.node("ConstantOfShape", {shape}, {}, "fill"));
  auto p = onnx::plan::make(refused.model, refused.inputs);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().message.find("node 'fill' (ConstantOfShape)") != std::string::npos);
  CHECK(p.error().message.find("must be a constant") != std::string::npos);
}

TEST_CASE("Gather looks up a request's indices, negative ones from the back, and an index "
          "outside the axis fails that batch alone, naming the node") {
  model_builder b{13, 6};
  auto table = b.value(weight({10, 4}));
  auto ids = b.value(given(int64s({2, 3}, {0, 9, -1, 4, 4, 2})));
  auto m = b.finish(b.node("Gather", {table, ids}, {attr("axis", std::int64_t{0})}, "embed"));
  for (auto d : {nn::device::reference, nn::device::cpu}) {
    CAPTURE(nn::to_string(d));
    auto out = run_on(m, d);
    REQUIRE_MESSAGE(out.has_value(), out.error().message);
    REQUIRE((*out)[0].shape() == shape_t{2, 3, 4});
    const auto& weights = m.model->initializers.begin()->second;
    auto w = weights.values<float>();
    auto y = (*out)[0].values<float>();
    const std::int64_t rows[] = {0, 9, 9, 4, 4, 2};
    for (std::size_t j = 0; j < 6; ++j)
      for (std::size_t k = 0; k < 4; ++k)
        CHECK(y[j * 4 + k] == w[static_cast<std::size_t>(rows[j]) * 4 + k]);

    onnx::executor_options options;
    options.device = d;
    auto exec = onnx::make_executor(m.model, options);
    REQUIRE(exec.has_value());
    std::vector<tensor> bad = {int64s({2, 3}, {0, 1, 2, 10, 4, 5})};
    auto failed = (*exec)->run(bad);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().message.find("embed") != std::string::npos);
    CHECK(failed.error().message.find("index 10") != std::string::npos);
    // The executor serves the next batch.
    std::vector<tensor> good = {int64s({2, 3}, {1, 1, 1, 1, 1, 1})};
    CHECK((*exec)->run(good).has_value());
  }
}

} // namespace hogar::test
