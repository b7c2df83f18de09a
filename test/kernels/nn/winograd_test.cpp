// winograd_test.cpp: the 3x3 stride-1 Convs that run as Winograd's F(2x2, 3x3) or F(4x4, 3x3)
// on an AVX2 CPU (kernels/nn/winograd.hpp, conv_winograd.cpp) give the reference's answers, at
// every edge of the tiling (odd sizes, pads 0 to 2, a half panel of filters, blocks and
// threads), with each epilogue and a fused residual, and meet their oneDNN neighbours in the
// blocked layout.
#include <limits>
#include <string>
#include <vector>

#include "kernels/nn/conv.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/winograd.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

struct conv_case {
  shape_t input;  // N, C, H, W
  std::int64_t filters;
  std::vector<std::int64_t> pads;  // top, left, bottom, right
  /// The tile conv_winograd.cpp picks: F(4x4) where there are tiles enough.
  int tile;
};

std::string conv3x3(model_builder& b, const std::string& x, std::int64_t in, std::int64_t out,
                    std::vector<std::int64_t> pads = {1, 1, 1, 1}) {
  return b.node("Conv", {x, b.value(weight({out, in, 3, 3})), b.value(weight({out}))},
                {ints("pads", std::move(pads))});
}

bool winograd_here() {
  if (!nn::conv_winograd_runs_here()) {
    MESSAGE("skipped: Winograd Convs do not run here (they need AVX2 and FMA, and oneDNN's "
            "Convs in 8-channel blocks: an AVX-512 CPU blocks by 16 and keeps oneDNN's own; "
            "or HOGAR_WINOGRAD=0)");
    return false;
  }
  return true;
}

} // namespace

TEST_CASE("a 3x3 stride-1 Conv runs as Winograd F(2x2,3x3) or F(4x4,3x3) on an AVX2 CPU with the reference's answers") {
  if (!winograd_here())
    return;
  // Each shape hits an edge of the tiling: odd heights and widths (a last tile partly
  // outside), no pads (a smaller output), pads of 2 (a larger one), uneven pads, 24 and 40
  // filters (a half panel), a batch, and enough tiles for several blocks per thread; for
  // each tile size.
  const std::vector<conv_case> cases = {
    {{1, 8, 5, 5}, 8, {1, 1, 1, 1}, 2},       {{1, 16, 7, 9}, 24, {1, 1, 1, 1}, 2},
    {{2, 8, 6, 6}, 16, {0, 0, 0, 0}, 2},      {{1, 8, 4, 5}, 8, {2, 2, 2, 2}, 2},
    {{1, 16, 6, 7}, 16, {0, 1, 2, 0}, 2},     {{1, 128, 7, 7}, 64, {1, 1, 1, 1}, 2},
    {{3, 32, 13, 11}, 40, {1, 1, 1, 1}, 4},   {{1, 64, 30, 30}, 64, {1, 1, 1, 1}, 4},
    {{2, 16, 13, 17}, 24, {0, 1, 2, 0}, 4},   {{2, 8, 21, 10}, 8, {2, 2, 2, 2}, 4},
    {{2, 16, 14, 15}, 16, {0, 0, 0, 0}, 4},
  };
  std::uint64_t seed = 40;
  for (const auto& c : cases) {
    CAPTURE(c.input);
    CAPTURE(c.filters);
    CAPTURE(c.pads);
    model_builder b{13, ++seed};
    auto x = b.value(data(c.input));
    auto m = b.finish(conv3x3(b, x, c.input[1], c.filters, c.pads));
    CHECK(kernel_names(m).front().starts_with(fmt::format("hogar Winograd F({0}x{0},3x3)", c.tile)));
    // A model's input and output are plain: the kernel reorders both in its workspace. Odd
    // thread counts split tiles and panels unevenly.
    check_fast_path_matches_reference(m, {1, 2, 3, 5});
  }
}

TEST_CASE("Winograd Convs meet in the blocked layout, with a fused activation and residual, and give the reference's answers") {
  if (!winograd_here())
    return;
  for (const std::string activation : {"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "Silu"}) {
    CAPTURE(activation);
    model_builder b{13, 77};
    auto x = b.value(data({2, 16, 9, 10}));
    auto c1 = conv3x3(b, x, 16, 16);
    std::vector<onnx::attribute> attributes;
    std::vector<std::string> inputs = {c1};
    if (activation == "LeakyRelu")
      attributes.push_back(attr("alpha", 0.2f));
    if (activation == "Clip") {
      inputs.push_back(b.value(constant(tensor::scalar(-0.25f))));
      inputs.push_back(b.value(constant(tensor::scalar(0.5f))));
    }
    // SiLU as exporters write it, x * Sigmoid(x): optimize() fuses it into the Conv.
    auto a1 = activation == "Silu" ? b.node("Mul", {c1, b.node("Sigmoid", {c1})})
                                   : b.node(activation, inputs, attributes);
    auto c2 = conv3x3(b, a1, 16, 16);
    // The residual Add fuses into the second Conv, which reads a1 in the blocked layout.
    auto sum = b.node("Add", {c2, a1});
    auto m = b.finish(b.node("Relu", {sum}));
    check_fast_path_matches_reference(m);
  }

  // Between two Winograd Convs the activations stay blocked, and both run on OpenMP's team.
  model_builder b{13, 78};
  auto x = b.value(data({1, 16, 8, 8}));
  auto c1 = conv3x3(b, x, 16, 16);
  auto r1 = b.node("Relu", {c1});
  auto c2 = conv3x3(b, r1, 16, 16);
  auto m = b.finish(b.node("GlobalAveragePool", {c2}));
  auto p = onnx::plan::make(m.model, m.inputs);
  REQUIRE(p.has_value());
  std::vector<nn::cpu_kernel> kernels;
  auto tags = layouts_of(m, *p, &kernels);
  for (std::size_t conv : {0, 2}) {
    CHECK(kernels[conv].name.starts_with("hogar Winograd"));
    CHECK(kernels[conv].runs_on_openmp);
  }
  for (std::size_t node : {0, 1, 2})
    CHECK(tags[static_cast<std::size_t>(p->nodes()[node].outputs[0])] != nn::plain_layout);
}

TEST_CASE("a residual that arrives plain is summed as well as one in the blocked layout") {
  if (!winograd_here())
    return;
  model_builder b{13, 91};
  auto x = b.value(data({1, 8, 6, 6}));
  auto c1 = conv3x3(b, x, 8, 8);
  // Transpose reads plain memory: c1 goes plain, and the Conv's fused residual with it.
  auto t = b.node("Transpose", {c1}, {ints("perm", {0, 1, 3, 2})});
  auto c2 = conv3x3(b, c1, 8, 8);
  auto m = b.finish(b.node("Add", {b.node("Add", {c2, c1}), t}));
  check_fast_path_matches_reference(m);
}

TEST_CASE("a NaN input gives the reference's answers through a Winograd Conv and its activation") {
  if (!winograd_here())
    return;
  for (const std::string activation : {"Relu", "LeakyRelu"}) {
    CAPTURE(activation);
    tensor image{dtype::float32, {1, 8, 6, 6}};
    auto values = image.mutable_values<float>();
    for (std::size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<float>(i % 7) * 0.25f - 0.7f;
    values[40] = std::numeric_limits<float>::quiet_NaN();
    model_builder b{13, 3};
    auto x = b.value(given(image));
    auto m = b.finish(b.node(activation, {conv3x3(b, x, 8, 8)}));
    check_fast_path_matches_reference(m);
  }
}

TEST_CASE("Convs Winograd does not compute stay on oneDNN") {
  if (!winograd_here())
    return;
  struct refused {
    std::string why;
    model_with_inputs model;
  };
  std::vector<refused> convs;
  {
    model_builder b{13, 3};
    auto x = b.value(data({1, 8, 8, 8}));
    convs.push_back({"stride 2", b.finish(b.node("Conv", {x, b.value(weight({8, 8, 3, 3}))},
                                                  {ints("pads", {1, 1, 1, 1}), ints("strides", {2, 2})}))});
  }
  {
    model_builder b{13, 4};
    auto x = b.value(data({1, 8, 8, 8}));
    convs.push_back({"5x5", b.finish(b.node("Conv", {x, b.value(weight({8, 8, 5, 5}))},
                                             {ints("pads", {2, 2, 2, 2})}))});
  }
  {
    model_builder b{13, 5};
    auto x = b.value(data({1, 3, 8, 8}));
    convs.push_back({"3 channels", b.finish(conv3x3(b, x, 3, 8))});
  }
  {
    model_builder b{13, 6};
    auto x = b.value(data({1, 16, 8, 8}));
    convs.push_back({"2 groups", b.finish(b.node("Conv", {x, b.value(weight({16, 8, 3, 3}))},
                                                  {ints("pads", {1, 1, 1, 1}), attr("group", std::int64_t{2})}))});
  }
  {
    model_builder b{13, 7};
    auto x = b.value(data({1, 8, 8, 8}));
    convs.push_back({"dilation 2", b.finish(b.node("Conv", {x, b.value(weight({8, 8, 3, 3}))},
                                                    {ints("pads", {2, 2, 2, 2}), ints("dilations", {2, 2})}))});
  }
  for (const auto& c : convs) {
    CAPTURE(c.why);
    CHECK(kernel_names(c.model).front().starts_with("oneDNN"));
    check_fast_path_matches_reference(c.model);
  }
}

TEST_CASE("the transformed weights hold GgG' of each filter, panel by panel, zero past the last filter") {
  // transform_weights is portable: it runs on every CPU.
  const double g2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  const double g4[6][3] = {{0.25, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                           {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},
                           {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
  for (int tile : {2, 4}) {
    CAPTURE(tile);
    nn::winograd::conv_shape s;
    s.channels = 8;
    s.filters = 8;  // half a panel: filters 8..15 of the panel are zero
    s.tile = tile;
    std::vector<float> w(static_cast<std::size_t>(s.filters * s.channels * 9));
    for (std::size_t i = 0; i < w.size(); ++i)
      w[i] = static_cast<float>(i % 7) - 3.0f;
    std::vector<float> u(static_cast<std::size_t>(s.weights_size()), -1.0f);
    nn::winograd::transform_weights(s, w.data(), u.data());
    const int size = tile + 2;
    auto G = [&](int i, int k) { return tile == 2 ? g2[i][k] : g4[i][k]; };
    for (std::int64_t m = 0; m < 16; ++m)
      for (std::int64_t c = 0; c < s.channels; ++c)
        for (int i = 0; i < size; ++i)
          for (int j = 0; j < size; ++j) {
            double expected = 0;
            if (m < s.filters)
              for (int a = 0; a < 3; ++a)
                for (int bb = 0; bb < 3; ++bb)
                  expected += G(i, a) * w[static_cast<std::size_t>((m * s.channels + c) * 9 + a * 3 + bb)] * G(j, bb);
            const auto e = i * size + j;
            const auto at = (e * s.filters_padded()) * s.channels + c * nn::winograd::panel + m;
            REQUIRE(u[static_cast<std::size_t>(at)] == doctest::Approx(expected).epsilon(1e-6));
          }
  }
}

} // namespace hogar::test
