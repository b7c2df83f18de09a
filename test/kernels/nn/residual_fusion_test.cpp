// residual_fusion_test.cpp: residual Adds (and the activation after them) fused into the Conv
// before them by the fast CPU path's plans (kernels/onnx/residual_fusion.hpp): where they fuse,
// where they must not, and that every Conv kernel that may take the sum (oneDNN, im2col,
// depthwise, the reference standing in) gives the reference's answers on the model as written.
#include <string>
#include <vector>

#include "kernels/nn/epilogue.hpp"
#include "kernels/onnx/arena.hpp"
#include "kernels/onnx/optimize.hpp"
#include "kernels/onnx/plan.hpp"
#include "kernels/onnx/residual_fusion.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

/// The plan the fast CPU path makes for `m` before and after the fusion: returns the number
/// of Adds fused and the op types of the nodes left.
std::pair<std::size_t, std::vector<std::string>> fused(const model_with_inputs& m) {
  auto optimized = std::make_shared<const onnx::model_graph>(onnx::optimize(*m.model));
  auto p = onnx::plan::make(optimized, m.inputs);
  REQUIRE_MESSAGE(p.has_value(), p.error().message);
  auto count = onnx::fuse_residual_adds(*p);
  std::vector<std::string> ops;
  for (auto& n : p->nodes())
    ops.push_back(n.source->op_type);
  return {count, ops};
}

/// A 3x3 Conv from `in` to `out` channels, padded to keep the size; `w` the weights' operand
/// (a constant, or a request input, which keeps the Conv off oneDNN).
std::string conv(model_builder& b, const std::string& x, std::int64_t in, std::int64_t out,
                 bool constant_weights = true, std::int64_t group = 1) {
  shape_t w_shape{out, in / group, 3, 3};
  auto w = b.value(constant_weights ? weight(w_shape) : data(w_shape));
  return b.node("Conv", {x, w, b.value(weight({out}))},
                {ints("pads", {1, 1, 1, 1}), attr("group", group)});
}

} // namespace

TEST_CASE("a residual Add and the Relu after it fuse into the Conv before them, answers unchanged") {
  for (std::int64_t batch : {1, 3}) {
    model_builder b{13, 3};
    auto x = b.value(data({batch, 16, 9, 9}));
    auto r1 = b.node("Relu", {conv(b, x, 16, 16)});
    auto sum = b.node("Add", {conv(b, r1, 16, 16), r1});
    auto m = b.finish(b.node("Relu", {sum}));
    auto [count, ops] = fused(m);
    CHECK(count == 1);
    CHECK(ops == std::vector<std::string>{"Conv", "Conv"});
    check_fast_path_matches_reference(m);
  }
}

TEST_CASE("of two Convs feeding one Add, the later takes the sum: a downsampling shortcut") {
  model_builder b{13, 4};
  auto x = b.value(data({2, 8, 10, 10}));
  auto main = b.node("Relu", {conv(b, x, 8, 16)});
  auto main2 = conv(b, main, 16, 16);
  // The shortcut's 1x1 Conv runs after the main branch, as torchvision's exports order them.
  auto shortcut = b.node("Conv", {x, b.value(weight({16, 8, 1, 1}))});
  auto m = b.finish(b.node("Relu", {b.node("Add", {main2, shortcut})}));
  auto [count, ops] = fused(m);
  CHECK(count == 1);
  CHECK(ops == std::vector<std::string>{"Conv", "Conv", "Conv"});
  check_fast_path_matches_reference(m);
}

TEST_CASE("the im2col, depthwise and reference Convs take a fused residual too") {
  // Weights that are request inputs keep the Conv off oneDNN: the im2col path, the depthwise
  // one (group = channels), and for 3-D the reference twin standing in.
  for (std::int64_t group : {1, 16}) {
    model_builder b{13, 5};
    auto x = b.value(data({2, 16, 7, 7}));
    auto r = b.node("Relu", {conv(b, x, 16, 16)});
    auto m = b.finish(b.node("Relu", {b.node("Add", {r, conv(b, r, 16, 16, false, group)})}));
    CHECK(fused(m).first == 1);
    check_fast_path_matches_reference(m);
  }
  model_builder b{13, 6};
  auto x = b.value(data({1, 4, 5, 5, 5}));
  auto c = b.node("Conv", {x, b.value(data({4, 4, 3, 3, 3})), b.value(weight({4}))},
                  {ints("pads", {1, 1, 1, 1, 1, 1})});
  auto m = b.finish(b.node("Add", {c, x}));
  CHECK(fused(m).first == 1);
  check_fast_path_matches_reference(m);
}

TEST_CASE("an Add that broadcasts, a Conv output read twice, a Conv with its own activation "
          "or a graph output is left alone") {
  {
    model_builder b{13, 7};
    auto x = b.value(data({1, 8, 6, 6}));
    auto m = b.finish(b.node("Add", {conv(b, x, 8, 8), b.value(data({1, 8, 1, 1}))}));
    CHECK(fused(m).first == 0);
    check_fast_path_matches_reference(m);
  }
  {
    model_builder b{13, 8};
    auto x = b.value(data({1, 8, 6, 6}));
    auto c = conv(b, x, 8, 8);
    auto m = b.finish(b.node("Mul", {b.node("Add", {c, x}), c}));
    CHECK(fused(m).first == 0);
    check_fast_path_matches_reference(m);
  }
  {
    model_builder b{13, 9};
    auto x = b.value(data({1, 8, 6, 6}));
    auto m = b.finish(b.node("Add", {b.node("Relu", {conv(b, x, 8, 8)}), x}));
    CHECK(fused(m).first == 0);  // the Relu is the Conv's epilogue: Relu(conv) + x stays
    check_fast_path_matches_reference(m);
  }
  {
    model_builder b{13, 10};
    auto x = b.value(data({1, 8, 6, 6}));
    auto c = conv(b, x, 8, 8);
    auto m = b.finish(c);
    // The Conv's output is the model's output and also read by an Add.
    auto with_add = *m.model;
    with_add.nodes.push_back(
      onnx::node{"Add", "late_add", {c, with_add.inputs[0].name}, {"late_out"}, {}});
    with_add.outputs.push_back({"late_out", dtype::float32, {1, 8, 6, 6}});
    model_with_inputs two{std::make_shared<const onnx::model_graph>(with_add), m.inputs};
    CHECK(fused(two).first == 0);
  }
}

TEST_CASE("a chain of residual blocks fuses every Add, each reading the block before it") {
  model_builder b{13, 11};
  auto x = b.node("Relu", {b.value(data({2, 16, 8, 8}))});
  for (int block = 0; block < 3; ++block) {
    auto inner = b.node("Relu", {conv(b, x, 16, 16)});
    x = b.node("Relu", {b.node("Add", {conv(b, inner, 16, 16), x})});
  }
  auto m = b.finish(b.node("GlobalAveragePool", {x}));
  CHECK(fused(m).first == 3);
  check_fast_path_matches_reference(m);
}

TEST_CASE("a Conv that sums its residual writes over it, unless the residual is read later") {
  model_builder b{13, 12};
  auto block = [&](const std::string& in) {
    auto inner = b.node("Relu", {conv(b, in, 16, 16)});
    return b.node("Relu", {b.node("Add", {conv(b, inner, 16, 16), in})});
  };
  // Written by a Conv: x is in oneDNN's layout, as the blocks' outputs are.
  auto x = b.node("Relu", {conv(b, b.value(data({2, 16, 8, 8})), 16, 16)});
  auto y = block(x);
  auto z = block(y);
  // x is read again after the first block, by a Conv that takes it in oneDNN's layout as the
  // blocks do: the first block's Conv must leave it alone.
  auto m = b.finish(b.node("Concat", {z, conv(b, x, 16, 16)}, {attr("axis", std::int64_t{1})}));

  auto optimized = std::make_shared<const onnx::model_graph>(onnx::optimize(*m.model));
  auto p = onnx::plan::make(optimized, m.inputs);
  REQUIRE(p.has_value());
  REQUIRE(onnx::fuse_residual_adds(*p) == 2);
  // The fused Convs as the fast path binds them: oneDNN's, which may sum in place.
  std::vector<nn::cpu_kernel> kernels(p->nodes().size());
  std::vector<std::pair<int, int>> summed;  // (residual, output) of each fused Conv
  for (std::size_t i = 0; i < p->nodes().size(); ++i) {
    const auto& n = p->nodes()[i];
    if (n.inputs.size() > nn::residual_input) {
      kernels[i].layouts.in_place_input = static_cast<int>(nn::residual_input);
      summed.emplace_back(n.inputs[nn::residual_input], n.outputs[0]);
    }
  }
  REQUIRE(summed.size() == 2);
  std::vector<nn::layout_tag> layouts(p->values().size(), nn::plain_layout);
  auto takes = onnx::in_place_outputs(*p, kernels, layouts);
  auto arena = onnx::plan_arena(*p, 64, takes);
  auto [x_id, y_id] = summed[0];
  auto [y_again, z_id] = summed[1];
  CHECK(y_again == y_id);
  CHECK(takes[static_cast<std::size_t>(y_id)] == -1);
  CHECK(arena.offsets[static_cast<std::size_t>(y_id)] != arena.offsets[static_cast<std::size_t>(x_id)]);
  CHECK(takes[static_cast<std::size_t>(z_id)] == y_id);
  CHECK(arena.offsets[static_cast<std::size_t>(z_id)] == arena.offsets[static_cast<std::size_t>(y_id)]);
  // Layouts that differ keep them apart too.
  layouts[static_cast<std::size_t>(z_id)] = nn::layout_tag{1};
  CHECK(onnx::in_place_outputs(*p, kernels, layouts)[static_cast<std::size_t>(z_id)] == -1);
  check_fast_path_matches_reference(m);
}

TEST_CASE("a residual Add after a dense layer fuses into its MatMul, bias or not, answers unchanged") {
  // BERT's blocks end so: LayerNorm(Add(MatMul(x, W) + b, x)). Rows not a multiple of the
  // tile's six and 20 columns (a partial panel) reach every edge of the packed product.
  for (bool bias : {true, false})
    for (std::int64_t n : {16, 20}) {
      CAPTURE(bias);
      CAPTURE(n);
      model_builder b{13, 6};
      auto x = b.value(data({2, 7, 24}));
      auto y = b.node("MatMul", {x, b.value(weight({24, n}))});
      if (bias)
        y = b.node("Add", {y, b.value(weight({n}))});
      auto r = b.value(data({2, 7, n}));
      auto m = b.finish(b.node("Relu", {b.node("Add", {y, r})}));
      auto [count, ops] = fused(m);
      CHECK(count == 1);
      CHECK(ops == std::vector<std::string>{"MatMul"});
      check_fast_path_matches_reference(m);
    }
}

TEST_CASE("a residual Add stays apart from a MatMul of two computed operands or that broadcasts") {
  model_builder b{13, 6};
  auto s = b.node("MatMul", {b.value(data({2, 8, 4})), b.value(data({2, 4, 8}))});
  auto m = b.finish(b.node("Add", {s, b.value(data({2, 8, 8}))}));
  CHECK(fused(m).first == 0);
  check_fast_path_matches_reference(m);

  model_builder wide{13, 6};
  auto d = wide.node("MatMul", {wide.value(data({2, 8, 4})), wide.value(weight({4, 8}))});
  auto m2 = wide.finish(wide.node("Add", {d, wide.value(data({8}))}));
  CHECK(fused(m2).first == 0);
  check_fast_path_matches_reference(m2);
}

} // namespace hogar::test
