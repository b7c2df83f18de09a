// winograd_avx2.cpp: the per-tile arithmetic of winograd.hpp, on AVX2 and FMA (compiled with
// -mavx2 -mfma; it calls no library template, so no AVX2 copy of an inline function can stand
// in for the portable one elsewhere). The products run on gemm_avx2_tile.hpp's tile.
#include <immintrin.h>

#include <cstdint>

#include "kernels/nn/gemm_avx2_tile.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/winograd.hpp"

namespace hogar::nn::winograd {

namespace {

using i64 = std::int64_t;

inline __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
inline __m256 sub(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }
/// a * k + b.
inline __m256 fma(__m256 a, float k, __m256 b) { return _mm256_fmadd_ps(a, _mm256_set1_ps(k), b); }

/// The 1-D input transforms, d -> B'd, on one line of the input block.
/// F(2x2): B' = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
inline void input_line(const __m256 (&d)[4], __m256 (&t)[4]) {
  t[0] = sub(d[0], d[2]);
  t[1] = add(d[1], d[2]);
  t[2] = sub(d[2], d[1]);
  t[3] = sub(d[1], d[3]);
}
/// F(4x4): B' = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0;
/// 0 4 0 -5 0 1].
inline void input_line(const __m256 (&d)[6], __m256 (&t)[6]) {
  const __m256 d4_d2 = sub(d[4], d[2]), d3_d1 = sub(d[3], d[1]);
  t[0] = fma(d[0], 4.0f, fma(d[2], -5.0f, d[4]));
  t[1] = fma(add(d[1], d[2]), -4.0f, add(d[3], d[4]));
  t[2] = fma(sub(d[1], d[2]), 4.0f, sub(d[4], d[3]));
  t[3] = fma(d3_d1, 2.0f, d4_d2);
  t[4] = fma(d3_d1, -2.0f, d4_d2);
  t[5] = fma(d[1], 4.0f, fma(d[3], -5.0f, d[5]));
}

/// The 1-D output transforms, m -> A'm.
/// F(2x2): A' = [1 1 1 0; 0 1 -1 -1].
inline void output_line(const __m256 (&m)[4], __m256 (&y)[2]) {
  y[0] = add(add(m[0], m[1]), m[2]);
  y[1] = sub(sub(m[1], m[2]), m[3]);
}
/// F(4x4): A' = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
inline void output_line(const __m256 (&m)[6], __m256 (&y)[4]) {
  const __m256 sum12 = add(m[1], m[2]), dif12 = sub(m[1], m[2]);
  const __m256 sum34 = add(m[3], m[4]), dif34 = sub(m[3], m[4]);
  y[0] = add(add(m[0], sum12), sum34);
  y[1] = fma(dif34, 2.0f, dif12);
  y[2] = fma(sum34, 4.0f, sum12);
  y[3] = add(fma(dif34, 8.0f, dif12), m[5]);
}

/// Row i of a block kept as columns: line[c] = columns[c][i].
template <int Columns, int Rows>
inline void row_of(const __m256 (&columns)[Columns][Rows], int i, __m256 (&line)[Columns]) {
#pragma GCC unroll 8
  for (int c = 0; c < Columns; ++c)
    line[c] = columns[c][i];
}

/// Transforms the inputs of `count` tiles from `first` into V: element e of tile l and channel
/// block cb at v[(e * capacity + l) * C + cb * 8]. Tile: outputs per tile side.
template <int Tile>
void transform_inputs(const conv_shape& s, const float* x, i64 first, i64 count, float* v,
                      i64 capacity) {
  constexpr int size = Tile + 2;
  const i64 th = s.tiles_h(), tw = s.tiles_w();
  const i64 plane = s.height * s.width * block;
  const i64 blocks = s.channels / block;
  const i64 element_stride = capacity * s.channels;
  for (i64 l = 0; l < count; ++l) {
    const i64 t = first + l;
    const i64 n = t / (th * tw), ti = t / tw % th, tj = t % tw;
    const i64 top = Tile * ti - s.pad_top, left = Tile * tj - s.pad_left;
    const bool inside =
      top >= 0 && left >= 0 && top + size <= s.height && left + size <= s.width;
    const float* image = x + n * blocks * plane;
    float* out = v + l * s.channels;
    for (i64 cb = 0; cb < blocks; ++cb) {
      const float* base = image + cb * plane;
      // The block's columns through B' first (a column at a time), then its rows.
      __m256 d[size][size];
#pragma GCC unroll 8
      for (int r = 0; r < size; ++r)
#pragma GCC unroll 8
        for (int c = 0; c < size; ++c) {
          const i64 h = top + r, w = left + c;
          d[c][r] = inside || (h >= 0 && h < s.height && w >= 0 && w < s.width)
                      ? _mm256_loadu_ps(base + (h * s.width + w) * block)
                      : _mm256_setzero_ps();
        }
      __m256 columns[size][size];  // [column][row of B'd]
#pragma GCC unroll 8
      for (int c = 0; c < size; ++c)
        input_line(d[c], columns[c]);
#pragma GCC unroll 8
      for (int i = 0; i < size; ++i) {
        __m256 line[size], row[size];
        row_of(columns, i, line);
        input_line(line, row);
#pragma GCC unroll 8
        for (int j = 0; j < size; ++j)
          _mm256_storeu_ps(out + (i * size + j) * element_stride + cb * block, row[j]);
      }
    }
  }
}

/// The products of `count` tiles, one per element, for panels [panel_begin, panel_end). For few
/// tiles (at most three rows of six) the channels are taken 64 at a time, each slice of a
/// panel's weights used by every row while it is in L1: the weights then come from memory once.
void multiply(const conv_shape& s, const float* v, const float* u, float* m, i64 count,
              i64 capacity, i64 panel_begin, i64 panel_end) {
  const i64 channels = s.channels, filters = s.filters_padded();
  const i64 slice = count <= 18 ? 64 : channels;
  for (i64 e = 0; e < s.elements(); ++e)
    for (i64 p = panel_begin; p < panel_end; ++p)
      avx2_tile::multiply_sliced(v + e * capacity * channels, channels, count, channels,
                                 u + (e * filters + p * panel) * channels,
                                 m + e * capacity * filters + p * panel, filters, slice);
}

/// The fused activation on a vector; false where it has no vector form here (the caller then
/// applies epilogue.hpp's scalar one).
inline bool activate(const epilogue& post, __m256& x) {
  switch (post.kind) {
    case activation::none: return true;
    case activation::relu: x = _mm256_max_ps(x, _mm256_setzero_ps()); return true;  // NaN -> 0
    case activation::leaky_relu: {
      const __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
      x = _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(post.alpha)), negative);
      return true;
    }
    case activation::clip:  // a NaN stays NaN, as std::min(std::max(x, lo), hi) keeps it
      x = _mm256_min_ps(_mm256_set1_ps(post.max), _mm256_max_ps(_mm256_set1_ps(post.min), x));
      return true;
    default: return false;
  }
}

/// The activations without an inline vector form here, on eight stored values: simd_avx2.cpp's
/// vector loops for Sigmoid, SiLU and Gelu, epilogue.cpp's for the rest (non-inline calls: see
/// gemm_avx2_tile.hpp).
inline void activate_stored(const epilogue& post, float* y) {
  if (post.kind == activation::sigmoid || post.kind == activation::silu ||
      post.kind == activation::gelu)
    simd::avx2::activate(y, y, block, 0.0f, nullptr, post.kind);
  else
    apply(post, y, block);
}

/// Y = A'MA, then bias, residual and activation, for `count` tiles and output channel blocks
/// [block_begin, block_end).
template <int Tile>
void transform_outputs(const conv_shape& s, const float* m, float* y, const tile_epilogue& e,
                       i64 first, i64 count, i64 capacity, i64 block_begin, i64 block_end) {
  constexpr int size = Tile + 2;
  const i64 th = s.tiles_h(), tw = s.tiles_w();
  const i64 filters = s.filters_padded();
  const i64 plane = s.out_h * s.out_w * block;
  const i64 blocks = s.filters / block;
  const i64 element_stride = capacity * filters;
  for (i64 l = 0; l < count; ++l) {
    const i64 t = first + l;
    const i64 n = t / (th * tw), ti = t / tw % th, tj = t % tw;
    const i64 top = Tile * ti, left = Tile * tj;
    const i64 rows = s.out_h - top < Tile ? s.out_h - top : Tile;
    const i64 cols = s.out_w - left < Tile ? s.out_w - left : Tile;
    const float* ml = m + l * filters;
    for (i64 kb = block_begin; kb < block_end; ++kb) {
      // The columns of M through A' (a column at a time), then the rows.
      __m256 columns[size][Tile];  // [column][row of A'M]
#pragma GCC unroll 8
      for (int c = 0; c < size; ++c) {
        __m256 line[size];
#pragma GCC unroll 8
        for (int r = 0; r < size; ++r)
          line[r] = _mm256_loadu_ps(ml + (r * size + c) * element_stride + kb * block);
        output_line(line, columns[c]);
      }
      const __m256 bias = e.bias ? _mm256_loadu_ps(e.bias + kb * block) : _mm256_setzero_ps();
      const i64 at = (n * blocks + kb) * plane;
#pragma GCC unroll 4
      for (int r = 0; r < Tile; ++r) {
        if (r >= rows)
          break;
        __m256 line[size], out[Tile];
        row_of(columns, r, line);
        output_line(line, out);
#pragma GCC unroll 4
        for (int c = 0; c < Tile; ++c) {
          if (c >= cols)
            break;
          const i64 offset = at + ((top + r) * s.out_w + left + c) * block;
          __m256 value = add(out[c], bias);
          if (e.residual)
            value = add(value, _mm256_loadu_ps(e.residual + offset));
          const bool vector = activate(e.post, value);
          _mm256_storeu_ps(y + offset, value);
          if (!vector)
            activate_stored(e.post, y + offset);
        }
      }
    }
  }
}

} // namespace

void convolve_tiles(const conv_shape& s, const float* x, const float* u, float* y,
                    const tile_epilogue& e, std::int64_t first, std::int64_t count,
                    std::int64_t panel_begin, std::int64_t panel_end, const tile_scratch& scratch) {
  if (s.tile == 4)
    transform_inputs<4>(s, x, first, count, scratch.v, scratch.capacity);
  else
    transform_inputs<2>(s, x, first, count, scratch.v, scratch.capacity);
  multiply(s, scratch.v, u, scratch.m, count, scratch.capacity, panel_begin, panel_end);
  const i64 block_begin = panel_begin * (panel / block);
  const i64 block_end = panel_end * (panel / block) < s.filters / block
                          ? panel_end * (panel / block)
                          : s.filters / block;
  if (s.tile == 4)
    transform_outputs<4>(s, scratch.m, y, e, first, count, scratch.capacity, block_begin, block_end);
  else
    transform_outputs<2>(s, scratch.m, y, e, first, count, scratch.capacity, block_begin, block_end);
}

} // namespace hogar::nn::winograd
