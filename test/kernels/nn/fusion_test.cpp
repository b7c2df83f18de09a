// fusion_test.cpp: what optimize() rewrites computes what the model as written computes. The
// fast CPU path runs the optimized model (activations fused into Conv and Gemm as epilogues,
// batch norms folded into the Conv before them); the reference runs the model as written, so
// it is the oracle for the rewrite and the fused kernels at once.
#include <string>
#include <vector>

#include "kernels/nn/epilogue.hpp"
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

} // namespace
} // namespace hogar::test
