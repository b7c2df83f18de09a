// attention_fusion_test.cpp: attention's scores (MatMul, Div by a constant, Add of a mask,
// Softmax over the last axis) fused into one MatMul by the fast CPU path's plans
// (kernels/onnx/attention_fusion.hpp): where they fuse, where they must not, and that the
// fused kernel (hogar's packed product with AVX2, OpenBLAS and the portable loops without)
// gives the reference's answers on the model as written.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/onnx/attention_fusion.hpp"
#include "kernels/onnx/example_models.hpp"
#include "kernels/onnx/optimize.hpp"
#include "kernels/onnx/plan.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

/// The fast CPU path's plan for `m` after the softmax fusion (or the transposes' with
/// `transposes`): the MatMuls rewritten and the op types left.
std::pair<std::size_t, std::vector<std::string>> fused(const model_with_inputs& m,
                                                       bool transposes = false) {
  auto optimized = std::make_shared<const onnx::model_graph>(onnx::optimize(*m.model));
  auto p = onnx::plan::make(optimized, m.inputs);
  REQUIRE_MESSAGE(p.has_value(), p.error().message);
  auto count = transposes ? onnx::fuse_attention_transposes(*p) : onnx::fuse_attention_softmax(*p);
  std::vector<std::string> ops;
  for (auto& n : p->nodes())
    ops.push_back(n.source->op_type);
  return {count, ops};
}

/// One attention layer as BERT's exports write it: x [batch, seq, heads * 16] split into heads
/// (Reshape, Transpose), scores, softmax, the context merged back (Transpose, Reshape).
/// `perms` replaces the Transposes of q, k, v and the context.
model_with_inputs heads_model(std::int64_t batch, std::int64_t seq,
                              std::vector<std::vector<std::int64_t>> perms = {
                                {0, 2, 1, 3}, {0, 2, 3, 1}, {0, 2, 1, 3}, {0, 2, 1, 3}}) {
  const std::int64_t heads = 2, d = 16;
  model_builder b{13, 11};
  auto heads_shape = b.value(constant(tensor::from_values<std::int64_t>({4}, {0, 0, heads, d})));
  auto split = [&](const std::vector<std::int64_t>& perm) {
    auto x = b.value(data({batch, seq, heads * d}));
    return b.node("Transpose", {b.node("Reshape", {x, heads_shape})}, {ints("perm", perm)});
  };
  auto q = split(perms[0]), k = split(perms[1]), v = split(perms[2]);
  auto scores = b.node("MatMul", {q, k});
  auto scaled = b.node("Div", {scores, b.value(constant(tensor::from_values<float>({}, {4.0f})))});
  auto masked = b.node("Add", {scaled, b.value(data({batch, 1, 1, seq}))});
  auto probs = b.node("Softmax", {masked}, {attr("axis", -1)});
  auto context = b.node("Transpose", {b.node("MatMul", {probs, v})}, {ints("perm", perms[3])});
  auto merged = b.value(constant(tensor::from_values<std::int64_t>({3}, {0, 0, -1})));
  return b.finish(b.node("Reshape", {context, merged}));
}

/// The scores of one attention layer: q [batch, heads, seq, 64] times k' [batch, heads, 64,
/// seq], then `scale_op` by sqrt(64) ("" for none), the mask of `mask_shape` added ({} for
/// none), the softmax over `axis`.
struct scores_case {
  std::int64_t batch = 2, heads = 2, seq = 24;
  std::string scale_op = "Div";
  std::optional<shape_t> mask_shape = shape_t{2, 1, 1, 24};
  std::int64_t axis = -1;
  std::int64_t opset = 13;
};

model_with_inputs scores_model(const scores_case& c) {
  model_builder b{c.opset, 7};
  auto q = b.value(data({c.batch, c.heads, c.seq, 64}));
  auto k = b.value(data({c.batch, c.heads, 64, c.seq}));
  auto x = b.node("MatMul", {q, k});
  if (!c.scale_op.empty()) {
    auto d = b.value(constant(tensor::from_values<float>({}, {8.0f})));
    x = b.node(c.scale_op, {x, d});
  }
  if (c.mask_shape)
    x = b.node("Add", {x, b.value(data(*c.mask_shape))});
  return b.finish(b.node("Softmax", {x}, {attr("axis", c.axis)}));
}

} // namespace

TEST_CASE("attention's scale, mask and softmax fuse into the scores MatMul, answers unchanged") {
  const std::vector<scores_case> cases = {
    {},                                                      // BERT's: Div, mask [B, 1, 1, S]
    {.scale_op = "Mul"},                                     // a Mul by the constant
    {.scale_op = ""},                                        // no scale
    {.mask_shape = std::nullopt},                            // no mask
    {.batch = 1, .seq = 13, .mask_shape = shape_t{13}},      // a row mask, odd length
    {.seq = 8, .mask_shape = shape_t{2, 2, 8, 8}},           // a full mask
    {.seq = 1, .mask_shape = shape_t{2, 1, 1, 1}},           // one token
    {.seq = 40, .mask_shape = shape_t{1, 1, 40, 1}},         // a mask per row, not column
    {.axis = 3, .opset = 11},                                // the last axis, named
    {.axis = -1, .opset = 11},                               // before opset 13: 2-D rows
  };
  for (const auto& c : cases) {
    CAPTURE(c.seq);
    CAPTURE(c.scale_op);
    CAPTURE(c.opset);
    auto m = scores_model(c);
    auto [count, ops] = fused(m);
    CHECK(count == 1);
    CHECK(ops == std::vector<std::string>{"MatMul"});
    check_fast_path_matches_reference(m);
  }
}

TEST_CASE("attention's softmax over another axis, or over more than the last, does not fuse") {
  // Before opset 13 the default axis 1 normalises everything after the batch: not a row.
  for (const auto& c : {scores_case{.axis = 2}, scores_case{.axis = 1, .opset = 11}}) {
    auto m = scores_model(c);
    CHECK(fused(m).first == 0);
    check_fast_path_matches_reference(m);
  }
}

TEST_CASE("attention's scores stay apart where a value in between has another reader") {
  SUBCASE("the scaled scores are read twice") {
    model_builder b{13, 3};
    auto s = b.node("MatMul", {b.value(data({2, 16, 8})), b.value(data({2, 8, 16}))});
    auto scaled = b.node("Div", {s, b.value(constant(tensor::from_values<float>({}, {4.0f})))});
    auto p = b.node("Softmax", {scaled}, {attr("axis", -1)});
    auto m = b.finish(b.node("Add", {p, scaled}));
    auto [count, ops] = fused(m);
    CHECK(count == 0);
    check_fast_path_matches_reference(m);
  }
  SUBCASE("the divisor is the product, not the constant") {
    model_builder b{13, 3};
    auto s = b.node("MatMul", {b.value(data({2, 16, 8})), b.value(data({2, 8, 16}))});
    auto inverted = b.node("Div", {b.value(constant(tensor::from_values<float>({}, {4.0f}))), s});
    auto m = b.finish(b.node("Softmax", {inverted}, {attr("axis", -1)}));
    CHECK(fused(m).first == 0);
    check_fast_path_matches_reference(m);
  }
  SUBCASE("a mask computed after the product, or larger than it") {
    model_builder b{13, 3};
    auto s = b.node("MatMul", {b.value(data({2, 16, 8})), b.value(data({2, 8, 16}))});
    auto mask = b.node("Relu", {b.value(data({2, 16, 16}))});
    auto m = b.finish(b.node("Softmax", {b.node("Add", {s, mask})}, {attr("axis", -1)}));
    CHECK(fused(m).first == 0);
    check_fast_path_matches_reference(m);

    model_builder wide{13, 3};
    auto s2 = wide.node("MatMul", {wide.value(data({16, 8})), wide.value(data({8, 16}))});
    auto big = wide.node("Add", {s2, wide.value(data({3, 16, 16}))});
    auto m2 = wide.finish(wide.node("Softmax", {big}, {attr("axis", -1)}));
    CHECK(fused(m2).first == 0);
    check_fast_path_matches_reference(m2);
  }
  SUBCASE("a MatMul without a softmax after it") {
    model_builder b{13, 3};
    auto s = b.node("MatMul", {b.value(data({2, 16, 8})), b.value(data({2, 8, 16}))});
    auto m = b.finish(b.node("Add", {s, b.value(data({2, 1, 16}))}));
    CHECK(fused(m).first == 0);
  }
}

TEST_CASE("attention's masked positions of -inf and NaN scores give the reference's answers when fused") {
  // Half the keys masked with -inf as some exporters write it (Where(mask, 0, -inf)); one
  // query row holding NaN, whose softmax is NaN on both paths.
  const std::int64_t seq = 12;
  tensor mask{dtype::float32, {1, 1, 1, seq}};
  auto mv = mask.mutable_values<float>();
  for (std::int64_t j = 0; j < seq; ++j)
    mv[static_cast<std::size_t>(j)] = j % 2 ? -INFINITY : 0.0f;
  auto q = random_values(dtype::float32, {1, 2, seq, 16}, 5);
  q.mutable_values<float>()[3 * 16] = NAN;
  model_builder b{13, 3};
  auto s = b.node("MatMul", {b.value(given(q)), b.value(data({1, 2, 16, seq}))});
  auto scaled = b.node("Div", {s, b.value(constant(tensor::from_values<float>({}, {4.0f})))});
  auto m = b.finish(b.node("Softmax", {b.node("Add", {scaled, b.value(given(mask))})},
                           {attr("axis", -1)}));
  CHECK(fused(m).first == 1);
  check_fast_path_matches_reference(m);
}

TEST_CASE("attention's Transposes that split and merge the heads fold into its MatMuls") {
  for (auto [batch, seq] : {std::pair{2, 24}, std::pair{1, 7}, std::pair{3, 1}}) {
    CAPTURE(seq);
    auto m = heads_model(batch, seq);
    auto [count, ops] = fused(m, true);
    CHECK(count == 2);
    CHECK(ops == std::vector<std::string>{"MatMul", "Div", "Add", "Softmax", "MatMul"});
    check_fast_path_matches_reference(m);
  }
}

TEST_CASE("attention's Transposes that move a last axis it needs in place stay as written") {
  // A's columns and the product's columns must stay contiguous; B may be read either way. With
  // seq = d = 16 every product below is defined.
  const std::vector<std::int64_t> keep{0, 2, 1, 3}, swap_last{0, 2, 3, 1};
  auto m = heads_model(2, 16, {swap_last, keep, swap_last, {0, 1, 3, 2}});
  auto [count, ops] = fused(m, true);
  CHECK(count == 2);  // B of both products folds; q's and the context's Transposes stay
  CHECK(std::count(ops.begin(), ops.end(), "Transpose") == 2);
  check_fast_path_matches_reference(m);
}

TEST_CASE("attention's Transposes stay apart from a dense layer, whose weights are packed once") {
  model_builder b{13, 4};
  auto x = b.node("Transpose", {b.value(data({2, 5, 3, 8}))}, {ints("perm", {0, 2, 1, 3})});
  auto m = b.finish(b.node("MatMul", {x, b.value(weight({8, 16}))}));
  auto [count, ops] = fused(m, true);
  CHECK(count == 0);
  CHECK(ops == std::vector<std::string>{"Transpose", "MatMul"});
  check_fast_path_matches_reference(m);
}

TEST_CASE("attention's Transposes read by a second node stay as written") {
  model_builder b{13, 4};
  auto q = b.node("Transpose", {b.value(data({2, 5, 3, 8}))}, {ints("perm", {0, 2, 1, 3})});
  auto product = b.node("MatMul", {q, b.value(data({2, 3, 8, 5}))});
  auto m = b.finish(b.node("Add", {product, b.node("MatMul", {q, b.value(data({2, 3, 8, 5}))})}));
  CHECK(fused(m, true).first == 0);
  check_fast_path_matches_reference(m);
}

TEST_CASE("attention's fusions leave a MatMul of a vector (a 1-D operand) as written") {
  // numpy drops the vector's dimension from the output: its last axis, or its rank, is then
  // not the product's.
  SUBCASE("a softmax after a product by a vector B") {
    model_builder b{13, 8};
    auto s = b.node("MatMul", {b.value(data({2, 3, 4})), b.value(data({4}))});
    auto m = b.finish(b.node("Softmax", {s}, {attr("axis", -1)}));
    CHECK(fused(m).first == 0);
    check_fast_path_matches_reference(m);
  }
  SUBCASE("a mask and a softmax after a product of a vector A") {
    model_builder b{13, 8};
    auto s = b.node("MatMul", {b.value(data({4})), b.value(data({2, 4, 5}))});
    auto masked = b.node("Add", {s, b.value(data({2, 5}))});
    auto m = b.finish(b.node("Softmax", {masked}, {attr("axis", -1)}));
    CHECK(fused(m).first == 0);
    check_fast_path_matches_reference(m);
  }
  SUBCASE("a Transpose of a product by a vector B, or into one") {
    model_builder b{13, 8};
    auto s = b.node("MatMul", {b.value(data({2, 3, 4, 5})), b.value(data({5}))});
    auto m = b.finish(b.node("Transpose", {s}, {ints("perm", {1, 0, 2})}));
    CHECK(fused(m, true).first == 0);
    check_fast_path_matches_reference(m);
    model_builder c{13, 8};
    auto x = c.node("Transpose", {c.value(data({3, 2, 4}))}, {ints("perm", {1, 0, 2})});
    auto m2 = c.finish(c.node("MatMul", {x, c.value(data({4}))}));
    CHECK(fused(m2, true).first == 0);
    check_fast_path_matches_reference(m2);
  }
}

TEST_CASE("the BERT example's attention runs as one fused MatMul per layer") {
  auto* example = onnx::find_example_model("bert");
  REQUIRE(example != nullptr);
  auto graph = std::make_shared<const onnx::model_graph>(onnx::optimize(example->build(1)));
  const std::vector<shape_t> shapes{{2, 16}, {2, 16}};
  auto p = onnx::plan::make(graph, shapes);
  REQUIRE_MESSAGE(p.has_value(), p.error().message);
  CHECK(onnx::fuse_attention_softmax(*p) == 2);
  CHECK(onnx::fuse_attention_transposes(*p) == 4);  // scores and context of both layers
  for (auto& n : p->nodes()) {
    CHECK(n.source->op_type != "Softmax");
    CHECK(n.source->op_type != "Transpose");
  }
}

} // namespace hogar::test
