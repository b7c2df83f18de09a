// ops_table_test.cpp: one table of operator cases in the style of ggml's test-backend-ops.
// Each case is a one-node model (weights as initializers, random request inputs); every
// device runs it and is compared with the reference twin by normalised mean squared error.
// The shapes are those of real networks (ResNet, MobileNet, ResNeXt, a classifier head) next
// to the corner cases of each attribute; bench/models/conv_bench times ResNet-18's Conv shapes.
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "kernels/nn/scratch_slots.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

struct op_case {
  /// The family a TEST_CASE checks: conv, pool, activation, batch_norm, gemm, softmax,
  /// reduce, shape, binary, unary, nary, resize, norm (LRN, InstanceNormalization).
  std::string family;
  std::string name;
  std::string op_type;
  std::vector<operand> operands;
  std::vector<onnx::attribute> attributes;
  std::int64_t opset = 17;
  /// Largest NMSE the fast CPU path may have against the reference (which sums in double).
  double nmse_max = 1e-7;
};

/// float32 scalar initializer.
operand scalar(float v) { return constant(tensor::scalar(v)); }

/// A float32 request input of uniform values in [lo, hi) (the fixture's random inputs span
/// only 2).
operand uniform(shape_t shape, float lo, float hi, std::uint64_t seed = 5) {
  tensor t = random_values(dtype::float32, shape, seed);
  for (auto& v : t.mutable_values<float>())
    v = lo + (v + 1.0f) * 0.5f * (hi - lo);
  return given(std::move(t));
}

/// The values where element-wise ops part ways: NaN, infinities, signed zeros, halves (Round's
/// ties), the knees of HardSigmoid, HardSwish and ThresholdedRelu, values past exp's range and
/// subnormal ones; repeated over [3, 29] so that both the vector loops and their scalar tails
/// meet each, offset by `shift` positions so that two such inputs pair different values.
operand corner_values(std::size_t shift = 0) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> v = {nan,    inf,   -inf,   0.0f,  -0.0f,  0.5f,   -0.5f, 1.5f,
                                2.5f,   -2.5f, 1.0f,   -1.0f, 3.0f,   -3.0f,  6.0f,  1e-30f,
                                -1e-30f, 88.7f, -103.0f, 100.0f, 1e30f, -1e30f, 0.1f};
  std::vector<float> values(3 * 29);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = v[(i + shift) % v.size()];
  return given(tensor::from_values<float>({3, 29}, values));
}

/// 1-D float32 and int64 initializers (Resize's roi, scales and sizes).
operand floats(std::vector<float> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return constant(tensor::from_values<float>({n}, v));
}
operand int64s(std::vector<std::int64_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return constant(tensor::from_values<std::int64_t>({n}, v));
}

std::vector<op_case> table() {
  const std::vector<onnx::attribute> none;
  auto pads = [](std::vector<std::int64_t> p) { return ints("pads", std::move(p)); };
  auto strides = [](std::vector<std::int64_t> s) { return ints("strides", std::move(s)); };
  auto kernel = [](std::vector<std::int64_t> k) { return ints("kernel_shape", std::move(k)); };
  auto fused = [](std::string act) { return attr("hogar_activation", std::move(act)); };
  return {
    // Conv: ResNet-18's layers, then the corner cases of every attribute.
    {"conv", "3x3 64->64 on 56x56, pad 1 (ResNet stage 1)", "Conv",
     {data({1, 64, 56, 56}), weight({64, 64, 3, 3}), weight({64})}, {pads({1, 1, 1, 1})}},
    {"conv", "7x7/2 3->64 on 224x224, pad 3 (ResNet stem)", "Conv",
     {data({1, 3, 224, 224}), weight({64, 3, 7, 7}), weight({64})},
     {pads({3, 3, 3, 3}), strides({2, 2})}},
    {"conv", "3x3/2 128->256 on 28x28, batch 2", "Conv",
     {data({2, 128, 28, 28}), weight({256, 128, 3, 3}), weight({256})},
     {pads({1, 1, 1, 1}), strides({2, 2})}},
    {"conv", "3x3 512->512 on 7x7, batch 1 (filters split over threads)", "Conv",
     {data({1, 512, 7, 7}), weight({512, 512, 3, 3}), weight({512})}, {pads({1, 1, 1, 1})}},
    {"conv", "3x3 256->256 on 7x7, batch 9 (column blocks across images, cut mid-image)",
     "Conv", {data({9, 256, 7, 7}), weight({256, 256, 3, 3}), weight({256})},
     {pads({1, 1, 1, 1}), fused("Relu")}},
    {"conv", "1x1 64->256 on 56x56 (no im2col)", "Conv",
     {data({1, 64, 56, 56}), weight({256, 64, 1, 1}), weight({256})}, none},
    {"conv", "1x1 256->64 on 7x7, batch 4 (no im2col, small planes)", "Conv",
     {data({4, 256, 7, 7}), weight({64, 256, 1, 1}), weight({64})}, none},
    {"conv", "1x1/2 64->128 on 56x56 (ResNet downsample)", "Conv",
     {data({1, 64, 56, 56}), weight({128, 64, 1, 1}), weight({128})}, {strides({2, 2})}},
    {"conv", "grouped 3x3 128->128 in 32 groups on 28x28 (ResNeXt)", "Conv",
     {data({1, 128, 28, 28}), weight({128, 4, 3, 3}), weight({128})},
     {pads({1, 1, 1, 1}), attr("group", std::int64_t{32})}},
    {"conv", "depthwise 3x3 32 channels on 112x112 (MobileNet)", "Conv",
     {data({1, 32, 112, 112}), weight({32, 1, 3, 3}), weight({32})},
     {pads({1, 1, 1, 1}), attr("group", std::int64_t{32})}},
    {"conv", "depthwise 3x3/2 64 channels on 56x56, batch 2", "Conv",
     {data({2, 64, 56, 56}), weight({64, 1, 3, 3}), weight({64})},
     {pads({1, 1, 1, 1}), strides({2, 2}), attr("group", std::int64_t{64})}},
    {"conv", "depthwise 5x5 with channel multiplier 2, dilation 2, asymmetric pads", "Conv",
     {data({2, 8, 23, 30}), weight({16, 1, 5, 5}), weight({16})},
     {pads({1, 4, 3, 0}), ints("dilations", {2, 2}), attr("group", std::int64_t{8})}},
    {"conv", "depthwise 3x3/3 on a narrow input (edges only), fused Relu", "Conv",
     {data({1, 4, 9, 5}), weight({4, 1, 3, 3})},
     {pads({1, 1, 1, 1}), strides({3, 3}), attr("group", std::int64_t{4}), fused("Relu")}},
    {"conv", "depthwise 1-D kernel 7", "Conv",
     {data({2, 6, 70}), weight({6, 1, 7}), weight({6})},
     {pads({3, 3}), attr("group", std::int64_t{6})}},
    {"conv", "2 groups, batch 3, no bias", "Conv",
     {data({3, 8, 17, 13}), weight({6, 4, 3, 3})}, {attr("group", std::int64_t{2})}},
    {"conv", "dilated 3x3 (dilation 2, pad 2) 32->32 on 28x28", "Conv",
     {data({1, 32, 28, 28}), weight({32, 32, 3, 3}), weight({32})},
     {pads({2, 2, 2, 2}), ints("dilations", {2, 2})}},
    {"conv", "5x3 kernel, strides 2x1, asymmetric pads", "Conv",
     {data({2, 6, 19, 11}), weight({10, 6, 5, 3}), weight({10})},
     {pads({0, 1, 2, 0}), strides({2, 1})}},
    {"conv", "dilations 2x3 with strides 3x2 and pads past the edge", "Conv",
     {data({1, 5, 23, 29}), weight({7, 5, 3, 3}), weight({7})},
     {pads({3, 4, 2, 5}), strides({3, 2}), ints("dilations", {2, 3})}},
    {"conv", "auto_pad SAME_UPPER, stride 2, odd input", "Conv",
     {data({1, 8, 15, 15}), weight({16, 8, 4, 4}), weight({16})},
     {attr("auto_pad", std::string{"SAME_UPPER"}), strides({2, 2})}},
    {"conv", "auto_pad SAME_LOWER, stride 2, odd input", "Conv",
     {data({1, 8, 15, 15}), weight({16, 8, 4, 4}), weight({16})},
     {attr("auto_pad", std::string{"SAME_LOWER"}), strides({2, 2})}},
    {"conv", "auto_pad VALID, stride 3", "Conv",
     {data({2, 4, 20, 20}), weight({8, 4, 3, 3}), weight({8})},
     {attr("auto_pad", std::string{"VALID"}), strides({3, 3})}},
    {"conv", "1-D kernel 5 pad 2, 16->32, length 100", "Conv",
     {data({2, 16, 100}), weight({32, 16, 5}), weight({32})}, {pads({2, 2})}},
    {"conv", "1-D stride 2 dilation 2", "Conv",
     {data({1, 8, 50}), weight({4, 8, 3})}, {strides({2}), ints("dilations", {2})}},
    {"conv", "3-D 3x3x3 8->8 on 8x8x8 (reference on every device)", "Conv",
     {data({1, 8, 8, 8, 8}), weight({8, 8, 3, 3, 3}), weight({8})},
     {pads({1, 1, 1, 1, 1, 1})}},
    {"conv", "3x3 with a fused Relu epilogue", "Conv",
     {data({2, 16, 20, 20}), weight({32, 16, 3, 3}), weight({32})},
     {pads({1, 1, 1, 1}), fused("Relu")}},
    {"conv", "3x3 with a fused LeakyRelu epilogue", "Conv",
     {data({1, 16, 20, 20}), weight({32, 16, 3, 3}), weight({32})},
     {pads({1, 1, 1, 1}), fused("LeakyRelu"), attr("hogar_alpha", 0.2f)}},
    {"conv", "3x3 with a fused Clip epilogue (Relu6)", "Conv",
     {data({1, 16, 20, 20}), weight({32, 16, 3, 3})},
     {pads({1, 1, 1, 1}), fused("Clip"), attr("hogar_min", 0.0f), attr("hogar_max", 0.5f)}},
    {"conv", "1x1 with a fused Sigmoid epilogue", "Conv",
     {data({1, 16, 20, 20}), weight({8, 16, 1, 1}), weight({8})}, {fused("Sigmoid")}},
    {"conv", "3x3 with a fused Tanh epilogue", "Conv",
     {data({1, 4, 9, 9}), weight({8, 4, 3, 3}), weight({8})}, {fused("Tanh")}},

    // Pools.
    {"pool", "MaxPool 3x3/2 pad 1 on 64x112x112 (ResNet)", "MaxPool", {data({1, 64, 112, 112})},
     {kernel({3, 3}), strides({2, 2}), pads({1, 1, 1, 1})}},
    {"pool", "MaxPool 2x2/2 ceil_mode on 15x15, batch 2", "MaxPool", {data({2, 8, 15, 15})},
     {kernel({2, 2}), strides({2, 2}), attr("ceil_mode", std::int64_t{1})}},
    {"pool", "MaxPool 3x3 dilations 2x2, strides 1", "MaxPool", {data({1, 4, 16, 16})},
     {kernel({3, 3}), ints("dilations", {2, 2})}},
    {"pool", "MaxPool asymmetric pads SAME_LOWER", "MaxPool", {data({1, 3, 10, 9})},
     {kernel({3, 2}), strides({2, 2}), attr("auto_pad", std::string{"SAME_LOWER"})}},
    {"pool", "MaxPool 1-D kernel 3 stride 2", "MaxPool", {data({2, 8, 31})},
     {kernel({3}), strides({2})}},
    {"pool", "MaxPool 3-D 2x2x2 (reference on every device)", "MaxPool", {data({1, 4, 6, 6, 6})},
     {kernel({2, 2, 2}), strides({2, 2, 2})}},
    {"pool", "AveragePool 3x3 pad 1 without the padding in the count", "AveragePool",
     {data({1, 16, 14, 14})}, {kernel({3, 3}), pads({1, 1, 1, 1})}},
    {"pool", "AveragePool 3x3 pad 1 with the padding in the count", "AveragePool",
     {data({1, 16, 14, 14})},
     {kernel({3, 3}), pads({1, 1, 1, 1}), attr("count_include_pad", std::int64_t{1})}},
    {"pool", "AveragePool 3x3/2 ceil_mode with pads on 16x16", "AveragePool",
     {data({2, 4, 16, 16})},
     {kernel({3, 3}), strides({2, 2}), pads({1, 0, 0, 1}), attr("ceil_mode", std::int64_t{1})}},
    {"pool", "AveragePool SAME_UPPER stride 2", "AveragePool", {data({1, 4, 11, 11})},
     {kernel({3, 3}), strides({2, 2}), attr("auto_pad", std::string{"SAME_UPPER"})}},
    {"pool", "AveragePool 1-D", "AveragePool", {data({1, 4, 20})}, {kernel({4}), strides({3})}},
    {"pool", "GlobalAveragePool 512x7x7, batch 4 (ResNet head)", "GlobalAveragePool",
     {data({4, 512, 7, 7})}, none},
    {"pool", "GlobalAveragePool 1-D", "GlobalAveragePool", {data({2, 8, 33})}, none},
    {"pool", "GlobalMaxPool 1280x7x7, batch 2", "GlobalMaxPool", {data({2, 1280, 7, 7})}, none},
    {"pool", "GlobalMaxPool 3-D", "GlobalMaxPool", {data({1, 4, 5, 6, 7})}, none},

    // Activations.
    {"activation", "Relu", "Relu", {data({4, 64, 28, 28})}, none},
    {"activation", "LeakyRelu alpha 0.1", "LeakyRelu", {data({4, 64, 28, 28})},
     {attr("alpha", 0.1f)}},
    {"activation", "Sigmoid", "Sigmoid", {data({2, 32, 28, 28})}, none},
    {"activation", "Tanh", "Tanh", {data({2, 32, 28, 28})}, none},
    {"activation", "Clip with constant bounds (opset 13)", "Clip",
     {data({2, 32, 28, 28}), scalar(-0.25f), scalar(0.5f)}, none},
    {"activation", "Clip with a max only (opset 13)", "Clip",
     {data({2, 32, 28, 28}), omitted(), scalar(0.5f)}, none},
    {"activation", "Clip with bounds as request inputs (opset 13)", "Clip",
     {data({3, 1000}), data({}), data({})}, none},
    {"activation", "Clip with attribute bounds (opset 6)", "Clip", {data({2, 32, 28, 28})},
     {attr("min", -0.5f), attr("max", 0.25f)}, 6},
    {"activation", "PRelu per channel [64, 1, 1] (an exported nn.PReLU)", "PRelu",
     {data({2, 64, 28, 28}), weight({64, 1, 1})}, none},
    {"activation", "PRelu with one slope", "PRelu", {data({3, 1000}), weight({1})}, none},
    {"activation", "PRelu with a slope per element of the last axes", "PRelu",
     {data({2, 3, 4, 5}), weight({4, 5})}, none},

    // Element-wise unary math: the layers of real networks, then every op at the corner values.
    {"unary", "Sqrt of a LayerNorm variance [8, 128, 1]", "Sqrt", {uniform({8, 128, 1}, 0, 4)},
     none},
    {"unary", "Sqrt of negative inputs is NaN", "Sqrt", {data({4, 1000})}, none},
    {"unary", "Exp of logits [32, 1000]", "Exp", {uniform({32, 1000}, -20, 20)}, none},
    {"unary", "Log of probabilities [32, 1000]", "Log", {uniform({32, 1000}, 0, 1)}, none},
    {"unary", "Log of negative inputs is NaN", "Log", {data({4, 1000})}, none},
    {"unary", "Neg [2, 64, 28, 28]", "Neg", {data({2, 64, 28, 28})}, none},
    {"unary", "Abs [2, 64, 28, 28]", "Abs", {data({2, 64, 28, 28})}, none},
    {"unary", "Reciprocal [4, 100]", "Reciprocal", {uniform({4, 100}, -10, 10)}, none},
    {"unary", "Erf of BERT's GELU [1, 128, 3072]", "Erf", {uniform({1, 128, 3072}, -4, 4)},
     none},
    {"unary", "Ceil [16, 85]", "Ceil", {uniform({16, 85}, -50, 50)}, none},
    {"unary", "Floor [16, 85]", "Floor", {uniform({16, 85}, -50, 50)}, none},
    {"unary", "Round [16, 85]", "Round", {uniform({16, 85}, -50, 50)}, none},
    {"unary", "Sign [3, 1000]", "Sign", {data({3, 1000})}, none},
    {"unary", "Sin of positional encodings [2, 512, 64]", "Sin", {uniform({2, 512, 64}, -100, 100)},
     none},
    {"unary", "Cos of positional encodings [2, 512, 64]", "Cos", {uniform({2, 512, 64}, -100, 100)},
     none},
    {"unary", "HardSigmoid of a squeeze-excite gate [8, 72, 1, 1] (MobileNetV3, alpha 1/6)",
     "HardSigmoid", {uniform({8, 72, 1, 1}, -6, 6)}, {attr("alpha", 1.0f / 6), attr("beta", 0.5f)}},
    {"unary", "HardSigmoid defaults", "HardSigmoid", {uniform({4, 1000}, -6, 6)}, none},
    {"unary", "HardSwish of MobileNetV3's stem [1, 16, 112, 112]", "HardSwish",
     {uniform({1, 16, 112, 112}, -6, 6)}, none},
    {"unary", "Mish of YOLOv4's backbone [1, 64, 76, 76]", "Mish",
     {uniform({1, 64, 76, 76}, -8, 8)}, none},
    {"unary", "Selu defaults [4, 256]", "Selu", {uniform({4, 256}, -5, 5)}, none},
    {"unary", "Selu alpha 2 gamma 1.5", "Selu", {uniform({4, 256}, -5, 5)},
     {attr("alpha", 2.0f), attr("gamma", 1.5f)}},
    {"unary", "Elu [2, 64, 28, 28]", "Elu", {uniform({2, 64, 28, 28}, -5, 5)}, none},
    {"unary", "Elu alpha 0.5 (opset 6)", "Elu", {uniform({4, 100}, -5, 5)}, {attr("alpha", 0.5f)},
     6},
    {"unary", "Celu alpha 2", "Celu", {uniform({2, 32, 16, 16}, -5, 5)}, {attr("alpha", 2.0f)}},
    {"unary", "Softplus [4, 1000]", "Softplus", {uniform({4, 1000}, -30, 30)}, none},
    {"unary", "Softsign [4, 1000]", "Softsign", {uniform({4, 1000}, -30, 30)}, none},
    {"unary", "ThresholdedRelu alpha 0.5", "ThresholdedRelu", {data({4, 1000})},
     {attr("alpha", 0.5f)}},
    {"unary", "Sqrt at the corner values", "Sqrt", {corner_values()}, none},
    {"unary", "Exp at the corner values", "Exp", {corner_values()}, none},
    {"unary", "Log at the corner values", "Log", {corner_values()}, none},
    {"unary", "Neg at the corner values", "Neg", {corner_values()}, none},
    {"unary", "Abs at the corner values", "Abs", {corner_values()}, none},
    {"unary", "Reciprocal at the corner values", "Reciprocal", {corner_values()}, none},
    {"unary", "Erf at the corner values", "Erf", {corner_values()}, none},
    {"unary", "Ceil at the corner values", "Ceil", {corner_values()}, none},
    {"unary", "Floor at the corner values", "Floor", {corner_values()}, none},
    {"unary", "Round at the corner values", "Round", {corner_values()}, none},
    {"unary", "Sign at the corner values", "Sign", {corner_values()}, none},
    {"unary", "Sin at the corner values", "Sin", {corner_values()}, none},
    {"unary", "Cos at the corner values", "Cos", {corner_values()}, none},
    {"unary", "HardSigmoid at the corner values", "HardSigmoid", {corner_values()}, none},
    {"unary", "HardSwish at the corner values", "HardSwish", {corner_values()}, none},
    {"unary", "Mish at the corner values", "Mish", {corner_values()}, none},
    {"unary", "Selu at the corner values", "Selu", {corner_values()}, none},
    {"unary", "Elu at the corner values", "Elu", {corner_values()}, none},
    {"unary", "Celu at the corner values", "Celu", {corner_values()}, none},
    {"unary", "Softplus at the corner values", "Softplus", {corner_values()}, none},
    {"unary", "Softsign at the corner values", "Softsign", {corner_values()}, none},
    {"unary", "ThresholdedRelu at the corner values", "ThresholdedRelu", {corner_values()}, none},

    // BatchNormalization (what optimize() cannot fold).
    {"batch_norm", "64 channels on 28x28, batch 2", "BatchNormalization",
     {data({2, 64, 28, 28}), weight({64}), weight({64}), weight({64}), positive_weight({64})},
     {attr("epsilon", 1e-3f)}},
    {"batch_norm", "rank 2 [8, 32]", "BatchNormalization",
     {data({8, 32}), weight({32}), weight({32}), weight({32}), positive_weight({32})}, none},
    {"batch_norm", "opset 7 with spatial 1", "BatchNormalization",
     {data({1, 16, 10}), weight({16}), weight({16}), weight({16}), positive_weight({16})},
     {attr("spatial", std::int64_t{1})}, 7},

    // Gemm and MatMul.
    {"gemm", "classifier 512->1000, batch 64, transB, bias [N]", "Gemm",
     {data({64, 512}), weight({1000, 512}), weight({1000})},
     {attr("transB", std::int64_t{1})}},
    {"gemm", "classifier 512->1000, batch 1, transB, bias [N]", "Gemm",
     {data({1, 512}), weight({1000, 512}), weight({1000})},
     {attr("transB", std::int64_t{1})}},
    {"gemm", "transA, alpha 0.5, beta 2, bias [M, 1]", "Gemm",
     {data({96, 70}), weight({96, 130}), weight({70, 1})},
     {attr("transA", std::int64_t{1}), attr("alpha", 0.5f), attr("beta", 2.0f)}},
    {"gemm", "transA and transB, scalar bias", "Gemm",
     {data({40, 30}), weight({50, 40}), scalar(0.75f)},
     {attr("transA", std::int64_t{1}), attr("transB", std::int64_t{1})}},
    {"gemm", "no bias, full-matrix C as a request input", "Gemm",
     {data({33, 65}), data({65, 47}), data({33, 47})}, none},
    {"gemm", "no C at all", "Gemm", {data({16, 8}), weight({8, 12})}, none},
    {"gemm", "with a fused Relu epilogue", "Gemm",
     {data({8, 256}), weight({256, 128}), weight({128})}, {fused("Relu")}},
    {"gemm", "MatMul batched [8, 64, 32] x [32, 48]", "MatMul",
     {data({8, 64, 32}), weight({32, 48})}, none},
    {"gemm", "MatMul broadcast batches [2, 1, 16, 8] x [3, 8, 24]", "MatMul",
     {data({2, 1, 16, 8}), data({3, 8, 24})}, none},
    {"gemm", "MatMul [128, 256] x [256, 512]", "MatMul", {data({128, 256}), data({256, 512})},
     none},
    {"gemm", "MatMul vector x matrix", "MatMul", {data({64}), data({64, 40})}, none},
    {"gemm", "MatMul batched matrix x vector", "MatMul", {data({3, 20, 64}), data({64})}, none},
    {"gemm", "MatMul vector x vector", "MatMul", {data({100}), data({100})}, none},

    // Softmax and LogSoftmax.
    {"softmax", "Softmax over 1000 classes, batch 32", "Softmax", {data({32, 1000})}, none},
    {"softmax", "Softmax over channels (axis 1) of [4, 21, 16, 16]", "Softmax",
     {data({4, 21, 16, 16})}, {attr("axis", std::int64_t{1})}},
    {"softmax", "Softmax axis 0", "Softmax", {data({5, 7, 3})}, {attr("axis", std::int64_t{0})}},
    {"softmax", "Softmax opset 11 coerces [4, 3, 8] to [4, 24]", "Softmax", {data({4, 3, 8})},
     none, 11},
    {"softmax", "LogSoftmax over 1000 classes", "LogSoftmax", {data({8, 1000})}, none},
    {"softmax", "LogSoftmax axis -2 of [3, 17, 5]", "LogSoftmax", {data({3, 17, 5})},
     {attr("axis", std::int64_t{-2})}},
    {"softmax", "LogSoftmax opset 11 axis 2", "LogSoftmax", {data({2, 3, 4, 5})},
     {attr("axis", std::int64_t{2})}, 11},

    // Reductions, ArgMax and ArgMin (axes an attribute before opset 18, ReduceSum's an input
    // from opset 13).
    {"reduce", "ReduceMean over the last axis of [8, 128, 768] (LayerNorm)", "ReduceMean",
     {data({8, 128, 768})}, {ints("axes", {-1})}},
    {"reduce", "ReduceMean over axes 2, 3 of [2, 256, 14, 14], keepdims (a global pool)",
     "ReduceMean", {data({2, 256, 14, 14})}, {ints("axes", {2, 3})}},
    {"reduce", "ReduceMax over the channels of [2, 64, 28, 28]", "ReduceMax",
     {data({2, 64, 28, 28})}, {ints("axes", {1}), attr("keepdims", std::int64_t{0})}},
    {"reduce", "ReduceMin over the channels of [2, 64, 28, 28]", "ReduceMin",
     {data({2, 64, 28, 28})}, {ints("axes", {1})}},
    {"reduce", "ReduceSum over every axis of [4, 64, 56, 56] (rows cut into chunks)",
     "ReduceSum", {data({4, 64, 56, 56})}, none},
    {"reduce", "ReduceSum over axes -1, -2 as a constant input (opset 13)", "ReduceSum",
     {data({3, 50, 40}), int64s({-1, -2})}, {attr("keepdims", std::int64_t{0})}, 13},
    {"reduce", "ReduceSum over axes 0 and 2 (two runs: the reference)", "ReduceSum",
     {data({6, 5, 7, 3}), int64s({0, 2})}, none, 13},
    {"reduce", "ReduceSumSquare over axis 1 of [4, 300, 20]", "ReduceSumSquare",
     {data({4, 300, 20})}, {ints("axes", {1})}, 13},
    {"reduce", "ReduceL1 over the last axis", "ReduceL1", {data({16, 1000})},
     {ints("axes", {1})}, 13},
    {"reduce", "ReduceL2 over axes 1, 2 (a feature norm)", "ReduceL2", {data({8, 64, 49})},
     {ints("axes", {1, 2})}, 13},
    {"reduce", "ReduceLogSum of positive values", "ReduceLogSum",
     {uniform({4, 30, 12}, 0.5f, 2.0f)}, {ints("axes", {1})}, 13},
    {"reduce", "ReduceLogSumExp over 1000 classes", "ReduceLogSumExp",
     {uniform({8, 1000}, -50.0f, 50.0f)}, {ints("axes", {-1})}, 13},
    {"reduce", "ReduceLogSumExp over axis 0 of [5000, 3] (one long strided run)",
     "ReduceLogSumExp", {uniform({5000, 3}, -80.0f, 80.0f)}, {ints("axes", {0})}, 13},
    {"reduce", "ReduceProd over axis 1 of values near 1", "ReduceProd",
     {uniform({6, 20, 9}, 0.8f, 1.2f)}, {ints("axes", {1})}, 13},
    {"reduce", "ReduceMax at the corner values, NaN wins", "ReduceMax", {corner_values()},
     {ints("axes", {1})}},
    {"reduce", "ReduceMin over the columns of the corner values, NaN wins", "ReduceMin",
     {corner_values(3)}, {ints("axes", {0})}},
    {"reduce", "ReduceMean with noop_with_empty_axes: a copy (opset 18)", "ReduceMean",
     {data({3, 7})}, {attr("noop_with_empty_axes", std::int64_t{1})}, 18},
    {"reduce", "ArgMax over 1000 classes", "ArgMax", {data({32, 1000})},
     {attr("axis", std::int64_t{1}), attr("keepdims", std::int64_t{0})}},
    {"reduce", "ArgMin over the channels of [2, 21, 16, 16], last index", "ArgMin",
     {data({2, 21, 16, 16})},
     {attr("axis", std::int64_t{-3}), attr("select_last_index", std::int64_t{1})}},
    {"reduce", "ArgMax at the corner values, NaN wins", "ArgMax", {corner_values()},
     {attr("axis", std::int64_t{1})}},

    // Data movement.
    {"shape", "Transpose NCHW -> NHWC", "Transpose", {data({2, 64, 28, 28})},
     {ints("perm", {0, 2, 3, 1})}},
    {"shape", "Transpose NHWC -> NCHW", "Transpose", {data({2, 28, 28, 64})},
     {ints("perm", {0, 3, 1, 2})}},
    {"shape", "Transpose default (reversed)", "Transpose", {data({3, 4, 5})}, none},
    {"shape", "Transpose with unit extents", "Transpose", {data({1, 7, 1, 9})},
     {ints("perm", {3, 2, 0, 1})}},
    {"shape", "Transpose int64", "Transpose", {data({6, 5}, dtype::int64)}, none},
    {"shape", "Concat three inputs on channels", "Concat",
     {data({2, 16, 8, 8}), data({2, 32, 8, 8}), data({2, 8, 8, 8})},
     {attr("axis", std::int64_t{1})}},
    {"shape", "Concat axis -1 with a weight", "Concat", {data({4, 5}), weight({4, 3})},
     {attr("axis", std::int64_t{-1})}},
    {"shape", "Reshape [2, 64, 7, 7] to [0, -1]", "Reshape",
     {data({2, 64, 7, 7}), constant(tensor::from_values<std::int64_t>({2}, {0, -1}))}, none},
    {"shape", "Flatten axis 2", "Flatten", {data({2, 3, 4, 5})}, {attr("axis", std::int64_t{2})}},
    {"shape", "Identity", "Identity", {data({3, 3})}, none},
    {"shape", "Dropout at inference (a view)", "Dropout", {data({8, 512})}, none},
    {"shape", "Dropout with a ratio and a constant false training_mode", "Dropout",
     {data({8, 512}), scalar(0.1f), constant(tensor::scalar(false))}, none},
    {"shape", "Dropout with a ratio attribute (opset 7)", "Dropout", {data({4, 10})},
     {attr("ratio", 0.3f)}, 7},
    {"shape", "Dropout with is_test 1 (opset 6)", "Dropout", {data({4, 10})},
     {attr("is_test", std::int64_t{1})}, 6},
    {"shape", "DepthToSpace DCR, blocksize 2 (a super-resolution head)", "DepthToSpace",
     {data({2, 48, 17, 13})}, {attr("blocksize", std::int64_t{2})}},
    {"shape", "DepthToSpace CRD, blocksize 3", "DepthToSpace", {data({1, 27, 5, 4})},
     {attr("blocksize", std::int64_t{3}), attr("mode", std::string{"CRD"})}},
    {"shape", "SpaceToDepth, blocksize 2 (a YOLOv5 focus layer)", "SpaceToDepth",
     {data({1, 3, 64, 48})}, {attr("blocksize", std::int64_t{2})}},

    // Element-wise arithmetic.
    {"binary", "Add residual [2, 64, 28, 28]", "Add",
     {data({2, 64, 28, 28}), data({2, 64, 28, 28})}, none},
    {"binary", "Mul by a per-channel [64, 1, 1]", "Mul",
     {data({2, 64, 28, 28}), weight({64, 1, 1})}, none},
    {"binary", "Sub a row [28]", "Sub", {data({2, 64, 28, 28}), weight({28})}, none},
    {"binary", "Div by a scalar", "Div", {data({4, 100}), positive_weight({})}, none},

    // Sum, Max, Min, Mean over any number of inputs, and Pow: broadcasting and its corners.
    {"nary", "Sum of three feature maps [2, 64, 28, 28]", "Sum",
     {data({2, 64, 28, 28}), data({2, 64, 28, 28}), data({2, 64, 28, 28})}, none},
    {"nary", "Sum of a map, a per-channel [64, 1, 1] and a scalar", "Sum",
     {data({2, 64, 28, 28}), weight({64, 1, 1}), weight({})}, none},
    {"nary", "Sum of one input", "Sum", {data({3, 7})}, none},
    {"nary", "Sum of equal shapes (opset 6)", "Sum", {data({4, 50}), data({4, 50})}, none, 6},
    {"nary", "Max of logits and a row [4, 1000] [1000]", "Max", {data({4, 1000}), data({1000})},
     none},
    {"nary", "Max of one input", "Max", {data({5, 5})}, none},
    {"nary", "Max of int32 with broadcasting", "Max",
     {data({4, 100}, dtype::int32), data({100}, dtype::int32)}, none},
    {"nary", "Min broadcasting [2, 3, 1], [1, 4], [3, 1] to [2, 3, 4]", "Min",
     {data({2, 3, 1}), data({1, 4}), data({3, 1})}, none},
    {"nary", "Min of int64", "Min", {data({6, 9}, dtype::int64), data({6, 9}, dtype::int64)},
     none},
    {"nary", "Mean of four [8, 512] (an ensemble)", "Mean",
     {data({8, 512}), data({8, 512}), data({8, 512}), data({8, 512})}, none},
    {"nary", "Mean of float64 with broadcasting", "Mean",
     {data({3, 1, 5}, dtype::float64), data({4, 1}, dtype::float64)}, none},
    {"nary", "Max at the corner values (NaN wins)", "Max", {corner_values(), corner_values(7)},
     none},
    {"nary", "Min at the corner values (NaN wins)", "Min", {corner_values(), corner_values(7)},
     none},
    {"nary", "Sum at the corner values", "Sum",
     {corner_values(), corner_values(3), corner_values(11)}, none},
    {"nary", "Pow by a constant 2 (a variance) [2, 64, 28, 28]", "Pow",
     {data({2, 64, 28, 28}), scalar(2.0f)}, none},
    {"nary", "Pow of positive bases by a row of exponents [4, 100] [100]", "Pow",
     {uniform({4, 100}, 0, 10), uniform({100}, -3, 3)}, none},
    {"nary", "Pow of negative bases by fractions is NaN", "Pow", {data({4, 100}), data({4, 100})},
     none},
    {"nary", "Pow by an int64 exponent", "Pow",
     {data({4, 100}), constant(tensor::from_values<std::int64_t>({3, 1, 1}, {0, 3, -2}))}, none},
    {"nary", "Pow of float64 by a float64 scalar", "Pow",
     {data({4, 100}, dtype::float64), data({}, dtype::float64)}, none},
    {"nary", "Pow at the corner values", "Pow", {corner_values(), corner_values(5)}, none},

    // InstanceNormalization: a style-transfer network's, then a 1-D input and one plane.
    {"norm", "InstanceNormalization [2, 64, 64, 64] (style transfer)", "InstanceNormalization",
     {data({2, 64, 64, 64}), weight({64}), weight({64})}, none},
    {"norm", "InstanceNormalization 1-D [3, 5, 1001], epsilon 1e-3", "InstanceNormalization",
     {data({3, 5, 1001}), weight({5}), weight({5})}, {attr("epsilon", 1e-3f)}},
    {"norm", "InstanceNormalization of one-element planes", "InstanceNormalization",
     {data({4, 3, 1, 1}), weight({3}), weight({3})}, none},
    // LRN: AlexNet's and GoogLeNet's, then windows wider than the channels and a 1-D input.
    {"norm", "size 5 on [1, 96, 55, 55] (AlexNet conv1)", "LRN", {data({1, 96, 55, 55})},
     {attr("size", std::int64_t{5}), attr("alpha", 1e-4f), attr("beta", 0.75f),
      attr("bias", 2.0f)}},
    {"norm", "size 5 on [2, 64, 56, 56] (GoogLeNet)", "LRN", {data({2, 64, 56, 56})},
     {attr("size", std::int64_t{5})}},
    {"norm", "size 4 (an uneven window) wider than 3 channels", "LRN", {data({3, 3, 7, 9})},
     {attr("size", std::int64_t{4}), attr("alpha", 0.5f), attr("beta", 0.5f)}},
    {"norm", "size 3 on [2, 10, 1500], stretches cut mid-image", "LRN", {data({2, 10, 1500})},
     {attr("size", std::int64_t{3})}},

    // Resize and Upsample: the upsamplings of detectors' necks and segmentation heads, then
    // the corner cases of each mode.
    {"resize", "nearest 2x on [1, 256, 20, 20] (a YOLO neck), scales", "Resize",
     {data({1, 256, 20, 20}), omitted(), floats({1, 1, 2, 2})},
     {attr("mode", std::string{"nearest"})}},
    {"resize", "nearest to sizes [2, 64, 40, 40], asymmetric, floor (PyTorch's nearest)",
     "Resize", {data({2, 64, 20, 20}), omitted(), omitted(), int64s({2, 64, 40, 40})},
     {attr("coordinate_transformation_mode", std::string{"asymmetric"}),
      attr("nearest_mode", std::string{"floor"})}},
    {"resize", "bilinear 2x half_pixel on [1, 64, 56, 56]", "Resize",
     {data({1, 64, 56, 56}), omitted(), floats({1, 1, 2, 2})},
     {attr("mode", std::string{"linear"})}},
    {"resize", "bilinear to [1, 21, 97, 129], align_corners (a segmentation head)", "Resize",
     {data({1, 21, 25, 33}), omitted(), omitted(), int64s({1, 21, 97, 129})},
     {attr("mode", std::string{"linear"}),
      attr("coordinate_transformation_mode", std::string{"align_corners"})}},
    {"resize", "bilinear 0.45x down, pytorch_half_pixel", "Resize",
     {data({3, 8, 31, 17}), omitted(), floats({1, 1, 0.45f, 0.45f})},
     {attr("mode", std::string{"linear"}),
      attr("coordinate_transformation_mode", std::string{"pytorch_half_pixel"})}},
    {"resize", "bicubic 1.7x, exclude_outside, A = -0.5", "Resize",
     {data({2, 3, 13, 11}), omitted(), floats({1, 1, 1.7f, 1.7f})},
     {attr("mode", std::string{"cubic"}), attr("exclude_outside", std::int64_t{1}),
      attr("cubic_coeff_a", -0.5f)}},
    {"resize", "linear over every axis of a 3-D tensor", "Resize",
     {data({4, 6, 5}), omitted(), floats({1.5f, 0.5f, 3.0f})},
     {attr("mode", std::string{"linear"})}},
    {"resize", "tf_crop_and_resize with extrapolation", "Resize",
     {data({1, 2, 10, 10}), floats({0, 0, -0.2f, 0.1f, 1, 1, 0.8f, 1.3f}), omitted(),
      int64s({1, 2, 7, 9})},
     {attr("mode", std::string{"linear"}),
      attr("coordinate_transformation_mode", std::string{"tf_crop_and_resize"}),
      attr("extrapolation_value", 2.5f)}},
    {"resize", "Upsample nearest 2x (opset 9)", "Upsample",
     {data({1, 32, 9, 9}), floats({1, 1, 2, 2})}, none, 9},
    {"resize", "Upsample linear 3x2 (opset 9)", "Upsample",
     {data({1, 8, 9, 7}), floats({1, 1, 3, 2})}, {attr("mode", std::string{"linear"})}, 9},
  };
}

/// Runs every case of `family` on `d` and on the reference and checks their NMSE.
void check_family(const std::string& family, nn::device d, std::size_t threads) {
  int cases = 0;
  for (auto& c : table()) {
    if (c.family != family)
      continue;
    ++cases;
    INFO(c.op_type, ": ", c.name, " on ", nn::to_string(d), " with ", threads, " thread(s)");
    auto m = one_node_model(c.op_type, c.operands, c.attributes, c.opset, 1 + cases, "node");
    auto expected = run_on(m, nn::device::reference);
    REQUIRE_MESSAGE(expected.has_value(), expected.error().message);
    auto actual = run_on(m, d, threads);
    REQUIRE_MESSAGE(actual.has_value(), actual.error().message);
    REQUIRE(actual->size() == expected->size());
    const double limit = d == nn::device::gpu ? std::max(c.nmse_max, 1e-5) : c.nmse_max;
    for (std::size_t o = 0; o < actual->size(); ++o) {
      const auto error = nmse((*actual)[o], (*expected)[o]);
      CHECK_MESSAGE(error <= limit, "NMSE ", error, " above ", limit);
    }
  }
  CHECK(cases > 0);
}

/// Every family with the fast CPU path on one thread, and on one thread more than kernels
/// have scratch slots for (some threads idle in those loops; splits are uneven).
void check_cpu(const std::string& family) {
  check_family(family, nn::device::cpu, 1);
  check_family(family, nn::device::cpu, static_cast<std::size_t>(nn::scratch_slot_count()) + 1);
}

TEST_CASE("convolutions on the fast CPU path match the reference") { check_cpu("conv"); }

TEST_CASE("pools on the fast CPU path match the reference") { check_cpu("pool"); }

TEST_CASE("activations on the fast CPU path match the reference") { check_cpu("activation"); }

TEST_CASE("batch normalizations on the fast CPU path match the reference") {
  check_cpu("batch_norm");
}

TEST_CASE("matrix products on the fast CPU path match the reference") { check_cpu("gemm"); }

TEST_CASE("softmaxes on the fast CPU path match the reference") { check_cpu("softmax"); }

TEST_CASE("reductions, ArgMax and ArgMin on the fast CPU path match the reference, NaN "
          "included") {
  check_cpu("reduce");
}

TEST_CASE("data movement on the fast CPU path matches the reference exactly") {
  check_cpu("shape");
}

TEST_CASE("element-wise arithmetic on the fast CPU path matches the reference") {
  check_cpu("binary");
}

TEST_CASE("unary element-wise ops on the fast CPU path match the reference, NaN and infinities "
          "included") {
  check_cpu("unary");
}

TEST_CASE("Sum, Max, Min, Mean and Pow on the fast CPU path match the reference, broadcasting "
          "included") {
  check_cpu("nary");
}

/// Runs a one-node model on the reference and the fast CPU path and checks its output against
/// ONNX's values: integers exactly, floats to 1e-6 relative, NaN where NaN is expected.
void check_values(const std::string& op_type, const std::vector<operand>& operands,
                  const std::vector<onnx::attribute>& attributes, const tensor& expected,
                  std::int64_t opset = 17) {
  auto m = one_node_model(op_type, operands, attributes, opset, 1, "node");
  for (auto d : {nn::device::reference, nn::device::cpu}) {
    INFO(op_type, " on ", nn::to_string(d));
    auto out = run_on(m, d);
    REQUIRE_MESSAGE(out.has_value(), out.error().message);
    const auto& y = out->front();
    REQUIRE(y.type() == expected.type());
    REQUIRE(y.shape() == expected.shape());
    for (std::int64_t i = 0; i < y.element_count(); ++i) {
      const double a = y.value_as_double(i), b = expected.value_as_double(i);
      INFO("element ", i, ": ", a, ", expected ", b);
      if (std::isnan(b))
        CHECK(std::isnan(a));
      else if (std::isinf(b) || expected.type() != dtype::float32)
        CHECK(a == b);
      else
        CHECK(std::fabs(a - b) <= 1e-6 * std::max(1.0, std::fabs(b)));
    }
  }
}

tensor f32(std::vector<float> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return tensor::from_values<float>({n}, v);
}

template <class T>
tensor ints_of(std::vector<T> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return tensor::from_values<T>({n}, v);
}

TEST_CASE("the unary ops give ONNX's values at their corners on every CPU path") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<onnx::attribute> none;
  check_values("Sqrt", {given(f32({-1, 0, 4, inf}))}, none, f32({nan, 0, 2, inf}));
  check_values("Log", {given(f32({0, -1, 1, inf}))}, none, f32({-inf, nan, 0, inf}));
  check_values("Exp", {given(f32({-inf, 0, inf, 100}))}, none, f32({0, 1, inf, inf}));
  check_values("Reciprocal", {given(f32({0, -0.0f, 4, inf}))}, none, f32({inf, -inf, 0.25f, 0}));
  // Halves round to even.
  check_values("Round", {given(f32({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, 2.6f, -2.6f}))}, none,
               f32({0, 2, 2, -0.0f, -2, 2, 3, -3}));
  check_values("Ceil", {given(f32({-0.5f, 1.2f, -1.2f, inf}))}, none, f32({-0.0f, 2, -1, inf}));
  check_values("Floor", {given(f32({-0.5f, 1.2f, -1.2f, -inf}))}, none, f32({-1, 1, -2, -inf}));
  check_values("Sign", {given(f32({nan, -3, 0, 2, -inf}))}, none, f32({nan, -1, 0, 1, -1}));
  check_values("Abs", {given(f32({-2, inf, -inf}))}, none, f32({2, inf, inf}));
  check_values("Erf", {given(f32({0, inf, -inf}))}, none, f32({0, 1, -1}));
  check_values("HardSigmoid", {given(f32({-3, 0, 3, nan}))}, none, f32({0, 0.5f, 1, nan}));
  check_values("HardSwish", {given(f32({-4, 0, 4, 1}))}, none, f32({0, 0, 4, 1.0f / 6 + 0.5f}));
  check_values("ThresholdedRelu", {given(f32({1, 1.5f, -2, nan}))}, none, f32({0, 1.5f, 0, nan}));
  check_values("Elu", {given(f32({-inf, 0, 1}))}, none, f32({-1, 0, 1}));
  check_values("Selu", {given(f32({0, 1, -inf}))}, none,
               f32({0, 1.05070102214813232421875f,
                    -1.05070102214813232421875f * 1.67326319217681884765625f}));
  check_values("Celu", {given(f32({-inf, 1}))}, {attr("alpha", 2.0f)}, f32({-2, 1}));
  check_values("Softplus", {given(f32({100, -inf, 0}))}, none, f32({100, 0, std::log(2.0f)}));
  check_values("Softsign", {given(f32({1, -3, 0}))}, none, f32({0.5f, -0.75f, 0}));
  check_values("Mish", {given(f32({0, 100, 1}))}, none,
               f32({0, 100, static_cast<float>(std::tanh(std::log1p(std::exp(1.0))))}));
  // Integers: the most negative value wraps, as numpy's does.
  const auto int32_min = std::numeric_limits<std::int32_t>::min();
  check_values("Neg", {given(ints_of<std::int32_t>({int32_min, -5, 0, 7}))}, none,
               ints_of<std::int32_t>({int32_min, 5, 0, -7}));
  check_values("Abs", {given(ints_of<std::int32_t>({int32_min, -5, 0, 7}))}, none,
               ints_of<std::int32_t>({int32_min, 5, 0, 7}));
  check_values("Abs", {given(ints_of<std::int8_t>({-128, -3, 4}))}, none,
               ints_of<std::int8_t>({-128, 3, 4}));
  check_values("Sign", {given(ints_of<std::int64_t>({-9, 0, 4}))}, none,
               ints_of<std::int64_t>({-1, 0, 1}));
  check_values("Sign", {given(ints_of<std::uint8_t>({0, 200}))}, none,
               ints_of<std::uint8_t>({0, 1}));
  check_values("Neg", {given(tensor::from_values<double>({2}, {1.5, -0.0}))}, none,
               tensor::from_values<double>({2}, {-1.5, 0.0}));
}

TEST_CASE("Max and Min return NaN, Mean divides by the input count, integer Pow wraps") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<onnx::attribute> none;
  check_values("Max", {given(f32({nan, 1, 2, -inf})), given(f32({0, nan, 3, -1}))}, none,
               f32({nan, nan, 3, -1}));
  check_values("Min", {given(f32({nan, 1, 2, -inf})), given(f32({0, nan, 3, -1}))}, none,
               f32({nan, nan, 2, -inf}));
  check_values("Mean", {given(f32({1, 2})), given(f32({3, 4})), given(f32({5, 9}))}, none,
               f32({3, 5}));
  // Broadcast: [2, 1] and [3] make [2, 3].
  check_values("Sum",
               {given(tensor::from_values<float>({2, 1}, {10, 20})), given(f32({1, 2, 3}))}, none,
               tensor::from_values<float>({2, 3}, {11, 12, 13, 21, 22, 23}));
  check_values("Max",
               {given(ints_of<std::int8_t>({-128, 5})), given(ints_of<std::int8_t>({3, 7}))},
               none, ints_of<std::int8_t>({3, 7}));
  check_values("Min",
               {given(ints_of<std::uint8_t>({200, 5})), given(ints_of<std::uint8_t>({3, 7}))},
               none, ints_of<std::uint8_t>({3, 5}));
  check_values("Pow", {given(f32({-8, 0, 4, 2})), given(f32({1.0f / 3, -1, 0.5f, 10}))}, none,
               f32({nan, inf, 2, 1024}));
  // Integer bases: exact powers, 1/x^n truncated for negative exponents, wrapping overflow.
  check_values("Pow",
               {given(ints_of<std::int32_t>({2, -3, 0, 1, -1, 2, 3})),
                given(ints_of<std::int32_t>({10, 3, 0, -4, -3, -1, 21}))},
               none, ints_of<std::int32_t>({1024, -27, 1, 1, -1, 0, 1870418611}));
  // A floating exponent: the power in double, truncated (NaN, here (-8)^(1/3), gives 0).
  check_values("Pow",
               {given(ints_of<std::int64_t>({2, 3, -8})), given(f32({0.5f, 2.5f, 1.0f / 3}))},
               none, ints_of<std::int64_t>({1, 15, 0}));
  check_values("Pow", {given(f32({3, 2})), given(ints_of<std::int64_t>({2, -2}))}, none,
               f32({9, 0.25f}));
}

TEST_CASE("an integer 0 raised to a negative power fails the batch, naming the node") {
  auto m = one_node_model(
    "Pow", {given(ints_of<std::int64_t>({0, 2})), given(ints_of<std::int64_t>({-1, 1}))}, {}, 17,
    1, "pow");
  for (auto d : {nn::device::reference, nn::device::cpu}) {
    auto r = run_on(m, d);
    REQUIRE_FALSE(r.has_value());
    CHECK_MESSAGE(r.error().message.find("node 'pow' (Pow)") != std::string::npos,
                  r.error().message);
    CHECK_MESSAGE(r.error().message.find("negative integer power") != std::string::npos,
                  r.error().message);
  }
}

TEST_CASE("a Dropout is a view unless it names its mask, which then runs and comes out all true") {
  for (std::int64_t opset : {7, 13}) {
    INFO("opset ", opset);
    model_builder b{opset};
    auto x = b.value(data({4, 33}));
    // The ratio, an attribute before opset 12, changes nothing at inference.
    std::vector<onnx::attribute> ratio;
    if (opset < 12)
      ratio.push_back(attr("ratio", 0.5f));
    auto y = b.node("Dropout", {x}, ratio, "drop");
    auto m = b.finish(y);
    // A view: planning leaves no node to run.
    std::vector<shape_t> shapes = {shape_t{4, 33}};
    auto plain = onnx::plan::make(m.model, shapes);
    REQUIRE_MESSAGE(plain.has_value(), plain.error().message);
    CHECK(plain->nodes().empty());

    // The same node naming its mask: a bool from opset 10, the data's type before.
    auto graph = *m.model;
    graph.nodes[0].outputs.push_back("mask");
    const auto mask_type = opset >= 10 ? dtype::boolean : dtype::float32;
    graph.outputs.push_back({"mask", mask_type, {4, 33}});
    m.model = std::make_shared<const onnx::model_graph>(graph);
    auto with_mask = onnx::plan::make(m.model, shapes);
    REQUIRE_MESSAGE(with_mask.has_value(), with_mask.error().message);
    CHECK(with_mask->nodes().size() == 1);
    std::vector<nn::device> devices = {nn::device::reference, nn::device::cpu};
    if (cuda_device_count() > 0)
      devices.push_back(nn::device::gpu);
    for (auto d : devices) {
      INFO(nn::to_string(d));
      auto out = run_on(m, d);
      REQUIRE_MESSAGE(out.has_value(), out.error().message);
      REQUIRE(out->size() == 2);
      CHECK(nmse((*out)[0], m.inputs[0]) == 0);
      REQUIRE((*out)[1].type() == mask_type);
      for (std::int64_t i = 0; i < (*out)[1].element_count(); ++i)
        CHECK((*out)[1].value_as_double(i) == 1.0);
    }
  }
}

TEST_CASE("a reduction refuses axes from a request, an axis out of range and a wrong dtype, "
          "naming the node") {
  struct refusal {
    std::string op_type;
    std::vector<operand> operands;
    std::vector<onnx::attribute> attributes;
    std::int64_t opset;
    std::string says;
  };
  const std::vector<refusal> refusals = {
    {"ReduceSum", {data({2, 3}), data({1}, dtype::int64)}, {}, 13,
     "input 1 ('v1', the axes) must be a constant"},
    {"ReduceMean", {data({2, 3})}, {ints("axes", {2})}, 13, "axis 2 is outside [-2, 1]"},
    {"ReduceMax", {data({2, 3})}, {ints("axes", {1, -1})}, 13, "axis -1 is named twice"},
    {"ReduceL2", {data({2, 3}, dtype::int32)}, {}, 13, "takes float32 or float64"},
    {"ArgMax", {data({2, 3})}, {attr("axis", std::int64_t{-3})}, 13, "is -3, outside [-2, 1]"},
  };
  for (auto& r : refusals) {
    INFO(r.op_type, ": ", r.says);
    auto m = one_node_model(r.op_type, r.operands, r.attributes, r.opset, 1, "reduce");
    auto out = run_on(m, nn::device::cpu);
    REQUIRE_FALSE(out.has_value());
    CHECK_MESSAGE(out.error().message.find("node 'reduce' (" + r.op_type + ")") !=
                    std::string::npos,
                  out.error().message);
    CHECK_MESSAGE(out.error().message.find(r.says) != std::string::npos, out.error().message);
  }
}

TEST_CASE("resizes on the fast CPU path match the reference") { check_cpu("resize"); }

TEST_CASE("local response and instance normalizations on the fast CPU path match the "
          "reference") {
  check_cpu("norm");
}

TEST_CASE("every case of the table runs on the GPU as on the reference, or says why not") {
  if (cuda_device_count() == 0) {
    MESSAGE("GPU column skipped: " << cuda_device_summary());
    return;
  }
  for (auto family : {"conv", "pool", "activation", "batch_norm", "gemm", "softmax", "reduce",
                      "shape", "binary", "unary", "nary", "resize", "norm"})
    check_family(family, nn::device::gpu, 1);
}

} // namespace
} // namespace hogar::test
