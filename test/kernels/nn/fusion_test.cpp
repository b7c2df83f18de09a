// fusion_test.cpp: what optimize() rewrites computes what the model as written computes. The
// fast CPU path runs the optimized model (activations fused into Conv and Gemm as epilogues,
// batch norms folded into the Conv before them); the reference runs the model as written, so
// it is the oracle for the rewrite and the fused kernels at once.
#include <string>
#include <vector>

#include "kernels/nn/epilogue.hpp"
#include "kernels/onnx/example_models.hpp"
#include "kernels/onnx/optimize.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

/// Runs `m` on the reference and on the fast path (one and two threads) and checks NMSE.
void check_fast_path_matches(const model_with_inputs& m, double limit = 1e-7) {
  auto expected = run_on(m, nn::device::reference);
  REQUIRE_MESSAGE(expected.has_value(), expected.error().message);
  for (std::size_t threads : {1, 2}) {
    auto actual = run_on(m, nn::device::cpu, threads);
    REQUIRE_MESSAGE(actual.has_value(), actual.error().message);
    REQUIRE(actual->size() == expected->size());
    for (std::size_t o = 0; o < actual->size(); ++o) {
      const auto error = nmse((*actual)[o], (*expected)[o]);
      CHECK_MESSAGE(error <= limit, "output ", o, " on ", threads, " thread(s): NMSE ", error);
    }
  }
}

std::size_t count_op(const onnx::model_graph& m, std::string_view op) {
  std::size_t n = 0;
  for (auto& node : m.nodes)
    n += node.op_type == op;
  return n;
}

/// Conv (3x3, 16 -> 24 channels, pad 1) then one activation node of `act`.
model_with_inputs conv_then(const std::string& act, std::vector<onnx::attribute> act_attrs,
                            std::vector<operand> extra, std::int64_t opset = 13) {
  model_builder b{opset, 11};
  auto x = b.value(data({2, 16, 12, 12}));
  auto w = b.value(weight({24, 16, 3, 3}));
  auto bias = b.value(weight({24}));
  auto y = b.node("Conv", {x, w, bias}, {ints("pads", {1, 1, 1, 1})});
  std::vector<std::string> inputs{y};
  for (auto& e : extra)
    inputs.push_back(b.value(e));
  return b.finish(b.node(act, inputs, std::move(act_attrs)));
}

TEST_CASE("an activation after a Conv becomes its epilogue and the answers stay the same") {
  struct fusion {
    std::string op;
    std::vector<onnx::attribute> attributes;
    std::vector<operand> bounds;
    std::int64_t opset = 13;
  };
  const std::vector<fusion> fusions = {
    {"Relu", {}, {}},
    {"LeakyRelu", {attr("alpha", 0.3f)}, {}},
    {"Sigmoid", {}, {}},
    {"Tanh", {}, {}},
    {"Clip", {}, {constant(tensor::scalar(0.0f)), constant(tensor::scalar(0.6f))}},
    {"Clip", {attr("min", -0.1f), attr("max", 0.2f)}, {}, 6},
  };
  for (auto& f : fusions) {
    INFO(f.op, " (opset ", f.opset, ")");
    auto m = conv_then(f.op, f.attributes, f.bounds, f.opset);
    auto optimized = onnx::optimize(*m.model);
    REQUIRE(optimized.nodes.size() == 1);
    auto e = nn::epilogue_of(optimized.nodes[0]);
    REQUIRE(e.has_value());
    CHECK(e->kind != nn::activation::none);
    check_fast_path_matches(m);
  }
}

TEST_CASE("a Clip whose bounds are request inputs is not fused and still runs") {
  auto m = conv_then("Clip", {}, {data({}), data({})});
  CHECK(onnx::optimize(*m.model).nodes.size() == 2);
  check_fast_path_matches(m);
}

TEST_CASE("a Relu after a Gemm becomes its epilogue and the answers stay the same") {
  model_builder b{13, 5};
  auto x = b.value(data({4, 96}));
  auto w = b.value(weight({64, 96}));
  auto c = b.value(weight({64}));
  auto y = b.node("Gemm", {x, w, c}, {attr("transB", std::int64_t{1})});
  auto m = b.finish(b.node("Relu", {y}));
  CHECK(onnx::optimize(*m.model).nodes.size() == 1);
  check_fast_path_matches(m);
}

TEST_CASE("a BatchNormalization after a Conv folds into its weights, answers unchanged") {
  for (bool conv_bias : {true, false}) {
    INFO("Conv with bias: ", conv_bias);
    model_builder b{15, 21};
    auto x = b.value(data({2, 8, 14, 14}));
    auto w = b.value(weight({16, 8, 3, 3}));
    auto bias = conv_bias ? b.value(weight({16})) : std::string{};
    auto y = b.node("Conv", {x, w, bias}, {ints("pads", {1, 1, 1, 1}), ints("strides", {2, 2})});
    auto scale = b.value(weight({16}));
    auto shift = b.value(weight({16}));
    auto mean = b.value(weight({16}));
    auto var = b.value(positive_weight({16}));
    auto z = b.node("BatchNormalization", {y, scale, shift, mean, var}, {attr("epsilon", 1e-3f)});
    auto m = b.finish(b.node("Relu", {z}));
    auto optimized = onnx::optimize(*m.model);
    CHECK(optimized.nodes.size() == 1);
    CHECK(count_op(optimized, "BatchNormalization") == 0);
    // Folding rounds the weights once more in float32.
    check_fast_path_matches(m, 1e-6);
  }
}

TEST_CASE("a small residual network with a classifier agrees between fast path and reference") {
  // A ResNet-18 in miniature: stem, max pool, one basic block with a downsampling shortcut,
  // global pooling, a classifier and a softmax.
  model_builder b{13, 42};
  auto conv_bn = [&](const std::string& in, std::int64_t c_in, std::int64_t c_out,
                     std::int64_t k, std::int64_t stride) {
    auto w = b.value(weight({c_out, c_in, k, k}));
    const auto p = k / 2;
    auto y = b.node("Conv", {in, w},
                    {ints("pads", {p, p, p, p}), ints("strides", {stride, stride})});
    auto s = b.value(weight({c_out}));
    auto t = b.value(weight({c_out}));
    auto m = b.value(weight({c_out}));
    auto v = b.value(positive_weight({c_out}));
    return b.node("BatchNormalization", {y, s, t, m, v});
  };
  auto x = b.value(data({3, 3, 32, 32}));
  auto stem = b.node("Relu", {conv_bn(x, 3, 16, 7, 2)});
  auto pooled = b.node("MaxPool", {stem}, {ints("kernel_shape", {3, 3}), ints("strides", {2, 2}),
                                          ints("pads", {1, 1, 1, 1})});
  auto a = b.node("Relu", {conv_bn(pooled, 16, 32, 3, 2)});
  auto main_path = conv_bn(a, 32, 32, 3, 1);
  auto shortcut = conv_bn(pooled, 16, 32, 1, 2);
  auto sum = b.node("Relu", {b.node("Add", {main_path, shortcut})});
  auto features = b.node("Flatten", {b.node("GlobalAveragePool", {sum})});
  auto fc_w = b.value(weight({10, 32}));
  auto fc_b = b.value(weight({10}));
  auto logits = b.node("Gemm", {features, fc_w, fc_b}, {attr("transB", std::int64_t{1})});
  auto m = b.finish(b.node("Softmax", {logits}, {attr("axis", std::int64_t{1})}));
  auto optimized = onnx::optimize(*m.model);
  CHECK(count_op(optimized, "BatchNormalization") == 0);
  CHECK(count_op(optimized, "Relu") == 1); // the one after Add: Add has no epilogue
  check_fast_path_matches(m, 1e-6);
}

/// The node of `op` in `m` (the first), or null.
const onnx::node* find_op(const onnx::model_graph& m, std::string_view op) {
  for (auto& n : m.nodes)
    if (n.op_type == op)
      return &n;
  return nullptr;
}

/// The ways torch.onnx and hand-written models spell a LayerNorm over the last axis before
/// opset 17.
struct layer_norm_spelling {
  bool square_as_mul = false;   // d * d instead of Pow(d, 2)
  bool swapped = false;         // constants first in Add and Mul
  bool axes_input = false;      // ReduceMean's axes as an input (opset 18)
  bool scale = true;
  bool bias = true;
  bool extra_reader = false;    // d (x - mean) is also read outside the pattern
};

model_with_inputs spelled_layer_norm(const layer_norm_spelling& s) {
  model_builder b{s.axes_input ? 18 : 13, 31};
  auto x = b.value(data({2, 6, 32}));
  auto reduce = [&](const std::string& in) {
    if (s.axes_input)
      return b.node("ReduceMean",
                    {in, b.value(constant(tensor::from_values<std::int64_t>({1}, {-1})))});
    return b.node("ReduceMean", {in}, {ints("axes", {-1})});
  };
  auto both = [&](const std::string& op, const std::string& v, const std::string& c) {
    return s.swapped ? b.node(op, {c, v}) : b.node(op, {v, c});
  };
  auto mean = reduce(x);
  auto d = b.node("Sub", {x, mean});
  auto square = s.square_as_mul ? b.node("Mul", {d, d})
                                : b.node("Pow", {d, b.value(constant(tensor::scalar(2.0f)))});
  auto var = reduce(square);
  auto sd = b.node("Sqrt", {both("Add", var, b.value(constant(tensor::scalar(1e-5f))))});
  auto y = b.node("Div", {d, sd});
  if (s.scale)
    y = both("Mul", y, b.value(positive_weight({32})));
  if (s.bias)
    y = both("Add", y, b.value(weight({32})));
  if (s.extra_reader)
    y = b.node("Add", {y, d});
  return b.finish(y);
}

TEST_CASE("a LayerNorm spelled out as torch.onnx exports it becomes one LayerNormalization") {
  std::vector<layer_norm_spelling> spellings(6);
  spellings[1].square_as_mul = true;
  spellings[2].swapped = true;
  spellings[3].axes_input = true;
  spellings[4].scale = false;
  spellings[4].bias = false;
  spellings[5].bias = false;
  spellings[5].square_as_mul = true;
  for (std::size_t i = 0; i < spellings.size(); ++i) {
    INFO("spelling ", i);
    auto m = spelled_layer_norm(spellings[i]);
    auto optimized = onnx::optimize(*m.model);
    REQUIRE(optimized.nodes.size() == 1);
    const auto& ln = optimized.nodes[0];
    CHECK(ln.op_type == "LayerNormalization");
    CHECK(ln.inputs.size() == (spellings[i].bias ? 3u : 2u));
    CHECK(onnx::attribute_reader{ln}.get_float("epsilon", 0.0f).value() == 1e-5f);
    CHECK(onnx::attribute_reader{ln}.get_int("axis", 0).value() == -1);
    check_fast_path_matches(m, 1e-9);
  }
}

TEST_CASE("a spelled-out LayerNorm whose centred values have another reader is left as written") {
  layer_norm_spelling s;
  s.extra_reader = true;
  auto m = spelled_layer_norm(s);
  auto optimized = onnx::optimize(*m.model);
  CHECK(count_op(optimized, "LayerNormalization") == 0);
  CHECK(count_op(optimized, "ReduceMean") == 2);
  check_fast_path_matches(m, 1e-9);
}

TEST_CASE("a spelled-out LayerNorm whose epsilon comes with the request is left as written") {
  model_builder b{13, 3};
  auto x = b.value(data({4, 16}));
  auto mean = b.node("ReduceMean", {x}, {ints("axes", {-1})});
  auto d = b.node("Sub", {x, mean});
  auto var = b.node("ReduceMean", {b.node("Mul", {d, d})}, {ints("axes", {-1})});
  auto eps = b.value(given(tensor::scalar(1e-3f)));
  auto m = b.finish(b.node("Div", {d, b.node("Sqrt", {b.node("Add", {var, eps})})}));
  CHECK(count_op(onnx::optimize(*m.model), "LayerNormalization") == 0);
  check_fast_path_matches(m, 1e-9);
}

/// Gelu as torch.onnx spells it with Erf, after a dense layer (MatMul + Add bias) when
/// `dense`; `form` 0: (x * gate) * 0.5, 1: (x * 0.5) * gate, 2: x * (1/sqrt 2) and the
/// constants first.
model_with_inputs spelled_gelu(int form, bool dense, bool extra_reader = false) {
  model_builder b{13, 17};
  auto x = b.value(data({2, 5, 16}));
  if (dense) {
    x = b.node("MatMul", {x, b.value(weight({16, 24}))});
    x = b.node("Add", {x, b.value(weight({24}))});
  }
  auto c = [&](float v) { return b.value(constant(tensor::scalar(v))); };
  auto scaled = form == 2 ? b.node("Mul", {c(0.70710678f), x}) : b.node("Div", {x, c(1.4142135f)});
  auto erf = b.node("Erf", {scaled});
  auto gate = form == 2 ? b.node("Add", {c(1.0f), erf}) : b.node("Add", {erf, c(1.0f)});
  std::string y;
  if (form == 1)
    y = b.node("Mul", {b.node("Mul", {x, c(0.5f)}), gate});
  else if (form == 2)
    y = b.node("Mul", {c(0.5f), b.node("Mul", {gate, x})});
  else
    y = b.node("Mul", {b.node("Mul", {x, gate}), c(0.5f)});
  if (extra_reader)
    y = b.node("Add", {y, erf});
  return b.finish(y);
}

TEST_CASE("Gelu spelled with Erf becomes one Gelu node, in each order torch.onnx writes") {
  for (int form : {0, 1, 2}) {
    INFO("form ", form);
    auto m = spelled_gelu(form, false);
    auto optimized = onnx::optimize(*m.model);
    REQUIRE(optimized.nodes.size() == 1);
    CHECK(optimized.nodes[0].op_type == "Gelu");
    check_fast_path_matches(m, 1e-9);
  }
}

TEST_CASE("Gelu spelled with Erf after MatMul + Add becomes the MatMul's bias and epilogue") {
  for (int form : {0, 1, 2}) {
    INFO("form ", form);
    auto m = spelled_gelu(form, true);
    auto optimized = onnx::optimize(*m.model);
    REQUIRE(optimized.nodes.size() == 1);
    const auto& mm = optimized.nodes[0];
    CHECK(mm.op_type == "MatMul");
    CHECK(mm.inputs.size() == 3);
    auto e = nn::epilogue_of(mm);
    REQUIRE(e.has_value());
    CHECK(e->kind == nn::activation::gelu);
    check_fast_path_matches(m, 1e-9);
  }
}

TEST_CASE("Gelu spelled with Erf whose Erf has another reader is left as written") {
  auto m = spelled_gelu(0, true, true);
  auto optimized = onnx::optimize(*m.model);
  CHECK(count_op(optimized, "Gelu") == 0);
  CHECK(count_op(optimized, "Erf") == 1);
  CHECK(count_op(optimized, "Add") == 2);  // Erf + 1 and the extra reader; the bias is fused
  check_fast_path_matches(m, 1e-9);
}

/// Conv then x * Sigmoid(x); with `extra_reader`, the Conv's output is read once more.
model_with_inputs conv_silu(bool sigmoid_first, bool extra_reader) {
  model_builder b{13, 7};
  auto x = b.value(data({2, 8, 10, 10}));
  auto y = b.node("Conv", {x, b.value(weight({12, 8, 3, 3})), b.value(weight({12}))},
                  {ints("pads", {1, 1, 1, 1})});
  auto s = b.node("Sigmoid", {y});
  auto z = sigmoid_first ? b.node("Mul", {s, y}) : b.node("Mul", {y, s});
  if (extra_reader)
    z = b.node("Add", {z, y});
  return b.finish(z);
}

TEST_CASE("SiLU after a Conv becomes its Silu epilogue and the answers stay the same") {
  for (bool sigmoid_first : {false, true}) {
    INFO("Sigmoid first: ", sigmoid_first);
    auto m = conv_silu(sigmoid_first, false);
    auto optimized = onnx::optimize(*m.model);
    REQUIRE(optimized.nodes.size() == 1);
    auto e = nn::epilogue_of(optimized.nodes[0]);
    REQUIRE(e.has_value());
    CHECK(e->kind == nn::activation::silu);
    check_fast_path_matches(m);
  }
}

TEST_CASE("SiLU after a Conv whose output has another reader is left as written") {
  auto m = conv_silu(false, true);
  auto optimized = onnx::optimize(*m.model);
  CHECK(count_op(optimized, "Sigmoid") == 1);
  CHECK(nn::epilogue_of(*find_op(optimized, "Conv"))->kind == nn::activation::none);
  check_fast_path_matches(m);
}

TEST_CASE("MatMul + Add of a constant bias becomes one MatMul with the bias fused") {
  for (auto a_shape : {shape_t{7, 16}, shape_t{3, 7, 16}, shape_t{2, 2, 5, 16}}) {
    for (bool bias_first : {false, true}) {
      INFO("A ", to_string(a_shape), ", bias first: ", bias_first);
      model_builder b{13, 9};
      auto x = b.value(data(a_shape));
      auto y = b.node("MatMul", {x, b.value(weight({16, 40}))});
      auto bias = b.value(weight({40}));
      auto m = b.finish(bias_first ? b.node("Add", {bias, y}) : b.node("Add", {y, bias}));
      auto optimized = onnx::optimize(*m.model);
      REQUIRE(optimized.nodes.size() == 1);
      CHECK(optimized.nodes[0].inputs.size() == 3);
      CHECK(onnx::attribute_reader{optimized.nodes[0]}.get_int(nn::fused_bias_attr, 0).value() == 1);
      check_fast_path_matches(m, 1e-9);
    }
  }
}

TEST_CASE("MatMul + Add is left as written when the product has another reader or the bias "
          "is no constant row") {
  SUBCASE("another reader") {
    model_builder b{13, 9};
    auto x = b.value(data({3, 7, 16}));
    auto y = b.node("MatMul", {x, b.value(weight({16, 40}))});
    auto z = b.node("Add", {y, b.value(weight({40}))});
    auto m = b.finish(b.node("Mul", {z, y}));
    auto optimized = onnx::optimize(*m.model);
    CHECK(count_op(optimized, "Add") == 1);
    CHECK(find_op(optimized, "MatMul")->inputs.size() == 2);
    check_fast_path_matches(m, 1e-9);
  }
  SUBCASE("a bias of another shape") {
    model_builder b{13, 9};
    auto x = b.value(data({3, 7, 16}));
    auto y = b.node("MatMul", {x, b.value(weight({16, 40}))});
    auto m = b.finish(b.node("Add", {y, b.value(weight({7, 40}))}));
    CHECK(count_op(onnx::optimize(*m.model), "Add") == 1);
    check_fast_path_matches(m, 1e-9);
  }
  SUBCASE("a bias that comes with the request") {
    model_builder b{13, 9};
    auto x = b.value(data({3, 7, 16}));
    auto y = b.node("MatMul", {x, b.value(weight({16, 40}))});
    auto m = b.finish(b.node("Add", {y, b.value(data({40}))}));
    CHECK(count_op(onnx::optimize(*m.model), "Add") == 1);
    check_fast_path_matches(m, 1e-9);
  }
}

TEST_CASE("the BERT example's LayerNorms, Gelus and dense biases are fused") {
  auto* example = onnx::find_example_model("bert");
  REQUIRE(example != nullptr);
  auto model = example->build(1);
  auto optimized = onnx::optimize(model);
  CHECK(count_op(optimized, "LayerNormalization") == 5);
  for (auto op : {"ReduceMean", "Sqrt", "Pow", "Erf", "Gelu"})
    CHECK_MESSAGE(count_op(optimized, op) == 0, op);
  std::size_t fused_dense = 0, fused_gelu = 0;
  for (auto& n : optimized.nodes) {
    if (n.op_type != "MatMul")
      continue;
    fused_dense += n.inputs.size() == 3;
    fused_gelu += nn::epilogue_of(n)->kind == nn::activation::gelu;
  }
  CHECK(fused_dense == 12);  // 6 dense layers in each of 2 layers
  CHECK(fused_gelu == 2);
}

} // namespace
} // namespace hogar::test
