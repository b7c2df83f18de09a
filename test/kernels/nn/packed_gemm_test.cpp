// packed_gemm_test.cpp: a dense layer (MatMul by a constant matrix, its bias and activation
// fused) runs on the packed-weight AVX2 product (kernels/nn/packed_gemm.hpp) with the
// reference's answers, at every edge of its tiling: rows not a multiple of six, columns not a
// multiple of 16, depths past one slice, rows too few for the threads.
#include <limits>
#include <string>
#include <vector>

#include "kernels/nn/packed_gemm.hpp"
#include "kernels/nn/simd.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {

TEST_CASE("a MatMul by constant weights runs on the packed AVX2 product with the reference's answers") {
  if (!nn::simd::avx2_loops()) {
    MESSAGE("skipped: this CPU has no AVX2 and FMA, the packed product does not run here");
    return;
  }
  struct dense {
    shape_t a;  // [..., M, K]
    std::int64_t n;
  };
  // Rows 1, 7, 100 and 2 x 65; columns 5, 16, 40 and 130; depths 3 to 600 (three slices).
  const std::vector<dense> shapes = {{{1, 3}, 5},      {{7, 64}, 16},   {{100, 33}, 40},
                                     {{2, 65, 300}, 130}, {{4, 600}, 24}, {{3, 2, 9, 128}, 128}};
  std::uint64_t seed = 7;
  for (const auto& shape : shapes)
    for (const std::string activation : {"", "Relu", "Gelu", "LeakyRelu", "Tanh", "Silu"}) {
      CAPTURE(shape.a);
      CAPTURE(shape.n);
      CAPTURE(activation);
      model_builder b{activation == "Gelu" ? 20 : 13, ++seed};
      auto x = b.value(data(shape.a));
      auto product = b.node("MatMul", {x, b.value(weight({shape.a.back(), shape.n}))});
      // optimize() fuses the Add of a constant row and the activation into the MatMul.
      auto out = b.node("Add", {product, b.value(weight({shape.n}))});
      if (activation == "Silu")  // as exporters write it: fused into the MatMul by optimize()
        out = b.node("Mul", {out, b.node("Sigmoid", {out})});
      else if (!activation.empty())
        out = b.node(activation, {out});
      auto m = b.finish(out);
      CHECK(kernel_names(m).front() == "hogar packed-weight GEMM, AVX2");
      check_fast_path_matches_reference(m, {1, 2, 3});
    }
}

TEST_CASE("NaN rows give the reference's answers through the packed product and its Relu") {
  if (!nn::simd::avx2_loops())
    return;
  for (std::int64_t n : {16, 20}) {  // a whole panel, and a partial one
    CAPTURE(n);
    tensor rows{dtype::float32, {7, 5}};
    auto values = rows.mutable_values<float>();
    for (std::size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<float>(i % 5) - 2.0f;
    values[0] = values[12] = std::numeric_limits<float>::quiet_NaN();
    model_builder b{13, 3};
    auto x = b.value(given(rows));
    auto product = b.node("MatMul", {x, b.value(weight({5, n}))});
    auto m = b.finish(b.node("Relu", {b.node("Add", {product, b.value(weight({n}))})}));
    check_fast_path_matches_reference(m);
  }
}

TEST_CASE("a MatMul whose second operand comes with the request stays on OpenBLAS") {
  model_builder b{13, 3};
  auto x = b.value(data({4, 8}));
  auto m = b.finish(b.node("MatMul", {x, b.value(data({8, 6}))}));
  CHECK(kernel_names(m).front() == "OpenBLAS sgemm");
  check_fast_path_matches_reference(m);
}

TEST_CASE("packing lays B out as panels of 16 columns, K rows each, zero past the last column") {
  const std::int64_t k = 3, n = 20;
  std::vector<float> b(static_cast<std::size_t>(k * n)), bt(b.size());
  for (std::int64_t r = 0; r < k; ++r)
    for (std::int64_t c = 0; c < n; ++c) {
      b[static_cast<std::size_t>(r * n + c)] = static_cast<float>(100 * r + c);
      bt[static_cast<std::size_t>(c * k + r)] = static_cast<float>(100 * r + c);
    }
  for (bool trans_b : {false, true}) {
    CAPTURE(trans_b);
    std::vector<float> packed(static_cast<std::size_t>(nn::packed_gemm::packed_size(k, n)), -1.0f);
    REQUIRE(packed.size() == 2 * 16 * 3);
    nn::packed_gemm::pack(trans_b ? bt.data() : b.data(), k, n, trans_b, trans_b ? k : n,
                          packed.data());
    for (std::int64_t p = 0; p < 2; ++p)
      for (std::int64_t r = 0; r < k; ++r)
        for (std::int64_t lane = 0; lane < 16; ++lane) {
          const auto c = p * 16 + lane;
          const float expected = c < n ? static_cast<float>(100 * r + c) : 0.0f;
          CHECK(packed[static_cast<std::size_t>((p * k + r) * 16 + lane)] == expected);
        }
  }
}

} // namespace hogar::test
