// winograd_avx2.cpp: the per-tile arithmetic of winograd.hpp, on AVX2 and FMA. The one other
// file compiled with -mavx2 -mfma besides simd_avx2.cpp; it calls no library template, so no
// AVX2 copy of an inline function can stand in for the portable one elsewhere.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels/nn/winograd.hpp"

namespace hogar::nn::winograd {

namespace {

using i64 = std::int64_t;

/// The input's 4x4 block of eight-channel pixels at (top, left), zero outside the image.
struct input_block {
  __m256 d[4][4];
};

/// V = B'dB, B' = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], one vector per element.
inline void transform_input_block(const input_block& in, __m256 (&v)[16]) {
  __m256 t[4][4];
  #pragma GCC unroll 16
  for (int j = 0; j < 4; ++j) {
    t[0][j] = _mm256_sub_ps(in.d[0][j], in.d[2][j]);
    t[1][j] = _mm256_add_ps(in.d[1][j], in.d[2][j]);
    t[2][j] = _mm256_sub_ps(in.d[2][j], in.d[1][j]);
    t[3][j] = _mm256_sub_ps(in.d[1][j], in.d[3][j]);
  }
  #pragma GCC unroll 16
  for (int i = 0; i < 4; ++i) {
    v[i * 4 + 0] = _mm256_sub_ps(t[i][0], t[i][2]);
    v[i * 4 + 1] = _mm256_add_ps(t[i][1], t[i][2]);
    v[i * 4 + 2] = _mm256_sub_ps(t[i][2], t[i][1]);
    v[i * 4 + 3] = _mm256_sub_ps(t[i][1], t[i][3]);
  }
}

/// Transforms the inputs of `count` tiles from `first` into V: element e of tile l and channel
/// block cb at v[(e * capacity + l) * C + cb * 8].
void transform_inputs(const conv_shape& s, const float* x, i64 first, i64 count, float* v,
                      i64 capacity) {
  const i64 th = s.tiles_h(), tw = s.tiles_w();
  const i64 plane = s.height * s.width * block;
  const i64 blocks = s.channels / block;
  const i64 element_stride = capacity * s.channels;
  for (i64 l = 0; l < count; ++l) {
    const i64 t = first + l;
    const i64 n = t / (th * tw), ti = t / tw % th, tj = t % tw;
    const i64 top = 2 * ti - s.pad_top, left = 2 * tj - s.pad_left;
    const bool inside = top >= 0 && left >= 0 && top + 4 <= s.height && left + 4 <= s.width;
    const float* image = x + n * blocks * plane;
    float* out = v + l * s.channels;
    for (i64 cb = 0; cb < blocks; ++cb) {
      const float* base = image + cb * plane;
      input_block in;
      if (inside) {
        #pragma GCC unroll 16
        for (int r = 0; r < 4; ++r)
          #pragma GCC unroll 16
          for (int c = 0; c < 4; ++c)
            in.d[r][c] = _mm256_loadu_ps(base + ((top + r) * s.width + left + c) * block);
      } else {
        #pragma GCC unroll 16
        for (int r = 0; r < 4; ++r)
          #pragma GCC unroll 16
          for (int c = 0; c < 4; ++c) {
            const i64 h = top + r, w = left + c;
            in.d[r][c] = h >= 0 && h < s.height && w >= 0 && w < s.width
                           ? _mm256_loadu_ps(base + (h * s.width + w) * block)
                           : _mm256_setzero_ps();
          }
      }
      __m256 e[16];
      transform_input_block(in, e);
      #pragma GCC unroll 16
      for (int k = 0; k < 16; ++k)
        _mm256_storeu_ps(out + k * element_stride + cb * block, e[k]);
    }
  }
}

/// m[r][0..16) (+)= sum over c < depth of v[r * v_stride + c] * u[c][0..16), for `Rows`
/// tiles: twelve accumulators at six rows, the inner loop two loads of the weights and one
/// broadcast per row for two FMAs each. Accumulate adds to what m holds (a later slice of the
/// channels).
template <int Rows, bool Accumulate>
inline void multiply_rows(const float* v, i64 v_stride, i64 depth, const float* u, float* m,
                          i64 m_stride) {
  __m256 acc[Rows][2];
#pragma GCC unroll 16
  for (int r = 0; r < Rows; ++r)
    acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (i64 c = 0; c < depth; ++c) {
    const __m256 b0 = _mm256_loadu_ps(u + c * panel);
    const __m256 b1 = _mm256_loadu_ps(u + c * panel + block);
#pragma GCC unroll 16
    for (int r = 0; r < Rows; ++r) {
      const __m256 a = _mm256_broadcast_ss(v + r * v_stride + c);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < Rows; ++r) {
    if (Accumulate) {
      acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(m + r * m_stride));
      acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(m + r * m_stride + block));
    }
    _mm256_storeu_ps(m + r * m_stride, acc[r][0]);
    _mm256_storeu_ps(m + r * m_stride + block, acc[r][1]);
  }
}

/// One panel of the products for every row of `count` tiles: rows of six, then the rest.
template <bool Accumulate>
void multiply_panel(const float* v, i64 v_stride, i64 depth, const float* u, float* m,
                    i64 m_stride, i64 count) {
  i64 l = 0;
  for (; l + 6 <= count; l += 6)
    multiply_rows<6, Accumulate>(v + l * v_stride, v_stride, depth, u, m + l * m_stride, m_stride);
  const float* vl = v + l * v_stride;
  float* ml = m + l * m_stride;
  switch (count - l) {
    case 5: multiply_rows<5, Accumulate>(vl, v_stride, depth, u, ml, m_stride); break;
    case 4: multiply_rows<4, Accumulate>(vl, v_stride, depth, u, ml, m_stride); break;
    case 3: multiply_rows<3, Accumulate>(vl, v_stride, depth, u, ml, m_stride); break;
    case 2: multiply_rows<2, Accumulate>(vl, v_stride, depth, u, ml, m_stride); break;
    case 1: multiply_rows<1, Accumulate>(vl, v_stride, depth, u, ml, m_stride); break;
    default: break;
  }
}

/// The 16 products of `count` tiles for panels [panel_begin, panel_end). For few tiles (at most
/// three rows of six) the channels are taken a slice at a time, each slice of a panel's
/// weights used by every row while it is in L1: the weights then come from memory once.
void multiply(const conv_shape& s, const float* v, const float* u, float* m, i64 count,
              i64 capacity, i64 panel_begin, i64 panel_end) {
  const i64 channels = s.channels, filters = s.filters_padded();
  const i64 slice = count <= 18 ? 64 : channels;
  for (i64 e = 0; e < elements; ++e)
    for (i64 p = panel_begin; p < panel_end; ++p) {
      const float* ve = v + e * capacity * channels;
      const float* up = u + (e * filters + p * panel) * channels;
      float* me = m + e * capacity * filters + p * panel;
      for (i64 c0 = 0; c0 < channels; c0 += slice) {
        const i64 depth = channels - c0 < slice ? channels - c0 : slice;
        if (c0 == 0)
          multiply_panel<false>(ve, channels, depth, up, me, filters, count);
        else
          multiply_panel<true>(ve + c0, channels, depth, up + c0 * panel, me, filters, count);
      }
    }
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

/// Y = A'MA, A' = [1 1 1 0; 0 1 -1 -1], then bias, residual and activation, for `count`
/// tiles and output channel blocks [block_begin, block_end).
void transform_outputs(const conv_shape& s, const float* m, float* y, const tile_epilogue& e,
                       i64 first, i64 count, i64 capacity, i64 block_begin, i64 block_end) {
  const i64 th = s.tiles_h(), tw = s.tiles_w();
  const i64 filters = s.filters_padded();
  const i64 plane = s.out_h * s.out_w * block;
  const i64 blocks = s.filters / block;
  const i64 element_stride = capacity * filters;
  for (i64 l = 0; l < count; ++l) {
    const i64 t = first + l;
    const i64 n = t / (th * tw), ti = t / tw % th, tj = t % tw;
    const i64 top = 2 * ti, left = 2 * tj;
    const bool full_rows = top + 2 <= s.out_h, full_cols = left + 2 <= s.out_w;
    const float* ml = m + l * filters;
    for (i64 kb = block_begin; kb < block_end; ++kb) {
      __m256 a[16];
      #pragma GCC unroll 16
      for (int k = 0; k < 16; ++k)
        a[k] = _mm256_loadu_ps(ml + k * element_stride + kb * block);
      // Rows: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (element k = row * 4 + column).
      __m256 s0[4], s1[4];
      #pragma GCC unroll 16
      for (int j = 0; j < 4; ++j) {
        s0[j] = _mm256_add_ps(_mm256_add_ps(a[j], a[4 + j]), a[8 + j]);
        s1[j] = _mm256_sub_ps(_mm256_sub_ps(a[4 + j], a[8 + j]), a[12 + j]);
      }
      __m256 out[2][2] = {
        {_mm256_add_ps(_mm256_add_ps(s0[0], s0[1]), s0[2]),
         _mm256_sub_ps(_mm256_sub_ps(s0[1], s0[2]), s0[3])},
        {_mm256_add_ps(_mm256_add_ps(s1[0], s1[1]), s1[2]),
         _mm256_sub_ps(_mm256_sub_ps(s1[1], s1[2]), s1[3])},
      };
      const __m256 bias = e.bias ? _mm256_loadu_ps(e.bias + kb * block) : _mm256_setzero_ps();
      const i64 at = (n * blocks + kb) * plane;
      #pragma GCC unroll 16
      for (int r = 0; r < 2; ++r) {
        if (r == 1 && !full_rows)
          break;
        #pragma GCC unroll 16
        for (int c = 0; c < 2; ++c) {
          if (c == 1 && !full_cols)
            break;
          const i64 offset = at + ((top + r) * s.out_w + left + c) * block;
          __m256 value = _mm256_add_ps(out[r][c], bias);
          if (e.residual)
            value = _mm256_add_ps(value, _mm256_loadu_ps(e.residual + offset));
          const bool vector = activate(e.post, value);
          _mm256_storeu_ps(y + offset, value);
          if (!vector)
            apply(e.post, y + offset, block);
        }
      }
    }
  }
}

} // namespace

void convolve_tiles(const conv_shape& s, const float* x, const float* u, float* y,
                    const tile_epilogue& e, std::int64_t first, std::int64_t count,
                    std::int64_t panel_begin, std::int64_t panel_end, const tile_scratch& scratch) {
  transform_inputs(s, x, first, count, scratch.v, scratch.capacity);
  multiply(s, scratch.v, u, scratch.m, count, scratch.capacity, panel_begin, panel_end);
  const i64 block_end = panel_end * (panel / block) < s.filters / block
                          ? panel_end * (panel / block)
                          : s.filters / block;
  transform_outputs(s, scratch.m, y, e, first, count, scratch.capacity,
                    panel_begin * (panel / block), block_end);
}

} // namespace hogar::nn::winograd
