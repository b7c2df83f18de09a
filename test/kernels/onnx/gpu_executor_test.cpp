// gpu_executor_test.cpp: the GPU executor (kernels/onnx/gpu_executor.cpp) through
// make_executor. Without a GPU it must refuse cleanly and say why; with one, small models
// built in memory must give the reference's results, batch after batch and shape after shape,
// and a batch too large for the GPU, or with an index outside a Gather's axis, must fail
// alone. The per-op comparison of every device with the reference lives in
// test/kernels/nn/ops_table_test.cpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "kernels/device.hpp"
#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/model_graph.hpp"
#include "kernels/random_tensor.hpp"

#ifndef HOGAR_GPU_EXECUTOR_BUILT
#define HOGAR_GPU_EXECUTOR_BUILT 0
#endif

namespace {

using namespace hogar;
using hogar::onnx::attribute;

/// Uniform float32 values in [low, low + 2), the same for the same seed.
tensor random_floats(const shape_t& shape, std::uint64_t seed, double low = -1.0) {
  tensor t{dtype::float32, shape};
  splitmix64 rng{seed};
  for (auto& v : t.mutable_values<float>())
    v = static_cast<float>(low + 2.0 * rng.next_unit());
  return t;
}

/// A model put together node by node (opset 13, the example models' opset).
struct model_maker {
  onnx::model_graph m;

  model_maker() {
    m.source = "gpu_test.onnx";
    m.name = "gpu_test";
    m.opset = 13;
  }
  void input(std::string name, dtype type, shape_t shape) {
    m.inputs.push_back({std::move(name), type, std::move(shape)});
  }
  void weight(std::string name, tensor value) { m.initializers.emplace(std::move(name), value); }
  void node(std::string op_type, std::string name, std::vector<std::string> inputs,
            std::vector<std::string> outputs, std::vector<attribute> attributes = {}) {
    onnx::node n;
    n.op_type = std::move(op_type);
    n.name = std::move(name);
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    n.attributes = std::move(attributes);
    m.nodes.push_back(std::move(n));
  }
  void output(std::string name, dtype type, shape_t shape) {
    m.outputs.push_back({std::move(name), type, std::move(shape)});
  }
  std::shared_ptr<const onnx::model_graph> done() {
    return std::make_shared<const onnx::model_graph>(m);
  }
};

attribute ints(std::string name, std::vector<std::int64_t> v) { return {std::move(name), v}; }
attribute int1(std::string name, std::int64_t v) { return {std::move(name), v}; }
attribute float1(std::string name, float v) { return {std::move(name), v}; }

/// x[-1, 3, 8, 8] -> Conv 3x3 (4 filters, pad 1) -> Relu -> Flatten -> Gemm 256 -> 10 (transB,
/// alpha 0.5, beta 2, C broadcast) -> Softmax -> probabilities[-1, 10]. optimize() fuses the
/// Relu into the Conv.
std::shared_ptr<const onnx::model_graph> conv_relu_gemm_softmax() {
  model_maker b;
  b.input("x", dtype::float32, {-1, 3, 8, 8});
  b.weight("w1", random_floats({4, 3, 3, 3}, 11, -0.5));
  b.weight("b1", random_floats({4}, 12, -0.5));
  b.weight("w2", random_floats({10, 256}, 13, -0.1));
  b.weight("b2", random_floats({10}, 14));
  b.node("Conv", "conv1", {"x", "w1", "b1"}, {"c1"},
         {ints("kernel_shape", {3, 3}), ints("pads", {1, 1, 1, 1})});
  b.node("Relu", "relu1", {"c1"}, {"r1"});
  b.node("Flatten", "flat", {"r1"}, {"f1"}, {int1("axis", 1)});
  b.node("Gemm", "fc", {"f1", "w2", "b2"}, {"logits"},
         {int1("transB", 1), float1("alpha", 0.5f), float1("beta", 2.0f)});
  b.node("Softmax", "probs", {"logits"}, {"p"}, {int1("axis", 1)});
  b.output("p", dtype::float32, {-1, 10});
  return b.done();
}

/// x[-1, 4, 9, 7] through most GPU kernels: an asymmetric-pad grouped dilated Conv, a
/// BatchNormalization it cannot be folded into (its output is read twice), the activations,
/// broadcast arithmetic, MaxPool with ceil_mode, AveragePool counting its pads, Concat,
/// Transpose, GlobalAveragePool, MatMul in each of its three ways (one tall product,
/// strided batches, one call per batch; one with a fused Relu) and LogSoftmax.
std::shared_ptr<const onnx::model_graph> many_ops() {
  model_maker b;
  b.input("x", dtype::float32, {-1, 4, 9, 7});
  b.weight("w", random_floats({6, 2, 3, 2}, 21, -0.5));
  b.weight("bias", random_floats({6}, 22));
  b.weight("gamma", random_floats({6}, 23, 0.5));
  b.weight("beta", random_floats({6}, 24));
  b.weight("mean", random_floats({6}, 25));
  b.weight("var", random_floats({6}, 26, 0.5));
  b.weight("scale", random_floats({1, 6, 1, 1}, 27));
  b.weight("lo", tensor::scalar(-0.5f));
  b.weight("hi", tensor::scalar(0.5f));
  b.weight("positive", random_floats({12}, 28, 0.5));
  b.weight("row_shape", tensor::from_values<std::int64_t>({3}, {-1, 4, 3}));
  b.weight("mm", random_floats({3, 5}, 29));
  b.weight("mix", random_floats({4, 4}, 30));
  b.weight("pair_shape", tensor::from_values<std::int64_t>({4}, {-1, 2, 2, 5}));
  b.weight("pw", random_floats({2, 5, 3}, 31));
  // [N, 4, 9, 7] -> [N, 6, 8, 4]
  b.node("Conv", "conv_asym", {"x", "w", "bias"}, {"c"},
         {int1("group", 2), ints("dilations", {2, 1}), ints("pads", {1, 0, 2, 1}),
          ints("strides", {1, 2})});
  b.node("BatchNormalization", "bn", {"c", "gamma", "beta", "mean", "var"}, {"n"},
         {float1("epsilon", 1e-3f)});
  b.node("LeakyRelu", "leaky", {"n"}, {"l"}, {float1("alpha", 0.2f)});
  b.node("Sigmoid", "sig", {"c"}, {"s"});
  b.node("Mul", "gate", {"l", "s"}, {"g"});
  b.node("Add", "shift", {"g", "scale"}, {"a"});
  // Both pools: [N, 6, 8, 4] -> [N, 6, 4, 2]
  b.node("MaxPool", "maxpool", {"a"}, {"mp"},
         {ints("kernel_shape", {3, 2}), ints("strides", {2, 2}), int1("ceil_mode", 1)});
  b.node("AveragePool", "avgpool", {"a"}, {"ap"},
         {ints("kernel_shape", {3, 2}), ints("strides", {2, 2}), ints("pads", {1, 0, 0, 1}),
          int1("count_include_pad", 1), int1("ceil_mode", 1)});
  b.node("Concat", "cat", {"mp", "ap"}, {"cat"}, {int1("axis", 1)});
  b.node("Tanh", "tanh", {"cat"}, {"t"});
  // [N, 12, 4, 2] -> [N, 4, 2, 12] and back.
  b.node("Transpose", "tr", {"t"}, {"tr"}, {ints("perm", {0, 2, 3, 1})});
  b.node("Clip", "clip", {"tr", "lo", "hi"}, {"cl"});
  b.node("Sub", "clipped_off", {"tr", "cl"}, {"d"});
  b.node("Div", "ratio", {"d", "positive"}, {"q"});
  b.node("Relu", "relu", {"tr"}, {"rl"});
  b.node("Add", "sum", {"q", "rl"}, {"u"});
  b.node("Transpose", "back", {"u"}, {"ub"}, {ints("perm", {0, 3, 1, 2})});
  b.node("GlobalAveragePool", "gap", {"ub"}, {"gp"});
  // [N, 12, 1, 1] -> [N, 4, 3] -> [N, 4, 5] -> [N, 2, 2, 5] -> [N, 2, 2, 3]
  b.node("Reshape", "rows", {"gp", "row_shape"}, {"rows"});
  b.node("MatMul", "tall", {"rows", "mm"}, {"mmo"});
  b.node("MatMul", "mixed", {"mix", "mmo"}, {"mx"});
  b.node("Relu", "mixed_relu", {"mx"}, {"mxr"});
  b.node("Reshape", "pairs", {"mxr", "pair_shape"}, {"pr"});
  b.node("MatMul", "per_pair", {"pr", "pw"}, {"pm"});
  b.node("LogSoftmax", "logp", {"pm"}, {"y"}, {int1("axis", -1)});
  b.output("y", dtype::float32, {-1, 2, 2, 3});
  return b.done();
}

onnx::executor_options on(nn::device d) {
  onnx::executor_options o;
  o.device = d;
  return o;
}

/// Every element within the conformance tolerance of the reference (float sums on the GPU,
/// double sums in the reference).
void check_close(const tensor& actual, const tensor& expected, const std::string& what) {
  REQUIRE_MESSAGE(actual.type() == expected.type(), what);
  REQUIRE_MESSAGE(actual.shape() == expected.shape(), what, ": ", to_string(actual.shape()),
                  " vs ", to_string(expected.shape()));
  double worst = 0;
  std::int64_t worst_at = -1;
  for (std::int64_t i = 0; i < expected.element_count(); ++i) {
    const double a = actual.value_as_double(i), e = expected.value_as_double(i);
    const double excess = std::abs(a - e) - (1e-5 + 1e-3 * std::abs(e));
    if (!(excess <= worst)) {
      worst = std::isnan(excess) ? INFINITY : excess;
      worst_at = i;
    }
  }
  CHECK_MESSAGE(worst_at < 0, what, ": element ", worst_at, " is ",
                worst_at < 0 ? 0.0 : actual.value_as_double(worst_at), ", the reference says ",
                worst_at < 0 ? 0.0 : expected.value_as_double(worst_at));
}

/// Whether GPU cases can run here; says why not when they cannot.
bool have_gpu() {
  if (!HOGAR_GPU_EXECUTOR_BUILT) {
    MESSAGE("skipped: hogar was built without the GPU executor (no CUDA or cuDNN)");
    return false;
  }
  if (cuda_device_count() == 0) {
    MESSAGE("skipped: " << cuda_device_summary());
    return false;
  }
  return true;
}

} // namespace

TEST_CASE("without a GPU, asking for the GPU executor fails and says why") {
  auto exec = onnx::make_executor(conv_relu_gemm_softmax(), on(nn::device::gpu));
  if (HOGAR_GPU_EXECUTOR_BUILT && cuda_device_count() > 0) {
    MESSAGE("skipped: this machine has a GPU (" << cuda_device_summary() << ")");
    CHECK_MESSAGE(exec.has_value(), (exec ? "" : exec.error().message));
    return;
  }
  REQUIRE_FALSE(exec.has_value());
  CHECK(exec.error().code == errc::unsupported);
  CHECK(exec.error().message.find("gpu_test.onnx") != std::string::npos);
  if (HOGAR_GPU_EXECUTOR_BUILT)
    CHECK_MESSAGE(exec.error().message.find("no GPU: ") != std::string::npos,
                  exec.error().message);
  else
    CHECK_MESSAGE(exec.error().message.find("without CUDA") != std::string::npos,
                  exec.error().message);
}

TEST_CASE("the GPU executor names the first node it cannot run, GPU or not") {
  if (!HOGAR_GPU_EXECUTOR_BUILT) {
    MESSAGE("skipped: hogar was built without the GPU executor");
    return;
  }
  // Div runs float32 and float64 on the GPU; an integer Div stays on the CPU paths (a kernel
  // cannot report a division by zero).
  model_maker b;
  b.input("a", dtype::int32, {-1, 3});
  b.weight("one", tensor::from_values<std::int32_t>({3}, {1, 1, 1}));
  b.node("Add", "add_ints", {"a", "one"}, {"s"});
  b.node("Div", "div_ints", {"s", "one"}, {"y"});
  b.output("y", dtype::int32, {-1, 3});
  auto exec = onnx::make_executor(b.done(), on(nn::device::gpu));
  REQUIRE_FALSE(exec.has_value());
  CHECK(exec.error().code == errc::unsupported);
  CHECK_MESSAGE(exec.error().message.find("node 'div_ints' (Div)") != std::string::npos,
                exec.error().message);
  CHECK_MESSAGE(exec.error().message.find("int32") != std::string::npos, exec.error().message);
}

TEST_CASE("a conv, relu, gemm and softmax model gives the reference's results on the GPU") {
  if (!have_gpu())
    return;
  auto model = conv_relu_gemm_softmax();
  auto ref = onnx::make_executor(model, on(nn::device::reference));
  REQUIRE(ref.has_value());
  // Both ways of choosing the convolution algorithm: timing them all, and cuDNN's heuristics.
  for (bool benchmark : {true, false}) {
    CAPTURE(benchmark);
    auto options = on(nn::device::gpu);
    options.gpu_conv_benchmark = benchmark;
    auto gpu = onnx::make_executor(model, options);
    REQUIRE_MESSAGE(gpu.has_value(), (gpu ? "" : gpu.error().message));
    CHECK((*gpu)->device() == nn::device::gpu);
    // Batch sizes in an order that makes plans, reuses them and grows the memory.
    for (std::int64_t batch : {2, 5, 2, 1, 5}) {
      std::vector<tensor> inputs{random_floats({batch, 3, 8, 8}, 100 + batch)};
      auto got = (*gpu)->run(inputs);
      REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().message));
      auto want = (*ref)->run(inputs);
      REQUIRE(want.has_value());
      REQUIRE(got->size() == 1);
      check_close((*got)[0], (*want)[0], fmt::format("probabilities of a batch of {}", batch));
    }
  }
}

TEST_CASE("a model over most GPU kernels gives the reference's results") {
  if (!have_gpu())
    return;
  auto model = many_ops();
  auto gpu = onnx::make_executor(model, on(nn::device::gpu));
  REQUIRE_MESSAGE(gpu.has_value(), (gpu ? "" : gpu.error().message));
  auto ref = onnx::make_executor(model, on(nn::device::reference));
  REQUIRE_MESSAGE(ref.has_value(), (ref ? "" : ref.error().message));
  for (std::int64_t batch : {3, 6}) {
    std::vector<tensor> inputs{random_floats({batch, 4, 9, 7}, 200 + batch)};
    auto want = (*ref)->run(inputs);
    REQUIRE_MESSAGE(want.has_value(), (want ? "" : want.error().message));
    auto got = (*gpu)->run(inputs);
    REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().message));
    check_close((*got)[0], (*want)[0], fmt::format("log probabilities of a batch of {}", batch));
  }
}

TEST_CASE("integer and float64 arithmetic runs on the GPU as on the reference") {
  if (!have_gpu())
    return;
  // int64: (a + k) * a - k, broadcast over a row; float64: (x - c) / c over a column.
  model_maker b;
  b.input("a", dtype::int64, {-1, 3});
  b.input("x", dtype::float64, {-1, 2});
  b.weight("k", tensor::from_values<std::int64_t>({3}, {-7, 0, 1000000007}));
  b.weight("c", tensor::from_values<double>({1, 2}, {3.0, -0.125}));
  b.node("Add", "plus", {"a", "k"}, {"p"});
  b.node("Mul", "times", {"p", "a"}, {"t"});
  b.node("Sub", "minus", {"t", "k"}, {"ints"});
  b.node("Sub", "shift", {"x", "c"}, {"d"});
  b.node("Div", "scale", {"d", "c"}, {"floats"});
  b.output("ints", dtype::int64, {-1, 3});
  b.output("floats", dtype::float64, {-1, 2});
  auto model = b.done();
  auto gpu = onnx::make_executor(model, on(nn::device::gpu));
  REQUIRE_MESSAGE(gpu.has_value(), (gpu ? "" : gpu.error().message));
  auto ref = onnx::make_executor(model, on(nn::device::reference));
  REQUIRE(ref.has_value());
  std::vector<tensor> inputs{
    tensor::from_values<std::int64_t>({4, 3}, {1, -2, 3, 40000, 5, -6, 7, 8, 9, 0, -1, 12345}),
    tensor::from_values<double>({4, 2}, {1.5, 2.25, -3.0, 1e300, 0.1, -0.2, 7.0, 8.0})};
  auto got = (*gpu)->run(inputs);
  REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().message));
  auto want = (*ref)->run(inputs);
  REQUIRE(want.has_value());
  REQUIRE(got->size() == 2);
  for (std::size_t o = 0; o < 2; ++o) {
    REQUIRE((*got)[o].type() == (*want)[o].type());
    REQUIRE((*got)[o].shape() == (*want)[o].shape());
    // Exact: integer arithmetic, and one correctly rounded double operation per element.
    CHECK_MESSAGE(std::equal((*got)[o].bytes().begin(), (*got)[o].bytes().end(),
                             (*want)[o].bytes().begin(), (*want)[o].bytes().end()),
                  "output ", o);
  }
}

TEST_CASE("a batch too large for the GPU fails alone and smaller batches still run") {
  if (!have_gpu())
    return;
  // x[N, 1] -> Gemm with B[1, 2^20] -> [N, 2^20] -> GlobalAveragePool: 4 MiB of GPU memory per
  // row for 4 bytes of input and output.
  constexpr std::int64_t width = std::int64_t{1} << 20;
  model_maker b;
  b.input("x", dtype::float32, {-1, 1});
  b.weight("wide", random_floats({1, width}, 31));
  b.weight("planes", tensor::from_values<std::int64_t>({3}, {0, 1, -1}));
  b.node("Gemm", "widen", {"x", "wide"}, {"w"});
  b.node("Reshape", "as_planes", {"w", "planes"}, {"p"});
  b.node("GlobalAveragePool", "mean", {"p"}, {"m"});
  b.output("m", dtype::float32, {-1, 1, 1});
  auto model = b.done();
  auto gpu = onnx::make_executor(model, on(nn::device::gpu));
  REQUIRE_MESSAGE(gpu.has_value(), (gpu ? "" : gpu.error().message));

  // 2^16 rows need 256 GiB, more than any single GPU of today has.
  std::vector<tensor> huge{random_floats({std::int64_t{1} << 16, 1}, 32)};
  auto failed = (*gpu)->run(huge);
  REQUIRE_FALSE(failed.has_value());
  MESSAGE("the refusal: " << failed.error().message);
  CHECK(failed.error().message.find("[65536, 1]") != std::string::npos);
  CHECK(failed.error().message.find("bytes of GPU memory") != std::string::npos);

  auto ref = onnx::make_executor(model, on(nn::device::reference));
  REQUIRE(ref.has_value());
  std::vector<tensor> small{random_floats({3, 1}, 33)};
  auto got = (*gpu)->run(small);
  REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().message));
  auto want = (*ref)->run(small);
  REQUIRE(want.has_value());
  check_close((*got)[0], (*want)[0], "means after the refused batch");
}

TEST_CASE("the GPU executor refuses inputs holding NaN, as the CPU paths do") {
  if (!have_gpu())
    return;
  auto gpu = onnx::make_executor(conv_relu_gemm_softmax(), on(nn::device::gpu));
  REQUIRE_MESSAGE(gpu.has_value(), (gpu ? "" : gpu.error().message));
  auto x = random_floats({1, 3, 8, 8}, 41);
  x.mutable_values<float>()[7] = NAN;
  auto r = (*gpu)->run(std::vector<tensor>{x});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(r.error().message.find("element 7") != std::string::npos);
}

namespace {

/// ids[-1, 4] (int64) -> Gather from a table [50, 8] ("embed") -> [-1, 4, 8], its last token
/// (a constant int32 index -1 along axis 1, "last_token") -> [-1, 8]; and the ids' columns
/// `cols` (int32, a request's) gathered along axis 1 ("pick") -> [-1, 3] int64.
std::shared_ptr<const onnx::model_graph> embeddings() {
  model_maker b;
  b.input("ids", dtype::int64, {-1, 4});
  b.input("cols", dtype::int32, {3});
  b.weight("table", random_floats({50, 8}, 51));
  b.weight("last", tensor::from_values<std::int32_t>({}, {-1}));
  b.node("Gather", "embed", {"table", "ids"}, {"e"});
  b.node("Gather", "last_token", {"e", "last"}, {"t"}, {int1("axis", 1)});
  b.node("Gather", "pick", {"ids", "cols"}, {"p"}, {int1("axis", 1)});
  b.output("e", dtype::float32, {-1, 4, 8});
  b.output("t", dtype::float32, {-1, 8});
  b.output("p", dtype::int64, {-1, 3});
  return b.done();
}

std::vector<tensor> ids_and_cols(std::vector<std::int64_t> ids, std::vector<std::int32_t> cols) {
  const auto rows = static_cast<std::int64_t>(ids.size()) / 4;
  return {tensor::from_values<std::int64_t>({rows, 4}, ids),
          tensor::from_values<std::int32_t>({3}, cols)};
}

} // namespace

TEST_CASE("a model of Gathers is one the GPU executor takes, GPU or not") {
  if (!HOGAR_GPU_EXECUTOR_BUILT) {
    MESSAGE("skipped: hogar was built without the GPU executor");
    return;
  }
  auto exec = onnx::make_executor(embeddings(), on(nn::device::gpu));
  if (cuda_device_count() > 0) {
    CHECK_MESSAGE(exec.has_value(), (exec ? "" : exec.error().message));
    return;
  }
  // Refused for want of a GPU only, not for a node it cannot run.
  REQUIRE_FALSE(exec.has_value());
  CHECK_MESSAGE(exec.error().message.find("no GPU: ") != std::string::npos,
                exec.error().message);
  CHECK_MESSAGE(exec.error().message.find("Gather") == std::string::npos, exec.error().message);
}

TEST_CASE("Gather gives the reference's values on the GPU, and an index outside the axis fails "
          "that batch alone, naming the node and the index as the CPU path does") {
  if (!have_gpu())
    return;
  auto model = embeddings();
  auto gpu = onnx::make_executor(model, on(nn::device::gpu));
  REQUIRE_MESSAGE(gpu.has_value(), (gpu ? "" : gpu.error().message));
  auto cpu = onnx::make_executor(model, on(nn::device::cpu));
  REQUIRE_MESSAGE(cpu.has_value(), (cpu ? "" : cpu.error().message));
  auto ref = onnx::make_executor(model, on(nn::device::reference));
  REQUIRE(ref.has_value());
  auto same = [&](const std::vector<tensor>& inputs, const std::string& what) {
    auto got = (*gpu)->run(inputs);
    REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().message));
    auto want = (*ref)->run(inputs);
    REQUIRE(want.has_value());
    REQUIRE(got->size() == 3);
    for (std::size_t o = 0; o < 3; ++o) {
      REQUIRE((*got)[o].shape() == (*want)[o].shape());
      CHECK_MESSAGE(std::equal((*got)[o].bytes().begin(), (*got)[o].bytes().end(),
                               (*want)[o].bytes().begin(), (*want)[o].bytes().end()),
                    what, ": output ", o);
    }
  };
  same(ids_and_cols({0, 49, -1, -50, 7, 7, 3, 12}, {3, -4, 0}), "two rows");
  // Out of range: -51 at element 2 and 50 at element 5 of the ids (the lower is named), then
  // 4 among the columns.
  const std::vector<std::vector<tensor>> bad = {
    ids_and_cols({0, 1, -51, 3, 4, 50, 6, 7}, {0, 1, 2}),
    ids_and_cols({0, 1, 2, 3}, {1, 4, -4}),
  };
  const std::string names[] = {"node 'embed' (Gather)", "node 'pick' (Gather)"};
  const std::string says[] = {"index -51 (element 2 of the indices) is outside [-50, 50)",
                              "index 4 (element 1 of the indices) is outside [-4, 4)"};
  for (std::size_t i = 0; i < bad.size(); ++i) {
    auto failed = (*gpu)->run(bad[i]);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().code == errc::invalid_argument);
    CHECK_MESSAGE(failed.error().message.find(names[i]) != std::string::npos,
                  failed.error().message);
    CHECK_MESSAGE(failed.error().message.find(says[i]) != std::string::npos,
                  failed.error().message);
    auto on_cpu = (*cpu)->run(bad[i]);
    REQUIRE_FALSE(on_cpu.has_value());
    CHECK(failed.error().message == on_cpu.error().message);
    // The executor serves the next batch, and a batch of another shape.
    same(ids_and_cols({5, 4, 3, 2}, {2, 1, 0}), "after a refused batch");
  }
  same(ids_and_cols({9, 8, 7, 6, 5, 4, 3, 2, 1, 0, -1, -2}, {-1, -2, -3}), "three rows");
}
