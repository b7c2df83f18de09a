// errors_test.cpp: a bad model fails when it is planned, on every CPU device, with a message
// that names the node and the attribute or input at fault; nothing throws or crashes.
#include <string>
#include <vector>

#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

struct bad_model {
  std::string what;
  std::string op_type;
  std::vector<operand> operands;
  std::vector<onnx::attribute> attributes;
  /// Must appear in the message, besides the node's description.
  std::string expected;
  std::int64_t opset = 17;
};

std::vector<bad_model> bad_models() {
  const auto x = data({1, 4, 8, 8});
  return {
    {"a group that does not divide the channels", "Conv", {x, weight({6, 2, 3, 3})},
     {attr("group", std::int64_t{3})}, "attribute 'group'"},
    {"weights with the wrong channels per group", "Conv", {x, weight({6, 3, 3, 3})}, {},
     "input W"},
    {"pads of the wrong length", "Conv", {x, weight({6, 4, 3, 3})}, {ints("pads", {1, 1})},
     "attribute 'pads'"},
    {"a zero stride", "Conv", {x, weight({6, 4, 3, 3})}, {ints("strides", {0, 1})},
     "attribute 'strides'"},
    {"an unknown auto_pad", "Conv", {x, weight({6, 4, 3, 3})},
     {attr("auto_pad", std::string{"SAME"})}, "attribute 'auto_pad'"},
    {"a kernel larger than the input", "Conv", {x, weight({6, 4, 9, 9})}, {}, "does not fit"},
    {"kernel_shape that disagrees with W", "Conv", {x, weight({6, 4, 3, 3})},
     {ints("kernel_shape", {5, 5})}, "attribute 'kernel_shape'"},
    {"a bias of the wrong length", "Conv", {x, weight({6, 4, 3, 3}), weight({5})}, {},
     "input B"},
    {"an unknown fused activation", "Conv", {x, weight({6, 4, 3, 3})},
     {attr("hogar_activation", std::string{"Swish"})}, "attribute 'hogar_activation'"},
    {"integer input", "Conv", {data({1, 4, 8, 8}, dtype::int32), weight({6, 4, 3, 3})}, {},
     "input X"},
    {"no kernel_shape", "MaxPool", {x}, {}, "attribute 'kernel_shape'"},
    {"kernel_shape of the wrong rank", "AveragePool", {x}, {ints("kernel_shape", {2})},
     "attribute 'kernel_shape'"},
    {"dilations on AveragePool before opset 19", "AveragePool", {x},
     {ints("kernel_shape", {2, 2}), ints("dilations", {2, 2})}, "attribute 'dilations'"},
    {"a bool input", "MaxPool", {data({1, 4, 8, 8}, dtype::boolean)},
     {ints("kernel_shape", {2, 2})}, "input X"},
    {"training mode", "BatchNormalization",
     {x, weight({4}), weight({4}), weight({4}), positive_weight({4})},
     {attr("training_mode", std::int64_t{1})}, "attribute 'training_mode'"},
    {"spatial 0", "BatchNormalization",
     {x, weight({4}), weight({4}), weight({4}), positive_weight({4})},
     {attr("spatial", std::int64_t{0})}, "attribute 'spatial'", 7},
    {"statistics of the wrong length", "BatchNormalization",
     {x, weight({4}), weight({4}), weight({3}), positive_weight({4})}, {}, "input 3"},
    {"inner dimensions that do not agree", "Gemm", {data({4, 5}), weight({6, 7})}, {},
     "do not multiply"},
    {"a C that does not broadcast", "Gemm", {data({4, 5}), weight({5, 7}), weight({3})}, {},
     "input C"},
    {"a C that needs broadcast 1 before opset 7", "Gemm",
     {data({4, 5}), weight({5, 7}), weight({7})}, {}, "attribute 'broadcast'", 6},
    {"batches that do not broadcast", "MatMul", {data({2, 4, 5}), data({3, 5, 6})}, {},
     "do not broadcast"},
    {"an axis out of range", "Softmax", {data({2, 3})}, {attr("axis", std::int64_t{2})},
     "attribute 'axis'"},
    {"a perm that repeats a dimension", "Transpose", {data({2, 3, 4})}, {ints("perm", {0, 1, 1})},
     "attribute 'perm'"},
    {"inputs whose extents differ off the axis", "Concat", {data({2, 3}), data({3, 3})},
     {attr("axis", std::int64_t{1})}, "input 1"},
    {"no axis", "Concat", {data({2, 3}), data({2, 3})}, {}, "attribute 'axis'"},
    {"a shape given with each request", "Reshape", {data({2, 6}), data({2}, dtype::int64)}, {},
     "must be a constant"},
    {"a shape with two -1", "Reshape",
     {data({2, 6}), constant(tensor::from_values<std::int64_t>({3}, {-1, 2, -1}))}, {},
     "more than one -1"},
    {"a shape of another element count", "Reshape",
     {data({2, 6}), constant(tensor::from_values<std::int64_t>({2}, {5, 2}))}, {}, "elements"},
    {"a flatten axis out of range", "Flatten", {data({2, 3})}, {attr("axis", std::int64_t{3})},
     "attribute 'axis'"},
    {"a Clip bound that is not a scalar", "Clip", {x, weight({2})}, {}, "input 1"},
    {"a Sigmoid of integers", "Sigmoid", {data({3}, dtype::int32)}, {}, "input X"},
    {"no value", "Constant", {}, {}, "no value attribute"},
    {"a Sqrt of integers", "Sqrt", {data({3}, dtype::int32)}, {}, "input X"},
    {"a Neg of unsigned integers", "Neg", {data({3}, dtype::uint8)}, {}, "input X"},
    {"an Abs of bools", "Abs", {data({3}, dtype::boolean)}, {}, "input X"},
    {"two inputs to Exp", "Exp", {x, x}, {}, "exactly one input"},
    {"an alpha that is a string", "Elu", {x}, {attr("alpha", std::string{"big"})},
     "attribute 'alpha'"},
    {"a Celu alpha of 0", "Celu", {x}, {attr("alpha", 0.0f)}, "attribute 'alpha'"},
    {"inputs of two types", "Sum", {x, data({1, 4, 8, 8}, dtype::float64)}, {}, "input 1"},
    {"inputs that do not broadcast", "Max", {x, data({3, 8})}, {}, "input 1"},
    {"shapes that differ before opset 8", "Mean", {x, data({8})}, {}, "input 1", 7},
    {"a Sum of integers", "Sum", {data({3}, dtype::int32), data({3}, dtype::int32)}, {},
     "input 0"},
    {"a Max of integers before opset 12", "Max",
     {data({3}, dtype::int32), data({3}, dtype::int32)}, {}, "input 0", 11},
    {"no inputs", "Min", {}, {}, "at least one input"},
    {"an integer base before opset 12", "Pow", {data({3}, dtype::int32), data({3}, dtype::int32)},
     {}, "input X", 11},
    {"an exponent of another type before opset 12", "Pow", {x, data({1}, dtype::float64)}, {},
     "input Y", 11},
    {"a bool exponent", "Pow", {x, data({1}, dtype::boolean)}, {}, "input Y"},
    {"bases and exponents that do not broadcast", "Pow", {x, data({3})}, {}, "do not broadcast"},
    {"integer data", "Dropout", {data({3}, dtype::int32)}, {}, "input data"},
    {"training mode as a request input", "Dropout",
     {x, omitted(), data({}, dtype::boolean)}, {}, "training_mode"},
    {"training mode a constant true", "Dropout",
     {x, omitted(), constant(tensor::scalar(true))}, {}, "training_mode"},
    {"a ratio that is not a scalar", "Dropout", {x, weight({2})}, {}, "input 1"},
    {"is_test 0 before opset 7", "Dropout", {x}, {}, "attribute 'is_test'", 6},
  };
}

TEST_CASE("a bad model fails when planned, naming the node and the attribute or input") {
  for (auto& bad : bad_models()) {
    INFO(bad.op_type, " with ", bad.what);
    auto m = one_node_model(bad.op_type, bad.operands, bad.attributes, bad.opset, 3, "bad");
    for (auto d : {nn::device::reference, nn::device::cpu}) {
      auto r = run_on(m, d);
      REQUIRE_FALSE(r.has_value());
      const auto& message = r.error().message;
      CHECK_MESSAGE(message.find("node 'bad' (" + bad.op_type + ")") != std::string::npos,
                    message);
      CHECK_MESSAGE(message.find(bad.expected) != std::string::npos, message);
    }
  }
}

TEST_CASE("a MaxPool that names its Indices output fails, saying hogar does not compute it") {
  model_builder b;
  auto x = b.value(data({1, 2, 4, 4}));
  auto y = b.node("MaxPool", {x}, {ints("kernel_shape", {2, 2})}, "pool");
  auto m = b.finish(y);
  auto graph = *m.model;
  graph.nodes[0].outputs.push_back("indices");
  m.model = std::make_shared<const onnx::model_graph>(graph);
  auto r = run_on(m, nn::device::cpu);
  REQUIRE_FALSE(r.has_value());
  CHECK_MESSAGE(r.error().message.find("node 'pool' (MaxPool): output 1") != std::string::npos,
                r.error().message);
}

} // namespace
} // namespace hogar::test
