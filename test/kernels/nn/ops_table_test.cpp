// ops_table_test.cpp: one table of operator cases in the style of ggml's test-backend-ops.
// Each case is a one-node model (weights as initializers, random request inputs); every
// device runs it and is compared with the reference twin by normalised mean squared error.
// The shapes are those of real networks (ResNet, MobileNet, ResNeXt, a classifier head) next
// to the corner cases of each attribute; bench/models/conv_bench times ResNet-18's Conv shapes.
#include <functional>
#include <string>
#include <vector>

#include "kernels/nn/scratch_slots.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

struct op_case {
  /// The family a TEST_CASE checks: conv, pool, activation, batch_norm, gemm, softmax,
  /// shape, binary.
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

    // Element-wise arithmetic.
    {"binary", "Add residual [2, 64, 28, 28]", "Add",
     {data({2, 64, 28, 28}), data({2, 64, 28, 28})}, none},
    {"binary", "Mul by a per-channel [64, 1, 1]", "Mul",
     {data({2, 64, 28, 28}), weight({64, 1, 1})}, none},
    {"binary", "Sub a row [28]", "Sub", {data({2, 64, 28, 28}), weight({28})}, none},
    {"binary", "Div by a scalar", "Div", {data({4, 100}), positive_weight({})}, none},
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

TEST_CASE("data movement on the fast CPU path matches the reference exactly") {
  check_cpu("shape");
}

TEST_CASE("element-wise arithmetic on the fast CPU path matches the reference") {
  check_cpu("binary");
}

TEST_CASE("every case of the table runs on the GPU as on the reference, or says why not") {
  if (cuda_device_count() == 0) {
    MESSAGE("GPU column skipped: " << cuda_device_summary());
    return;
  }
  for (auto family : {"conv", "pool", "activation", "batch_norm", "gemm", "softmax", "shape",
                      "binary"})
    check_family(family, nn::device::gpu, 1);
}

} // namespace
} // namespace hogar::test
