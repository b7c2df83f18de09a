// precision_test.cpp: `precision: bf16` on the fast CPU path (executor_options::precision): the
// Convs run on oneDNN's bfloat16 kernels where the CPU has them, close to fp32; where it has
// none, and on any other path, the executor is refused with the reason.
#include <string>

#include "kernels/nn/dnnl_support.hpp"
#include "kernels/nn/gemm.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

model_with_inputs residual_block(std::int64_t batch) {
  model_builder b{13, 21};
  auto x = b.value(data({batch, 16, 12, 12}));
  auto conv = [&](const std::string& in) {
    return b.node("Conv", {in, b.value(weight({16, 16, 3, 3})), b.value(weight({16}))},
                  {ints("pads", {1, 1, 1, 1})});
  };
  auto r = b.node("Relu", {conv(x)});
  return b.finish(b.node("Relu", {b.node("Add", {conv(r), x})}));
}

result<std::unique_ptr<onnx::executor>> executor_for(const model_with_inputs& m, nn::device d,
                                                     onnx::precision p) {
  onnx::executor_options options;
  options.device = d;
  options.precision = p;
  options.intra_op_threads = 2;
  return onnx::make_executor(m.model, options);
}

} // namespace

TEST_CASE("bf16 Convs run on oneDNN's bfloat16 kernels and stay close to fp32, or are refused "
          "on a CPU without them") {
  auto m = residual_block(2);
  auto bf16 = executor_for(m, nn::device::cpu, onnx::precision::bf16);
  if (!nn::dnnl_has_bf16()) {
    REQUIRE_FALSE(bf16.has_value());
    CHECK(bf16.error().message.find("neither AMX nor AVX512-BF16") != std::string::npos);
    MESSAGE("this CPU runs no bfloat16 kernels: the refusal was checked");
    return;
  }
  REQUIRE_MESSAGE(bf16.has_value(), bf16.error().message);
  auto fp32 = run_on(m, nn::device::cpu, 2);
  REQUIRE(fp32.has_value());
  auto low = (*bf16)->run(m.inputs);
  REQUIRE_MESSAGE(low.has_value(), low.error().message);
  const auto error = nmse(low->front(), fp32->front());
  MESSAGE("bf16 against fp32: normalised squared error ", error);
  CHECK(error < 1e-4);
  CHECK(error > 0);  // bfloat16 did run: its 8-bit mantissa shows
  auto nodes = (*bf16)->report(m.inputs, 0);
  REQUIRE(nodes.has_value());
  for (auto& n : *nodes)
    if (n.op_type == "Conv")
      CHECK_MESSAGE(n.kernel.find("bf16") != std::string::npos, n.node, ": ", n.kernel);
  // Batch sizes plan on their own; each runs the same way.
  auto one = residual_block(1);
  auto single = executor_for(one, nn::device::cpu, onnx::precision::bf16);
  REQUIRE(single.has_value());
  auto answer = (*single)->run(one.inputs);
  REQUIRE(answer.has_value());
  CHECK(nmse(answer->front(), run_on(one, nn::device::cpu)->front()) < 1e-4);
}

TEST_CASE("a bf16 fully connected layer stays close to fp32, and oneDNN's bf16 matmul computes "
          "it") {
  if (!nn::dnnl_has_bf16()) {
    MESSAGE("this CPU runs no bfloat16 kernels: skipped (the refusal is checked above)");
    return;
  }
  // Through the executor: oneDNN's bf16 matmul or OpenBLAS, whichever was faster here.
  model_builder b{13, 22};
  auto x = b.value(data({4, 64}));
  auto fc = b.node("Gemm", {x, b.value(weight({32, 64})), b.value(weight({32}))},
                   {attr("transB", std::int64_t{1})});
  auto m = b.finish(b.node("Relu", {fc}));
  auto bf16 = executor_for(m, nn::device::cpu, onnx::precision::bf16);
  REQUIRE_MESSAGE(bf16.has_value(), bf16.error().message);
  auto low = (*bf16)->run(m.inputs);
  REQUIRE(low.has_value());
  auto fp32 = run_on(m, nn::device::cpu);
  REQUIRE(fp32.has_value());
  CHECK(nmse(low->front(), fp32->front()) < 1e-4);
  auto nodes = (*bf16)->report(m.inputs, 0);
  REQUIRE(nodes.has_value());
  REQUIRE(nodes->size() == 1);  // the Relu is the product's epilogue
  const auto& kernel = nodes->front().kernel;
  CHECK_MESSAGE((kernel.find("bf16") != std::string::npos || kernel == "OpenBLAS sgemm"), kernel);

  // The bf16 matmul itself, whatever the measurement chose: Y = X W^T + c.
  nn::gemm_params p;
  p.m = 4;
  p.n = 32;
  p.k = 64;
  p.trans_b = true;
  p.has_c = true;
  p.c_shape = {32};
  auto w = random_values(dtype::float32, {32, 64}, 5, 0.0);
  auto c = random_values(dtype::float32, {32}, 6, 0.0);
  auto a = random_values(dtype::float32, {4, 64}, 7, 0.0);
  auto kernel_bf16 = nn::bind_gemm_dnnl(p, w, &c, true);
  REQUIRE(kernel_bf16.has_value());
  CHECK(kernel_bf16->name.find("bf16") != std::string::npos);
  tensor y{dtype::float32, {4, 32}}, expected{dtype::float32, {4, 32}};
  std::vector<std::byte> workspace(kernel_bf16->workspace_bytes + 64);
  auto* aligned = reinterpret_cast<void*>(
    (reinterpret_cast<std::uintptr_t>(workspace.data()) + 63) / 64 * 64);
  std::vector<const void*> in{a.bytes().data(), w.bytes().data(), c.bytes().data()};
  std::vector<void*> out{y.mutable_bytes().data()};
  kernel_bf16->run(nn::cpu_buffers{in, out, aligned, nullptr});
  auto av = a.values<float>(), wv = w.values<float>(), cv = c.values<float>();
  auto ev = expected.mutable_values<float>();
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t j = 0; j < 32; ++j) {
      double sum = cv[static_cast<std::size_t>(j)];
      for (std::int64_t k = 0; k < 64; ++k)
        sum += static_cast<double>(av[static_cast<std::size_t>(i * 64 + k)]) *
               wv[static_cast<std::size_t>(j * 64 + k)];
      ev[static_cast<std::size_t>(i * 32 + j)] = static_cast<float>(sum);
    }
  const auto error = nmse(y, expected);
  CHECK(error < 1e-4);
  CHECK(error > 0);  // bfloat16 did run
}

TEST_CASE("bf16 is refused on the reference and the GPU paths, naming the path") {
  auto m = residual_block(1);
  for (auto d : {nn::device::reference, nn::device::gpu}) {
    auto e = executor_for(m, d, onnx::precision::bf16);
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().message.find("precision bf16 runs on the fast CPU path") != std::string::npos);
  }
  CHECK(onnx::precision_from_string("bf16") == onnx::precision::bf16);
  CHECK_FALSE(onnx::precision_from_string("fp16").has_value());
}

} // namespace hogar::test
