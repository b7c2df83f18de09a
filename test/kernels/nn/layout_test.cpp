// layout_test.cpp: activations kept in oneDNN's layout between kernels (the executor's layout
// pass, kernels/onnx/layout_pass.hpp) give the reference's answers, and are kept where every
// writer and reader agrees, and only there.
#include <string>
#include <vector>

#include "kernels/onnx/plan.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

/// The index of the node whose first output is `value`.
std::size_t node_writing(const onnx::plan& p, const std::string& value) {
  for (std::size_t i = 0; i < p.nodes().size(); ++i) {
    auto out = p.nodes()[i].outputs[0];
    if (out >= 0 && p.values()[static_cast<std::size_t>(out)].name == value)
      return i;
  }
  FAIL("no node writes ", value);
  return 0;
}

/// The layout chosen for the output of the node named `node`.
nn::layout_tag layout_of(const onnx::plan& p, const std::vector<nn::layout_tag>& tags,
                         const std::string& node) {
  for (std::size_t v = 0; v < p.values().size(); ++v)
    if (p.values()[v].name == node)
      return tags[v];
  FAIL("no value ", node);
  return nn::plain_layout;
}

std::string conv(model_builder& b, const std::string& x, std::int64_t in, std::int64_t out) {
  return b.node("Conv", {x, b.value(weight({out, in, 3, 3})), b.value(weight({out}))},
                {ints("pads", {1, 1, 1, 1})});
}

} // namespace

TEST_CASE("a residual block with pooling keeps oneDNN's layout from its first Conv to the last pooling") {
  model_builder b{13, 5};
  auto x = b.value(data({2, 16, 10, 10}));
  auto c1 = conv(b, x, 16, 16);
  auto r1 = b.node("Relu", {c1});
  auto c2 = conv(b, r1, 16, 16);
  auto sum = b.node("Add", {c2, r1});
  auto r2 = b.node("Relu", {sum});
  auto pooled = b.node("MaxPool", {r2}, {ints("kernel_shape", {2, 2}), ints("strides", {2, 2})});
  auto c3 = conv(b, pooled, 16, 32);
  auto m = b.finish(b.node("GlobalAveragePool", {c3}));
  check_fast_path_matches_reference(m);

  auto p = onnx::plan::make(m.model, m.inputs);
  REQUIRE(p.has_value());
  auto tags = layouts_of(m, *p);
  for (auto* inside : {&c1, &r1, &c2, &sum, &r2, &pooled, &c3})
    CHECK_MESSAGE(layout_of(*p, tags, *inside) != nn::plain_layout, *inside, " went plain");
  // The model's input and its output are the caller's: plain.
  CHECK(layout_of(*p, tags, x) == nn::plain_layout);
  CHECK(tags[static_cast<std::size_t>(p->outputs()[0])] == nn::plain_layout);
}

TEST_CASE("a value read by a kernel without oneDNN's layouts stays plain, and its answers too") {
  model_builder b{13, 6};
  auto x = b.value(data({1, 8, 6, 6}));
  auto c1 = conv(b, x, 8, 8);
  // Transpose reads plain memory: c1 goes plain for it, and for the Conv that shares it.
  auto t = b.node("Transpose", {c1}, {ints("perm", {0, 1, 3, 2})});
  auto c2 = conv(b, c1, 8, 8);
  auto m = b.finish(b.node("Add", {c2, t}));
  check_fast_path_matches_reference(m);
  auto p = onnx::plan::make(m.model, m.inputs);
  REQUIRE(p.has_value());
  auto tags = layouts_of(m, *p);
  CHECK(layout_of(*p, tags, c1) == nn::plain_layout);
  // c2 meets the Transpose's plain output in the Add: plain as well.
  CHECK(layout_of(*p, tags, c2) == nn::plain_layout);
}

TEST_CASE("an Add that broadcasts needs plain inputs: the Convs around it reorder") {
  model_builder b{13, 7};
  auto x = b.value(data({1, 8, 6, 6}));
  auto c1 = conv(b, x, 8, 8);
  auto shifted = b.node("Add", {c1, b.value(weight({1, 8, 1, 1}))});
  auto m = b.finish(conv(b, shifted, 8, 4));
  check_fast_path_matches_reference(m);
  auto p = onnx::plan::make(m.model, m.inputs);
  REQUIRE(p.has_value());
  auto tags = layouts_of(m, *p);
  CHECK(layout_of(*p, tags, c1) == nn::plain_layout);
  CHECK(layout_of(*p, tags, shifted) == nn::plain_layout);
}

TEST_CASE("a MaxPool whose output must be plain takes plain input: the Conv before it reorders") {
  model_builder b{13, 8};
  auto x = b.value(data({1, 16, 8, 8}));
  auto c1 = conv(b, x, 16, 16);
  auto pooled = b.node("MaxPool", {c1}, {ints("kernel_shape", {2, 2}), ints("strides", {2, 2})});
  // Flatten is a view of the pooled value: views are plain.
  auto m = b.finish(b.node("Flatten", {pooled}));
  check_fast_path_matches_reference(m);
  auto p = onnx::plan::make(m.model, m.inputs);
  REQUIRE(p.has_value());
  auto tags = layouts_of(m, *p);
  CHECK(layout_of(*p, tags, pooled) == nn::plain_layout);
  CHECK(layout_of(*p, tags, c1) == nn::plain_layout);
}

TEST_CASE("a pooling runs on oneDNN's OpenMP team when it reads oneDNN's layout, on the pool when it reads plain") {
  for (bool flattened : {false, true}) {
    CAPTURE(flattened);
    model_builder b{13, 9};
    auto x = b.value(data({1, 16, 8, 8}));
    auto c1 = conv(b, x, 16, 16);
    auto pooled = b.node("MaxPool", {c1}, {ints("kernel_shape", {2, 2}), ints("strides", {2, 2})});
    // A Conv after the pooling keeps oneDNN's layout; Flatten (a view) makes it plain.
    auto m = b.finish(flattened ? b.node("Flatten", {pooled}) : conv(b, pooled, 16, 8));
    auto p = onnx::plan::make(m.model, m.inputs);
    REQUIRE(p.has_value());
    std::vector<nn::cpu_kernel> kernels;
    auto tags = layouts_of(m, *p, &kernels);
    const bool blocked = layout_of(*p, tags, c1) != nn::plain_layout;
    CHECK(blocked == !flattened);
    CHECK(kernels[node_writing(*p, c1)].runs_on_openmp);
    // The executor lets the pool's workers sleep before it, and runs what follows it on the
    // calling thread alone, by this flag.
    CHECK(kernels[node_writing(*p, pooled)].runs_on_openmp == blocked);
  }
}

TEST_CASE("hogar's kernels after a oneDNN kernel run on the calling thread and leave the pool's workers idle") {
  model_builder b{13, 10};
  auto x = b.value(data({1, 16, 128, 128}));
  auto c1 = conv(b, x, 16, 16);
  // Transpose and Sigmoid are hogar's kernels, split over the pool when they run on it.
  auto t = b.node("Transpose", {c1}, {ints("perm", {0, 1, 3, 2})});
  auto m = b.finish(b.node("Sigmoid", {t}));
  check_fast_path_matches_reference(m);
  onnx::executor_options options;
  options.device = nn::device::cpu;
  options.intra_op_threads = 2;
  auto exec = onnx::make_executor(m.model, options);
  REQUIRE(exec.has_value());
  for (int run = 0; run < 20; ++run)
    REQUIRE((*exec)->run(m.inputs).has_value());
  // On the pool, 20 runs of two kernels over 262144 values each would keep a worker busy
  // for milliseconds (and spinning for one after each); alone, it never wakes.
  CHECK((*exec)->pool_cpu_ns() < 2'000'000);
}

} // namespace hogar::test
