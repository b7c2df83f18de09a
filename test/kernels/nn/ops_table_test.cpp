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
#include "kernels/onnx/onnx_reader.hpp"
#include "kernels/onnx/onnx_writer.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

struct op_case {
  /// The family a TEST_CASE checks: conv, conv_transpose, pool, activation, batch_norm, gemm,
  /// softmax, reduce, shape, binary, unary, nary, resize, norm (LRN, InstanceNormalization).
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

/// A bool tensor of 0/1 values (std::vector<bool> has no storage to hand to from_values).
tensor bools(shape_t shape, std::vector<int> values) {
  tensor t{dtype::boolean, std::move(shape)};
  auto bytes = t.mutable_bytes();
  for (std::size_t i = 0; i < values.size(); ++i)
    bytes[i] = static_cast<char>(values[i] != 0);
  return t;
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

    // ConvTranspose: the upsamplings of generators and U-Nets, then the corner cases of every
    // attribute; weights given with the request run on the sgemm path, constant ones on
    // oneDNN where it takes the crops.
    {"conv_transpose", "4x4/2 256->128 on 16x16, pad 1 (DCGAN generator)", "ConvTranspose",
     {data({1, 256, 16, 16}), weight({256, 128, 4, 4}), weight({128})},
     {pads({1, 1, 1, 1}), strides({2, 2})}},
    {"conv_transpose", "2x2/2 64->32 on 28x28, batch 2 (U-Net up-convolution)", "ConvTranspose",
     {data({2, 64, 28, 28}), weight({64, 32, 2, 2}), weight({32})}, {strides({2, 2})}},
    {"conv_transpose", "4x4/2 on 16x16, weights with the request (sgemm, col2im)",
     "ConvTranspose", {data({1, 64, 16, 16}), data({64, 48, 4, 4}), weight({48})},
     {pads({1, 1, 1, 1}), strides({2, 2})}},
    {"conv_transpose", "4 groups 16->24, stride 2, output_padding 1", "ConvTranspose",
     {data({2, 16, 9, 11}), weight({16, 6, 3, 3}), weight({24})},
     {attr("group", std::int64_t{4}), strides({2, 2}), pads({1, 1, 1, 1}),
      ints("output_padding", {1, 1})}},
    {"conv_transpose", "2 groups, weights with the request, batch 3", "ConvTranspose",
     {data({3, 8, 9, 7}), data({8, 5, 3, 3})}, {attr("group", std::int64_t{2}), strides({2, 1})}},
    {"conv_transpose", "depthwise 4x4/2 on 8 channels", "ConvTranspose",
     {data({1, 8, 10, 10}), weight({8, 1, 4, 4}), weight({8})},
     {attr("group", std::int64_t{8}), strides({2, 2}), pads({1, 1, 1, 1})}},
    {"conv_transpose", "dilations 2x3, strides 1x2, uneven pads", "ConvTranspose",
     {data({1, 6, 12, 10}), weight({6, 5, 3, 3}), weight({5})},
     {ints("dilations", {2, 3}), strides({1, 2}), pads({2, 1, 0, 3})}},
    {"conv_transpose", "dilation 2 and stride 3, weights with the request", "ConvTranspose",
     {data({2, 4, 7, 6}), data({4, 3, 3, 2}), weight({3})},
     {ints("dilations", {2, 2}), strides({3, 3}), pads({1, 0, 2, 1})}},
    {"conv_transpose", "output_padding past the stride (3x1 at stride 2)", "ConvTranspose",
     {data({1, 4, 7, 7}), weight({4, 3, 3, 3}), weight({3})},
     {strides({2, 2}), ints("output_padding", {3, 1})}},
    {"conv_transpose", "output_shape larger than the full output, with pads ignored",
     "ConvTranspose", {data({1, 4, 7, 6}), weight({4, 3, 3, 3}), weight({3})},
     {strides({2, 2}), ints("output_shape", {20, 16})}},
    {"conv_transpose", "output_shape smaller than the full output, odd crop", "ConvTranspose",
     {data({2, 4, 7, 6}), weight({4, 3, 4, 4}), weight({3})},
     {strides({2, 2}), ints("output_shape", {13, 11})}},
    {"conv_transpose", "auto_pad SAME_UPPER, stride 2", "ConvTranspose",
     {data({1, 8, 9, 9}), weight({8, 4, 3, 3}), weight({4})},
     {attr("auto_pad", std::string{"SAME_UPPER"}), strides({2, 2})}},
    {"conv_transpose", "auto_pad SAME_LOWER, stride 3 past a 2x2 kernel (output grows)",
     "ConvTranspose", {data({1, 8, 5, 6}), weight({8, 4, 2, 2}), weight({4})},
     {attr("auto_pad", std::string{"SAME_LOWER"}), strides({3, 3})}},
    {"conv_transpose", "auto_pad VALID with pads ignored", "ConvTranspose",
     {data({1, 3, 5, 5}), weight({3, 2, 3, 3})},
     {attr("auto_pad", std::string{"VALID"}), strides({2, 2})}},
    {"conv_transpose", "1-D kernel 5, stride 3, pads 1 and 2", "ConvTranspose",
     {data({2, 16, 50}), weight({16, 8, 5}), weight({8})}, {strides({3}), pads({1, 2})}},
    {"conv_transpose", "1-D, weights with the request, output_padding 2", "ConvTranspose",
     {data({1, 6, 20}), data({6, 4, 3}), weight({4})},
     {strides({3}), ints("output_padding", {2})}},
    {"conv_transpose", "3-D 3x3x3/2 4->6, pad 1", "ConvTranspose",
     {data({1, 4, 5, 6, 7}), weight({4, 6, 3, 3, 3}), weight({6})},
     {strides({2, 2, 2}), pads({1, 1, 1, 1, 1, 1})}},
    {"conv_transpose", "3-D, 2 groups, weights with the request, dilation 2", "ConvTranspose",
     {data({2, 4, 3, 4, 5}), data({4, 3, 2, 3, 2}), weight({6})},
     {attr("group", std::int64_t{2}), ints("dilations", {2, 1, 2}), strides({1, 2, 3})}},

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
    {"unary", "Gelu of BERT's feed-forward [1, 128, 3072]", "Gelu",
     {uniform({1, 128, 3072}, -6, 6)}, none, 20},
    {"unary", "Gelu tanh approximation [4, 1000]", "Gelu", {uniform({4, 1000}, -6, 6)},
     {attr("approximate", std::string{"tanh"})}, 20},
    {"unary", "Gelu at the corner values", "Gelu", {corner_values()}, none, 20},
    {"unary", "Gelu tanh at the corner values", "Gelu", {corner_values()},
     {attr("approximate", std::string{"tanh"})}, 20},
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
    {"reduce", "TopK 5 of 1000 classes, batch 32", "TopK", {data({32, 1000}), int64s({5})}, none},
    {"reduce", "TopK 300 of 8400 boxes (a detector's candidates)", "TopK",
     {data({2, 8400}), int64s({300})}, none},
    {"reduce", "TopK smallest 3 over the channels of [2, 21, 6, 6] (strided)", "TopK",
     {data({2, 21, 6, 6}), int64s({3})},
     {attr("axis", std::int64_t{1}), attr("largest", std::int64_t{0})}},
    {"reduce", "TopK of a whole axis", "TopK", {data({4, 17}), int64s({17})}, none},
    {"reduce", "TopK at the corner values, NaN first", "TopK", {corner_values(), int64s({7})},
     none},
    {"reduce", "TopK k as an attribute (opset 1)", "TopK", {data({3, 40})},
     {attr("k", std::int64_t{4})}, 1},

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
    // Gather, its indices a request's: every element size, int32 and int64 indices, negative
    // ones from the back.
    {"shape", "Gather embedding rows [30, 16] by ids [2, 5], negative ones too", "Gather",
     {weight({30, 16}),
      given(tensor::from_values<std::int64_t>({2, 5}, {0, 29, -1, 7, 7, 3, -30, 12, 1, 0}))},
     none},
    {"shape", "Gather along axis 1 by int32 indices, int64 data", "Gather",
     {data({3, 5, 4}, dtype::int64), given(tensor::from_values<std::int32_t>({3}, {4, -5, 2}))},
     {attr("axis", std::int64_t{1})}},
    {"shape", "Gather one index along the last axis (a scalar drops it), uint8", "Gather",
     {data({4, 6}, dtype::uint8), given(tensor::from_values<std::int64_t>({}, {-2}))},
     {attr("axis", std::int64_t{-1})}},
    {"shape", "Gather float64 rows by int32 indices", "Gather",
     {data({7, 3}, dtype::float64),
      given(tensor::from_values<std::int32_t>({2, 2}, {6, 0, -7, 3}))},
     none},
    // Slice, Expand, Tile (strided copies) and Pad, shape arguments as initializers (Split,
    // with its several outputs, has a test of its own below).
    {"shape", "Slice channels 16:48 of [2, 64, 28, 28]", "Slice",
     {data({2, 64, 28, 28}), int64s({16}), int64s({48}), int64s({1})}, none},
    {"shape", "Slice every other row and column from the back, ends past the axis", "Slice",
     {data({3, 37, 41}), int64s({-1, 40}), int64s({std::numeric_limits<std::int64_t>::min(), -100}),
      int64s({-2, 2}), int64s({-2, -3})},
     none},
    {"shape", "Slice the last 4 boxes of a YOLO head, int64", "Slice",
     {data({2, 85, 300}, dtype::int64), int64s({-4}), int64s({std::numeric_limits<std::int64_t>::max()}),
      int64s({1})},
     none},
    {"shape", "Slice with attributes (opset 1), an empty axis", "Slice", {data({4, 6, 5})},
     {ints("starts", {1, 7}), ints("ends", {3, 9}), ints("axes", {0, 1})}, 1},
    {"shape", "Expand [3, 1] to [2, 3, 300]", "Expand", {data({3, 1}), int64s({2, 3, 300})},
     none},
    {"shape", "Expand a row [64] to [8, 1, 64] (an attention bias), uint8", "Expand",
     {data({64}, dtype::uint8), int64s({8, 1, 1})}, none},
    {"shape", "Tile [2, 3, 40] by [2, 1, 3]", "Tile", {data({2, 3, 40}), int64s({2, 1, 3})},
     none},
    {"shape", "Tile bool [5, 1] by [1, 33]", "Tile", {data({5, 1}, dtype::boolean), int64s({1, 33})},
     none},
    {"shape", "Pad constant [1, 3, 30, 30] by (1, 2, 3, 1) with a request's value", "Pad",
     {data({1, 3, 30, 30}), int64s({0, 0, 1, 2, 0, 0, 3, 1}), given(tensor::scalar(2.5f))},
     none},
    {"shape", "Pad reflect by more than the axis, and a crop", "Pad",
     {data({2, 3, 5, 4}), int64s({0, 1, 6, -1, 0, -2, 2, 7})},
     {attr("mode", std::string{"reflect"})}},
    {"shape", "Pad edge, int32", "Pad", {data({3, 17, 9}, dtype::int32), int64s({0, 2, 3, 1, 4, 0})},
     {attr("mode", std::string{"edge"})}},
    {"shape", "Pad with attributes (opset 2), value 1.5", "Pad", {data({2, 6, 8})},
     {ints("pads", {0, 1, 1, 0, 2, 3}), attr("value", 1.5f)}, 2},

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

    // Comparisons and logic (bool out), Where and Cast: exact on every path.
    {"compare", "Equal of float32 at the corner values", "Equal",
     {corner_values(), corner_values(7)}, none, 17, 0},
    {"compare", "Less at the corner values", "Less", {corner_values(), corner_values(7)}, none,
     17, 0},
    {"compare", "Greater at the corner values", "Greater", {corner_values(), corner_values(5)},
     none, 17, 0},
    {"compare", "LessOrEqual at the corner values", "LessOrEqual",
     {corner_values(), corner_values(3)}, none, 17, 0},
    {"compare", "GreaterOrEqual at the corner values", "GreaterOrEqual",
     {corner_values(), corner_values(3)}, none, 17, 0},
    {"compare", "Equal of int32 with a broadcast row [4, 100] [100]", "Equal",
     {data({4, 100}, dtype::int32), data({100}, dtype::int32)}, none, 17, 0},
    {"compare", "Less of int64, a scalar on the left", "Less",
     {data({}, dtype::int64), data({6, 45}, dtype::int64)}, none, 17, 0},
    {"compare", "Greater of int8 broadcasting [3, 1, 5] and [4, 1]", "Greater",
     {data({3, 1, 5}, dtype::int8), data({4, 1}, dtype::int8)}, none, 17, 0},
    {"compare", "GreaterOrEqual of uint8 [2, 64, 28, 28]", "GreaterOrEqual",
     {data({2, 64, 28, 28}, dtype::uint8), data({2, 64, 28, 28}, dtype::uint8)}, none, 17, 0},
    {"compare", "LessOrEqual of float64 by a per-channel [64, 1, 1]", "LessOrEqual",
     {data({2, 64, 7, 7}, dtype::float64), data({64, 1, 1}, dtype::float64)}, none, 17, 0},
    {"compare", "Less with broadcast 1 and axis 1 (opset 6)", "Less",
     {data({2, 3, 4, 5}), data({3, 4})},
     {attr("broadcast", std::int64_t{1}), attr("axis", std::int64_t{1})}, 6, 0},
    {"compare", "Equal of bools", "Equal",
     {data({5, 33}, dtype::boolean), data({5, 33}, dtype::boolean)}, none, 17, 0},
    {"compare", "And of bools broadcasting [3, 4, 5] and [4, 5]", "And",
     {data({3, 4, 5}, dtype::boolean), data({4, 5}, dtype::boolean)}, none, 17, 0},
    {"compare", "Or of bools broadcasting [2, 1, 70] and [3, 1]", "Or",
     {data({2, 1, 70}, dtype::boolean), data({3, 1}, dtype::boolean)}, none, 17, 0},
    {"compare", "Xor of bools [16, 1000]", "Xor",
     {data({16, 1000}, dtype::boolean), data({16, 1000}, dtype::boolean)}, none, 17, 0},
    {"compare", "Not [6, 5000]", "Not", {data({6, 5000}, dtype::boolean)}, none, 17, 0},
    {"compare", "Where of equal shapes [2, 64, 28, 28]", "Where",
     {data({2, 64, 28, 28}, dtype::boolean), data({2, 64, 28, 28}), data({2, 64, 28, 28})},
     none, 17, 0},
    {"compare", "Where filling a causal mask with a scalar (masked_fill) [2, 8, 64, 64]",
     "Where", {data({1, 1, 64, 64}, dtype::boolean), scalar(-1e9f), data({2, 8, 64, 64})},
     none, 17, 0},
    {"compare", "Where of int64 broadcasting [3, 1, 5], [4, 1] and [5]", "Where",
     {data({3, 1, 5}, dtype::boolean), data({4, 1}, dtype::int64), data({5}, dtype::int64)},
     none, 17, 0},
    {"compare", "Where of uint8 with the condition a column [7, 1]", "Where",
     {data({7, 1}, dtype::boolean), data({7, 300}, dtype::uint8), data({300}, dtype::uint8)},
     none, 17, 0},
    {"compare", "Where of bools, a scalar condition", "Where",
     {data({}, dtype::boolean), data({4, 9}, dtype::boolean), data({4, 9}, dtype::boolean)},
     none, 17, 0},
    {"compare", "Where of float64 (opset 9)", "Where",
     {data({5, 6}, dtype::boolean), data({5, 6}, dtype::float64), data({6}, dtype::float64)},
     none, 9, 0},
    {"compare", "Cast float32 to int32 [4, 1000]", "Cast", {uniform({4, 1000}, -300, 300)},
     {attr("to", std::int64_t{6})}, 17, 0},
    {"compare", "Cast the corner values to int8 (saturated)", "Cast", {corner_values()},
     {attr("to", std::int64_t{3})}, 17, 0},
    {"compare", "Cast the corner values to uint8 (saturated)", "Cast", {corner_values()},
     {attr("to", std::int64_t{2})}, 17, 0},
    {"compare", "Cast the corner values to int64", "Cast", {corner_values()},
     {attr("to", std::int64_t{7})}, 17, 0},
    {"compare", "Cast the corner values to bool", "Cast", {corner_values()},
     {attr("to", std::int64_t{9})}, 17, 0},
    {"compare", "Cast the corner values to float64", "Cast", {corner_values()},
     {attr("to", std::int64_t{11})}, 17, 0},
    {"compare", "Cast float64 to float32", "Cast", {data({3, 500}, dtype::float64)},
     {attr("to", std::int64_t{1})}, 17, 0},
    {"compare", "Cast int64 to float32", "Cast", {data({3, 500}, dtype::int64)},
     {attr("to", std::int64_t{1})}, 17, 0},
    {"compare", "Cast uint8 to int8 (wraps)", "Cast", {data({2, 256}, dtype::uint8)},
     {attr("to", std::int64_t{3})}, 17, 0},
    {"compare", "Cast bool to float32", "Cast", {data({9, 70}, dtype::boolean)},
     {attr("to", std::int64_t{1})}, 17, 0},
    {"compare", "Cast int32 to int32 (a copy)", "Cast", {data({9, 70}, dtype::int32)},
     {attr("to", std::int64_t{6})}, 17, 0},
    {"compare", "Cast to DOUBLE named as a string (opset 1)", "Cast", {data({4, 25})},
     {attr("to", std::string{"DOUBLE"})}, 1, 0},
    {"compare", "CastLike float32 like an int64", "CastLike",
     {uniform({5, 40}, -50, 50), constant(tensor::from_values<std::int64_t>({1}, {0}))}, none,
     15, 0},

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
    // LayerNormalization: BERT's and ViT's, then rows of odd length, far from zero, axis 1,
    // a single Scale and B.
    {"norm", "LayerNormalization [8, 128, 768] (BERT base)", "LayerNormalization",
     {data({8, 128, 768}), weight({768}), weight({768})}, {attr("epsilon", 1e-12f)}},
    {"norm", "LayerNormalization [2, 197, 384] without B (ViT small)", "LayerNormalization",
     {data({2, 197, 384}), weight({384})}, none},
    {"norm", "LayerNormalization rows of 1001 (a scalar tail), epsilon 1e-3",
     "LayerNormalization", {data({5, 1001}), weight({1001}), weight({1001})},
     {attr("epsilon", 1e-3f)}},
    {"norm", "LayerNormalization of rows around 1000 (precision of the variance)",
     "LayerNormalization", {uniform({16, 500}, 1000, 1001), weight({500}), weight({500})}, none},
    {"norm", "LayerNormalization over axis 1 of [4, 3, 5, 7], Scale [3, 5, 7]",
     "LayerNormalization", {data({4, 3, 5, 7}), weight({3, 5, 7}), weight({105})},
     {attr("axis", std::int64_t{1})}},
    {"norm", "LayerNormalization with a single Scale and B value", "LayerNormalization",
     {data({6, 40}), weight({1}), weight({1})}, none},
    {"norm", "LayerNormalization over every axis (axis 0)", "LayerNormalization",
     {data({3, 9}), weight({3, 9}), weight({3, 9})}, {attr("axis", std::int64_t{0})}},

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

TEST_CASE("ConvTranspose on the fast CPU path matches the reference over groups, strides, "
          "dilations, output_padding and output_shape") {
  check_cpu("conv_transpose");
}

TEST_CASE("ConvTranspose refuses inconsistent attributes, naming the node and the attribute") {
  struct refusal {
    std::vector<onnx::attribute> attributes;
    std::string says;
  };
  const std::vector<refusal> refusals = {
    {{ints("kernel_shape", {2, 2})}, "attribute 'kernel_shape' is [2, 2] but W [4, 3, 3, 3]"},
    {{ints("output_shape", {10, 8, 3})}, "attribute 'output_shape' has 3 entries for 2 spatial"},
    {{ints("output_padding", {1})}, "attribute 'output_padding' has 1 entries for 2 spatial"},
    {{ints("output_padding", {0, -1})}, "attribute 'output_padding' holds -1"},
    {{attr("group", std::int64_t{3})}, "attribute 'group' is 3; it must divide the 4 input"},
    {{ints("strides", {2, 0})}, "attribute 'strides' holds 0"},
    {{ints("pads", {2, 2, 2, 2})}, "attribute 'pads' 2 and 2 leave no output"},
    {{attr("auto_pad", std::string{"SAME"})}, "attribute 'auto_pad' is 'SAME'"},
  };
  for (auto& r : refusals) {
    INFO(r.says);
    auto m = one_node_model("ConvTranspose", {data({1, 4, 1, 3}), weight({4, 3, 3, 3})},
                            r.attributes, 17, 1, "up");
    auto out = run_on(m, nn::device::cpu);
    REQUIRE_FALSE(out.has_value());
    CHECK_MESSAGE(out.error().message.find("node 'up' (ConvTranspose)") != std::string::npos,
                  out.error().message);
    CHECK_MESSAGE(out.error().message.find(r.says) != std::string::npos, out.error().message);
  }
}

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

TEST_CASE("comparisons treat NaN as unordered, logic broadcasts, Where selects, Cast truncates "
          "and saturates") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<onnx::attribute> none;
  const auto a = given(f32({nan, 1, 2, -inf, 0, nan}));
  const auto b = given(f32({nan, 2, 2, -inf, -0.0f, 3}));
  check_values("Equal", {a, b}, none, bools({6}, {0, 0, 1, 1, 1, 0}));
  check_values("Less", {a, b}, none, bools({6}, {0, 1, 0, 0, 0, 0}));
  check_values("Greater", {a, b}, none, bools({6}, {0, 0, 0, 0, 0, 0}));
  check_values("LessOrEqual", {a, b}, none, bools({6}, {0, 1, 1, 1, 1, 0}));
  check_values("GreaterOrEqual", {a, b}, none, bools({6}, {0, 0, 1, 1, 1, 0}));
  check_values("Greater", {given(ints_of<std::int64_t>({-5, 7})), given(tensor::scalar(std::int64_t{0}))},
               none, bools({2}, {0, 1}));
  // [2, 1] against [2]: the truth tables.
  const auto p = given(bools({2, 1}, {0, 1}));
  const auto q = given(bools({2}, {0, 1}));
  check_values("And", {p, q}, none, bools({2, 2}, {0, 0, 0, 1}));
  check_values("Or", {p, q}, none, bools({2, 2}, {0, 1, 1, 1}));
  check_values("Xor", {p, q}, none, bools({2, 2}, {0, 1, 1, 0}));
  check_values("Equal", {p, q}, none, bools({2, 2}, {1, 0, 0, 1}));
  check_values("Not", {given(bools({3}, {1, 0, 1}))}, none, bools({3}, {0, 1, 0}));
  check_values("Where",
               {given(bools({2, 1}, {1, 0})), given(f32({1, 2, 3})), given(tensor::scalar(9.0f))},
               none, tensor::from_values<float>({2, 3}, {1, 2, 3, 9, 9, 9}));
  auto cast_to = [](std::int64_t to) { return std::vector<onnx::attribute>{attr("to", to)}; };
  check_values("Cast", {given(f32({2.7f, -2.7f, nan, 1e10f, -1e10f, -0.5f, inf}))}, cast_to(6),
               ints_of<std::int32_t>({2, -2, 0, 2147483647, -2147483647 - 1, 0, 2147483647}));
  check_values("Cast", {given(f32({300.5f, -3, 255.9f, 1.99f}))}, cast_to(2),
               ints_of<std::uint8_t>({255, 0, 255, 1}));
  check_values("Cast", {given(f32({0, -0.0f, nan, 0.1f, -inf}))}, cast_to(9),
               bools({5}, {0, 0, 1, 1, 1}));
  check_values("Cast", {given(ints_of<std::int32_t>({200, -129, 5, 256}))}, cast_to(3),
               ints_of<std::int8_t>({-56, 127, 5, 0}));
  check_values("Cast", {given(bools({2}, {1, 0}))}, cast_to(11),
               tensor::from_values<double>({2}, {1, 0}));
  check_values("Cast", {given(ints_of<std::int64_t>({(std::int64_t{1} << 53) + 1, -3}))},
               cast_to(11), tensor::from_values<double>({2}, {9007199254740992.0, -3}));
  // Opset 1 names the type.
  check_values("Cast", {given(f32({1.5f, -1.5f}))}, {attr("to", std::string{"INT64"})},
               ints_of<std::int64_t>({1, -1}), 1);
  check_values("CastLike",
               {given(tensor::from_values<double>({2}, {0.1, 1e300})),
                constant(tensor::scalar(0.0f))},
               none, f32({0.1f, inf}), 15);
}

TEST_CASE("comparisons, logic, Where and Cast refuse types they do not take, naming the node") {
  struct refusal {
    std::string op_type;
    std::vector<operand> operands;
    std::vector<onnx::attribute> attributes;
    std::int64_t opset;
    std::string says;
  };
  const std::vector<refusal> refusals = {
    {"Less", {data({2}, dtype::boolean), data({2}, dtype::boolean)}, {}, 13,
     "inputs are bool; Less takes a numeric type"},
    {"Greater", {data({2}, dtype::int32), data({2}, dtype::int32)}, {}, 7,
     "Greater takes float32 or float64 before opset 9"},
    {"Equal", {data({2}), data({2})}, {}, 7, "Equal takes bool, int32 or int64 before opset 11"},
    {"Equal", {data({2}), data({2}, dtype::float64)}, {}, 13,
     "A is float32 but B is float64; both must have one type"},
    {"And", {data({2}), data({2})}, {}, 7, "And takes bool"},
    {"Not", {data({2}, dtype::int8)}, {}, 1, "input X is int8; Not takes bool"},
    {"Or", {data({2, 3}, dtype::boolean), data({4}, dtype::boolean)}, {}, 7, "do not broadcast"},
    {"Where", {data({2}, dtype::int32), data({2}), data({2})}, {}, 16,
     "input condition is int32; Where takes a bool condition"},
    {"Where", {data({2}, dtype::boolean), data({2}), data({2}, dtype::int64)}, {}, 16,
     "X is float32 but Y is int64"},
    {"Where", {data({3}, dtype::boolean), data({2, 1}), data({2})}, {}, 16,
     "input condition [3] does not broadcast with [2, 2]"},
    {"Cast", {data({2})}, {attr("to", std::int64_t{10})}, 13,
     "attribute 'to' is FLOAT16 (10), a type hogar has no dtype for"},
    {"Cast", {data({2})}, {attr("to", std::int64_t{16})}, 13, "BFLOAT16 (16)"},
    {"Cast", {data({2})}, {attr("to", std::int64_t{8})}, 13, "STRING (8)"},
    {"Cast", {data({2})}, {attr("to", std::int64_t{99})}, 13, "'to' is 99, not an ONNX element type"},
    {"Cast", {data({2})}, {}, 13, "attribute 'to' is required"},
  };
  for (auto& r : refusals) {
    INFO(r.op_type, ": ", r.says);
    auto m = one_node_model(r.op_type, r.operands, r.attributes, r.opset, 1, "logic");
    auto out = run_on(m, nn::device::cpu);
    REQUIRE_FALSE(out.has_value());
    CHECK_MESSAGE(out.error().message.find("node 'logic' (" + r.op_type + ")") !=
                    std::string::npos,
                  out.error().message);
    CHECK_MESSAGE(out.error().message.find(r.says) != std::string::npos, out.error().message);
  }
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

TEST_CASE("comparisons, logic, Where and Cast on the fast CPU path match the reference "
          "exactly") {
  check_cpu("compare");
}

TEST_CASE("resizes on the fast CPU path match the reference") { check_cpu("resize"); }

TEST_CASE("local response and instance normalizations on the fast CPU path match the "
          "reference") {
  check_cpu("norm");
}

/// `m` with its one node naming outputs `extra` besides its first (declared with their
/// planned types), for ops with several outputs.
model_with_inputs with_outputs(model_with_inputs m, const std::vector<std::string>& extra) {
  auto graph = *m.model;
  for (auto& name : extra) {
    graph.nodes[0].outputs.push_back(name);
    graph.outputs.push_back({name, dtype::float32, {}});
  }
  std::vector<shape_t> shapes;
  for (auto& in : m.inputs)
    shapes.push_back(in.shape());
  auto probe = std::make_shared<const onnx::model_graph>(graph);
  auto p = onnx::plan::make(probe, shapes);
  REQUIRE_MESSAGE(p.has_value(), p.error().message);
  for (std::size_t o = 0; o < graph.outputs.size(); ++o) {
    const auto& v = p->values()[static_cast<std::size_t>(p->outputs()[o])];
    graph.outputs[o].type = v.type.type;
    graph.outputs[o].shape = v.type.shape;
  }
  m.model = std::make_shared<const onnx::model_graph>(graph);
  return m;
}

/// The devices a test can run here: the CPU paths, and the GPU when there is one.
std::vector<nn::device> devices_here() {
  std::vector<nn::device> devices = {nn::device::reference, nn::device::cpu};
  if (cuda_device_count() > 0)
    devices.push_back(nn::device::gpu);
  return devices;
}

/// Checks `actual` against `expected` element by element: integers exactly, floats to 1e-5
/// relative, NaN where NaN is expected.
void check_close(const tensor& actual, const tensor& expected) {
  REQUIRE(actual.type() == expected.type());
  REQUIRE(actual.shape() == expected.shape());
  for (std::int64_t i = 0; i < actual.element_count(); ++i) {
    const double a = actual.value_as_double(i), b = expected.value_as_double(i);
    INFO("element ", i, ": ", a, ", expected ", b);
    if (std::isnan(b))
      CHECK(std::isnan(a));
    else if (std::isinf(b) || (expected.type() != dtype::float32 &&
                               expected.type() != dtype::float64))
      CHECK(a == b);
    else
      CHECK(std::fabs(a - b) <= 1e-5 * std::max(1.0, std::fabs(b)));
  }
}

TEST_CASE("Gelu gives the erf formula and its tanh approximation, at any opset") {
  const std::vector<double> xs = {-6, -3, -1.5, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 2.5, 5, 10};
  std::vector<float> x, exact, approx;
  for (double v : xs) {
    x.push_back(static_cast<float>(v));
    exact.push_back(static_cast<float>(0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))));
    approx.push_back(static_cast<float>(
      0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)))));
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (std::int64_t opset : {13, 20}) {
    INFO("opset ", opset);
    check_values("Gelu", {given(f32(x))}, {}, f32(exact), opset);
    check_values("Gelu", {given(f32(x))}, {attr("approximate", std::string{"none"})},
                 f32(exact), opset);
    check_values("Gelu", {given(f32(x))}, {attr("approximate", std::string{"tanh"})},
                 f32(approx), opset);
  }
  check_values("Gelu", {given(f32({inf}))}, {}, f32({inf}), 20);
  for (auto d : {nn::device::reference, nn::device::cpu}) {
    INFO("float64 on ", nn::to_string(d));
    auto m = one_node_model("Gelu", {given(tensor::from_values<double>({2}, {1.0, -2.0}))}, {},
                            20);
    auto out = run_on(m, d);
    REQUIRE_MESSAGE(out.has_value(), out.error().message);
    check_close(out->front(), tensor::from_values<double>(
                                {2}, {0.5 * (1 + std::erf(1 / std::sqrt(2.0))),
                                      -1.0 * (1 + std::erf(-2 / std::sqrt(2.0)))}));
  }
  for (auto d : devices_here()) {
    INFO(nn::to_string(d));
    auto m = one_node_model("Gelu", {given(f32(x))}, {attr("approximate", std::string{"tanh"})},
                            20);
    auto out = run_on(m, d);
    REQUIRE_MESSAGE(out.has_value(), out.error().message);
    check_close(out->front(), f32(approx));
  }
}

TEST_CASE("a Gelu of Microsoft's contrib domain loads from a file and runs; other domains and "
          "approximations are refused, naming the node") {
  auto m = one_node_model("Gelu", {data({4, 10})}, {}, 13, 1, "gelu");
  auto graph = *m.model;
  graph.nodes[0].domain = "com.microsoft";
  auto bytes = onnx::serialize_model(graph);
  REQUIRE_MESSAGE(bytes.has_value(), bytes.error().message);
  auto loaded = onnx::parse_model(std::span<const char>{bytes->data(), bytes->size()}, "gelu.onnx");
  REQUIRE_MESSAGE(loaded.has_value(), loaded.error().message);
  REQUIRE(loaded->nodes.size() == 1);
  CHECK(loaded->nodes[0].domain == "com.microsoft");
  model_with_inputs contrib{std::make_shared<const onnx::model_graph>(*loaded), m.inputs};
  for (auto d : {nn::device::reference, nn::device::cpu}) {
    auto expected = run_on(m, d);
    auto out = run_on(contrib, d);
    REQUIRE_MESSAGE(out.has_value(), out.error().message);
    CHECK(nmse(out->front(), expected->front()) == 0);
  }

  auto other = graph;
  other.nodes[0].domain = "com.example";
  auto refused = run_on({std::make_shared<const onnx::model_graph>(other), m.inputs},
                        nn::device::cpu);
  REQUIRE_FALSE(refused.has_value());
  CHECK_MESSAGE(refused.error().message.find("node 'gelu' (Gelu): is of domain 'com.example'") !=
                  std::string::npos,
                refused.error().message);
  // The reader refuses it too, as an unsupported node.
  auto other_bytes = onnx::serialize_model(other);
  REQUIRE(other_bytes.has_value());
  CHECK_FALSE(onnx::parse_model(std::span<const char>{other_bytes->data(), other_bytes->size()},
                                "other.onnx")
                .has_value());

  auto fast = one_node_model("Gelu", {data({2})}, {attr("approximate", std::string{"fast"})}, 20,
                             1, "gelu");
  auto bad = run_on(fast, nn::device::cpu);
  REQUIRE_FALSE(bad.has_value());
  CHECK_MESSAGE(bad.error().message.find("approximate") != std::string::npos,
                bad.error().message);
  CHECK_MESSAGE(bad.error().message.find("'fast'") != std::string::npos, bad.error().message);
}

TEST_CASE("LayerNormalization writes Y, Mean and InvStdDev per row on every device") {
  // Rows [1, 2, 3, 4] and [10, 10, 10, 10] normalised over axis 1.
  auto x = tensor::from_values<float>({2, 4}, {1, 2, 3, 4, 10, 10, 10, 10});
  auto scale = constant(tensor::from_values<float>({4}, {1, 2, 0.5f, -1}));
  auto bias = constant(tensor::from_values<float>({4}, {0, 1, 0, 0.25f}));
  const double eps = 1e-3;
  const double inv_std0 = 1 / std::sqrt(1.25 + eps), inv_std1 = 1 / std::sqrt(eps);
  std::vector<float> y;
  const double d0[4] = {-1.5, -0.5, 0.5, 1.5};
  const double s[4] = {1, 2, 0.5, -1}, b[4] = {0, 1, 0, 0.25};
  for (int j = 0; j < 4; ++j)
    y.push_back(static_cast<float>(d0[j] * inv_std0 * s[j] + b[j]));
  for (int j = 0; j < 4; ++j)
    y.push_back(static_cast<float>(b[j]));
  auto m = with_outputs(one_node_model("LayerNormalization", {given(x), scale, bias},
                                       {attr("epsilon", static_cast<float>(eps))}, 17, 1, "ln"),
                        {"mean", "inv_std_dev"});
  for (auto d : devices_here()) {
    INFO(nn::to_string(d));
    auto out = run_on(m, d);
    REQUIRE_MESSAGE(out.has_value(), out.error().message);
    REQUIRE(out->size() == 3);
    check_close((*out)[0], tensor::from_values<float>({2, 4}, y));
    check_close((*out)[1], tensor::from_values<float>({2, 1}, {2.5f, 10}));
    check_close((*out)[2],
                tensor::from_values<float>({2, 1}, {static_cast<float>(inv_std0),
                                                    static_cast<float>(inv_std1)}));
  }
}

TEST_CASE("LayerNormalization refuses a Scale of the wrong size, an axis out of range and a "
          "stash type it lacks, naming the node") {
  struct refusal {
    std::vector<operand> operands;
    std::vector<onnx::attribute> attributes;
    std::string says;
  };
  const std::vector<refusal> refusals = {
    {{data({2, 6}), weight({5})}, {}, "input 1 ('v1', Scale) is float32[5]"},
    {{data({2, 6}), weight({6}), weight({2})}, {}, "input 2 ('v2', B) is float32[2]"},
    {{data({2, 6}), weight({6})}, {attr("axis", std::int64_t{2})}, "is 2, outside [-2, 1]"},
    {{data({2, 6}), weight({6})}, {attr("stash_type", std::int64_t{11})}, "stash_type"},
    {{data({2, 6}, dtype::int32), weight({6})}, {}, "takes float32 or float64"},
  };
  for (auto& r : refusals) {
    INFO(r.says);
    auto m = one_node_model("LayerNormalization", r.operands, r.attributes, 17, 1, "ln");
    auto out = run_on(m, nn::device::cpu);
    REQUIRE_FALSE(out.has_value());
    CHECK_MESSAGE(out.error().message.find("node 'ln' (LayerNormalization)") != std::string::npos,
                  out.error().message);
    CHECK_MESSAGE(out.error().message.find(r.says) != std::string::npos, out.error().message);
  }
}

TEST_CASE("TopK returns values and int64 indices, equal values lower index first, NaN above "
          "every number") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct top_k_case {
    std::string name;
    tensor x;
    std::int64_t k;
    std::vector<onnx::attribute> attributes;
    tensor values;
    std::vector<std::int64_t> indices;
  };
  const std::vector<top_k_case> cases = {
    {"ties, largest", f32({3, 1, 3, 2, 3}), 3, {}, f32({3, 3, 3}), {0, 2, 4}},
    {"ties, smallest", f32({3, 1, 3, 1, 2}), 3, {attr("largest", std::int64_t{0})},
     f32({1, 1, 2}), {1, 3, 4}},
    {"NaN first among the largest", f32({1, nan, 5, nan}), 3, {}, f32({nan, nan, 5}),
     {1, 3, 2}},
    {"NaN last among the smallest", f32({nan, 4, -2}), 3, {attr("largest", std::int64_t{0})},
     f32({-2, 4, nan}), {2, 1, 0}},
    {"axis 0 of [3, 2]", tensor::from_values<float>({3, 2}, {1, 6, 5, 2, 3, 4}), 2,
     {attr("axis", std::int64_t{0})}, tensor::from_values<float>({2, 2}, {5, 6, 3, 4}),
     {1, 0, 2, 2}},
    {"k 0", f32({1, 2}), 0, {}, tensor::from_values<float>({0}, std::vector<float>{}), {}},
  };
  for (auto& c : cases) {
    INFO(c.name);
    auto m = with_outputs(one_node_model("TopK",
                                         {given(c.x), constant(tensor::from_values<std::int64_t>(
                                                        {1}, {c.k}))},
                                         c.attributes, 11, 1, "top"),
                          {"indices"});
    for (auto d : devices_here()) {
      INFO(nn::to_string(d));
      auto out = run_on(m, d);
      REQUIRE_MESSAGE(out.has_value(), out.error().message);
      REQUIRE(out->size() == 2);
      check_close((*out)[0], c.values);
      check_close((*out)[1], tensor::from_values<std::int64_t>(c.values.shape(), c.indices));
    }
  }
  // int32 with many ties (values in [0, 100)): the fast path's partition gives the
  // reference's values and indices exactly (the GPU runs float32 only).
  auto ties = with_outputs(one_node_model("TopK", {data({6, 500}, dtype::int32), int64s({40})},
                                          {}, 11, 3, "top"),
                           {"indices"});
  auto expected = run_on(ties, nn::device::reference);
  REQUIRE_MESSAGE(expected.has_value(), expected.error().message);
  for (std::size_t threads : {std::size_t{1}, std::size_t{3}}) {
    auto fast = run_on(ties, nn::device::cpu, threads);
    REQUIRE_MESSAGE(fast.has_value(), fast.error().message);
    CHECK((*fast)[0] == (*expected)[0]);
    CHECK((*fast)[1] == (*expected)[1]);
  }
  // int64 values, k an attribute (opset 1).
  auto m = with_outputs(
    one_node_model("TopK", {given(ints_of<std::int64_t>({-5, 7, 7, 0}))},
                   {attr("k", std::int64_t{2})}, 1, 1, "top"),
    {"indices"});
  for (auto d : {nn::device::reference, nn::device::cpu}) {
    auto out = run_on(m, d);
    REQUIRE_MESSAGE(out.has_value(), out.error().message);
    check_close((*out)[0], ints_of<std::int64_t>({7, 7}));
    check_close((*out)[1], ints_of<std::int64_t>({1, 2}));
  }
}

TEST_CASE("TopK refuses a K given with each request and a K past the axis, naming the node") {
  struct refusal {
    std::vector<operand> operands;
    std::vector<onnx::attribute> attributes;
    std::int64_t opset;
    std::string says;
  };
  const std::vector<refusal> refusals = {
    {{data({2, 6}), data({1}, dtype::int64)}, {}, 11, "input 1 ('v1', K) must be a constant"},
    {{data({2, 6}), int64s({7})}, {}, 11, "k is 7; it must lie in [0, 6]"},
    {{data({2, 6}), int64s({-1})}, {}, 11, "k is -1"},
    {{data({2, 6}), int64s({1})}, {attr("axis", std::int64_t{-3})}, 11, "is -3, outside"},
    {{data({2, 6})}, {}, 9, "'k'"},
  };
  for (auto& r : refusals) {
    INFO(r.says);
    auto m = one_node_model("TopK", r.operands, r.attributes, r.opset, 1, "top");
    auto out = run_on(m, nn::device::cpu);
    REQUIRE_FALSE(out.has_value());
    CHECK_MESSAGE(out.error().message.find("node 'top' (TopK)") != std::string::npos,
                  out.error().message);
    CHECK_MESSAGE(out.error().message.find(r.says) != std::string::npos, out.error().message);
  }
}

TEST_CASE("every case of the table runs on the GPU as on the reference, or says why not") {
  if (cuda_device_count() == 0) {
    MESSAGE("GPU column skipped: " << cuda_device_summary());
    return;
  }
  for (auto family : {"conv", "conv_transpose", "pool", "activation", "batch_norm", "gemm", "softmax", "reduce",
                      "shape", "binary", "unary", "nary", "resize", "norm", "compare"})
    check_family(family, nn::device::gpu, 1);
}

TEST_CASE("Slice, Split, Expand, Tile, Pad and Range give ONNX's values on every CPU path") {
  const std::vector<onnx::attribute> none;
  const auto int64_min = std::numeric_limits<std::int64_t>::min();
  auto i64 = [](std::vector<std::int64_t> v) { return ints_of<std::int64_t>(std::move(v)); };
  auto known = [](tensor t) { return constant(std::move(t)); };
  const auto ten = i64({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  // From the back, an end before the axis clamped to "past the first element".
  check_values("Slice", {given(ten), known(i64({-2})), known(i64({int64_min})), known(i64({0})),
                         known(i64({-3}))},
               none, i64({8, 5, 2}));
  // A start past the end: nothing.
  check_values("Slice", {given(ten), known(i64({12})), known(i64({20}))}, none, i64({}));
  // int32 starts and ends, opset 10 (steps an input already).
  check_values("Slice",
               {given(ten), known(ints_of<std::int32_t>({1})), known(ints_of<std::int32_t>({9})),
                known(ints_of<std::int32_t>({0})), known(ints_of<std::int32_t>({3}))},
               none, i64({1, 4, 7}), 10);
  check_values("Expand",
               {given(tensor::from_values<float>({2, 1}, {1, 2})), known(i64({2, 3}))}, none,
               tensor::from_values<float>({2, 3}, {1, 1, 1, 2, 2, 2}));
  check_values("Tile", {given(f32({1, 2})), known(i64({3}))}, none, f32({1, 2, 1, 2, 1, 2}));
  // Reflect repeats its mirror past the axis (numpy's 'reflect'); edge crops and repeats.
  check_values("Pad", {given(f32({1, 2, 3})), known(i64({5, 1}))},
               {attr("mode", std::string{"reflect"})}, f32({2, 1, 2, 3, 2, 1, 2, 3, 2}));
  check_values("Pad", {given(f32({1, 2, 3, 4})), known(i64({-1, 2}))},
               {attr("mode", std::string{"edge"})}, f32({2, 3, 4, 4, 4}));
  check_values("Pad", {given(ints_of<std::int8_t>({-1, 2})), known(i64({1, 2})),
                       given(tensor::scalar(std::int8_t{-128}))},
               none, ints_of<std::int8_t>({-128, -1, 2, -128, -128}));
  // Range folds: every input a constant.
  check_values("Range", {known(tensor::scalar(std::int64_t{1})), known(tensor::scalar(std::int64_t{10})),
                         known(tensor::scalar(std::int64_t{3}))},
               none, i64({1, 4, 7}));
  check_values("Range", {known(tensor::scalar(std::int32_t{10})), known(tensor::scalar(std::int32_t{4})),
                         known(tensor::scalar(std::int32_t{-3}))},
               none, ints_of<std::int32_t>({10, 7}));
  check_values("Range", {known(tensor::scalar(0.5f)), known(tensor::scalar(2.0f)),
                         known(tensor::scalar(0.5f))},
               none, f32({0.5f, 1, 1.5f}));
  check_values("Range", {known(tensor::scalar(5.0)), known(tensor::scalar(1.0)),
                         known(tensor::scalar(1.0))},
               none, tensor::from_values<double>({0}, std::vector<double>{}));
}

TEST_CASE("a Split writes every output it names, on every device, and skips the unnamed ones") {
  model_builder b{13};
  auto x = b.value(data({3, 10, 7}));
  auto split = b.value(constant(tensor::from_values<std::int64_t>({3}, {2, 0, 8})));
  auto first = b.node("Split", {x, split}, {attr("axis", std::int64_t{1})}, "split");
  auto m = b.finish(first);
  // Outputs 0 and 2 named, output 1 (empty anyway) left out.
  auto graph = *m.model;
  graph.nodes[0].outputs = {first, "", "last"};
  graph.outputs = {{first, dtype::float32, {3, 2, 7}}, {"last", dtype::float32, {3, 8, 7}}};
  m.model = std::make_shared<const onnx::model_graph>(graph);
  const auto& in = m.inputs[0];
  auto part = [&](std::int64_t begin, std::int64_t extent) {
    tensor t{dtype::float32, {3, extent, 7}};
    auto y = t.mutable_values<float>();
    auto v = in.values<float>();
    for (std::int64_t n = 0; n < 3; ++n)
      for (std::int64_t c = 0; c < extent; ++c)
        for (std::int64_t w = 0; w < 7; ++w)
          y[static_cast<std::size_t>((n * extent + c) * 7 + w)] =
            v[static_cast<std::size_t>((n * 10 + begin + c) * 7 + w)];
    return t;
  };
  std::vector<nn::device> devices = {nn::device::reference, nn::device::cpu};
  if (cuda_device_count() > 0)
    devices.push_back(nn::device::gpu);
  for (auto d : devices) {
    INFO(nn::to_string(d));
    auto out = run_on(m, d, 2);
    REQUIRE_MESSAGE(out.has_value(), out.error().message);
    REQUIRE(out->size() == 2);
    CHECK((*out)[0] == part(0, 2));
    CHECK((*out)[1] == part(2, 8));
  }
}

TEST_CASE("Slice, Split, Expand, Tile, Pad and Range refuse shape arguments from a request and "
          "bad ones, naming the node and the input") {
  struct refusal {
    std::string op_type;
    std::vector<operand> operands;
    std::vector<onnx::attribute> attributes;
    std::string says;
  };
  auto i64 = [](std::vector<std::int64_t> v) {
    return constant(tensor::from_values<std::int64_t>({static_cast<std::int64_t>(v.size())}, v));
  };
  const std::vector<refusal> refusals = {
    {"Slice", {data({4}), data({1}, dtype::int64), i64({2})}, {},
     "input 1 ('v1', the starts) must be a constant"},
    {"Slice", {data({4, 5}), i64({0}), i64({2}), i64({1}), data({1}, dtype::int64)}, {},
     "input 4 ('v4', the steps) must be a constant"},
    {"Slice", {data({4}), i64({0}), i64({2}), i64({0}), i64({0})}, {}, "hold a 0"},
    {"Slice", {data({4, 5}), i64({0, 0}), i64({2, 2}), i64({1, -1})}, {}, "name axis 1 twice"},
    {"Slice", {data({4, 5}), i64({0}), i64({2}), i64({2})}, {}, "axis 2 is outside [-2, 1]"},
    {"Split", {data({4, 5}), i64({3})}, {}, "does not add up to 4"},
    {"Split", {data({4, 5}), data({1}, dtype::int64)}, {},
     "input 1 ('v1', the split) must be a constant"},
    {"Expand", {data({3, 2}), i64({4, 3})}, {}, "cannot broadcast data [3, 2] and shape [4, 3]"},
    {"Expand", {data({3}), data({2}, dtype::int64)}, {},
     "input 1 ('v1', the shape) must be a constant"},
    {"Tile", {data({3}), i64({-1})}, {}, "counts are 0 or more"},
    {"Tile", {data({3}), i64({1, 2})}, {}, "one count per dimension"},
    {"Tile", {data({1 << 20}), i64({std::int64_t{1} << 30})}, {}, "more than the"},
    {"Pad", {data({3, 4}), i64({1, 1})}, {}, "must hold 4 values"},
    {"Pad", {data({3, 4}), data({4}, dtype::int64)}, {},
     "input 1 ('v1', the pads) must be a constant"},
    {"Pad", {data({3, 4}), i64({0, -5, 0, 0})}, {}, "remove more than the 4 elements"},
    {"Pad", {data({3, 0}), i64({0, 1, 0, 1})}, {attr("mode", std::string{"edge"})},
     "only mode constant can"},
    {"Pad", {data({3}), i64({1, 1})}, {attr("mode", std::string{"wrap"})},
     "it must be constant, reflect or edge"},
    {"Range", {data({}), constant(tensor::scalar(4.0f)), constant(tensor::scalar(1.0f))}, {},
     "input 0 ('v0', the start) must be a constant"},
    {"Range",
     {constant(tensor::scalar(0.0f)), constant(tensor::scalar(4.0f)),
      constant(tensor::scalar(0.0f))},
     {}, "delta nonzero"},
    {"Range",
     {constant(tensor::scalar(std::int64_t{0})),
      constant(tensor::scalar(std::numeric_limits<std::int64_t>::max())),
      constant(tensor::scalar(std::int64_t{1}))},
     {}, "more than the"},
  };
  for (auto& r : refusals) {
    INFO(r.op_type, ": ", r.says);
    auto m = one_node_model(r.op_type, r.operands, r.attributes, 13, 1, "moves");
    auto out = run_on(m, nn::device::cpu);
    REQUIRE_FALSE(out.has_value());
    CHECK_MESSAGE(out.error().message.find("node 'moves' (" + r.op_type + ")") !=
                    std::string::npos,
                  out.error().message);
    CHECK_MESSAGE(out.error().message.find(r.says) != std::string::npos, out.error().message);
  }
}

} // namespace
} // namespace hogar::test
