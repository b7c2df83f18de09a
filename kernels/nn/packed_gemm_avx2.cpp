// packed_gemm_avx2.cpp: packed_gemm::multiply on AVX2 and FMA (compiled with -mavx2 -mfma; no
// library template is called, see gemm_avx2_tile.hpp).
#include <immintrin.h>

#include <cstdint>

#include "kernels/nn/gemm_avx2_tile.hpp"
#include "kernels/nn/packed_gemm.hpp"
#include "kernels/nn/simd.hpp"

namespace hogar::nn::packed_gemm {

namespace {

using i64 = std::int64_t;

/// Whether the activation has a vector form here, applied tile by tile; the others run once
/// per row after every panel (a library call per 16 values would cost a third more).
bool inline_activation(const epilogue& post) {
  return post.kind == activation::none || post.kind == activation::relu ||
         post.kind == activation::clip;
}

/// Bias, residual and an inline activation on one row of a panel's tile (`cols` <= 16 values
/// at y; bias and residual may be null).
void finish_tile_row(float* y, i64 cols, const float* bias, const float* residual,
                     const epilogue& post) {
  if (cols < panel) {
    for (i64 c = 0; c < cols; ++c) {
      float v = y[c] + (bias ? bias[c] : 0.0f) + (residual ? residual[c] : 0.0f);
      if (post.kind == activation::relu)
        v = v > 0.0f ? v : 0.0f;  // NaN -> 0, as epilogue.hpp's Relu
      else if (post.kind == activation::clip)
        v = v < post.min ? post.min : (post.max < v ? post.max : v);  // a NaN stays NaN
      y[c] = v;
    }
    return;
  }
  __m256 lo = _mm256_loadu_ps(y), hi = _mm256_loadu_ps(y + 8);
  if (bias) {
    lo = _mm256_add_ps(lo, _mm256_loadu_ps(bias));
    hi = _mm256_add_ps(hi, _mm256_loadu_ps(bias + 8));
  }
  if (residual) {
    lo = _mm256_add_ps(lo, _mm256_loadu_ps(residual));
    hi = _mm256_add_ps(hi, _mm256_loadu_ps(residual + 8));
  }
  if (post.kind == activation::relu) {  // NaN -> 0
    lo = _mm256_max_ps(lo, _mm256_setzero_ps());
    hi = _mm256_max_ps(hi, _mm256_setzero_ps());
  } else if (post.kind == activation::clip) {  // a NaN stays NaN
    lo = _mm256_min_ps(_mm256_set1_ps(post.max), _mm256_max_ps(_mm256_set1_ps(post.min), lo));
    hi = _mm256_min_ps(_mm256_set1_ps(post.max), _mm256_max_ps(_mm256_set1_ps(post.min), hi));
  }
  _mm256_storeu_ps(y, lo);
  _mm256_storeu_ps(y + 8, hi);
}

/// The other activations on `cols` values of a row: simd_avx2.cpp's vector loops for
/// Sigmoid, SiLU and Gelu, epilogue.cpp's for the rest (non-inline calls only: see
/// gemm_avx2_tile.hpp).
void activate_row(float* y, i64 cols, const epilogue& post) {
  if (post.kind == activation::sigmoid || post.kind == activation::silu ||
      post.kind == activation::gelu)
    simd::avx2::activate(y, y, cols, 0.0f, nullptr, post.kind);
  else
    apply(post, y, cols);
}

} // namespace

void multiply(const float* a, std::int64_t lda, std::int64_t rows, std::int64_t k,
              const float* packed, std::int64_t n, std::int64_t panel_begin,
              std::int64_t panel_end, const float* bias, const float* residual,
              std::int64_t ldr, const epilogue& post, float* y, std::int64_t ldy) {
  alignas(32) float partial[6 * panel];
  for (i64 p = panel_begin; p < panel_end; ++p) {
    const float* b = packed + p * panel * k;
    const i64 col = p * panel;
    const i64 cols = n - col < panel ? n - col : panel;
    const float* bias_p = bias ? bias + col : nullptr;
    const float* residual_p = residual ? residual + col : nullptr;
    auto residual_row = [&](i64 r) { return residual_p ? residual_p + r * ldr : nullptr; };
    if (cols == panel) {
      // Whole panel: the tile's sums go straight into Y, a slice of the depth at a time.
      float* yp = y + col;
      avx2_tile::multiply_sliced(a, lda, rows, k, b, yp, ldy, depth_slice);
      for (i64 r = 0; r < rows && (bias_p || residual_p || post.kind != activation::none); ++r)
        finish_tile_row(yp + r * ldy, panel, bias_p, residual_row(r), post);
      continue;
    }
    // The last, partial panel: six rows at a time through a tile of our own, whole depth.
    for (i64 r0 = 0; r0 < rows; r0 += 6) {
      const i64 count = rows - r0 < 6 ? rows - r0 : 6;
      avx2_tile::multiply_panel<false>(a + r0 * lda, lda, k, b, partial, panel, count);
      for (i64 r = 0; r < count; ++r) {
        float* out = y + (r0 + r) * ldy + col;
        for (i64 c = 0; c < cols; ++c)
          out[c] = partial[r * panel + c];
        finish_tile_row(out, cols, bias_p, residual_row(r0 + r), post);
      }
    }
  }
  if (inline_activation(post))
    return;
  const i64 first = panel_begin * panel;
  const i64 last = panel_end * panel < n ? panel_end * panel : n;
  for (i64 r = 0; r < rows && first < last; ++r)
    activate_row(y + r * ldy + first, last - first, post);
}

} // namespace hogar::nn::packed_gemm
