// gemm_avx2_tile.hpp: the AVX2 product tile shared by the kernels compiled for AVX2 and FMA
// (winograd_avx2.cpp, packed_gemm_avx2.cpp): up to six rows of A times a panel of 16 columns
// of B that was packed as K rows of 16 floats.
//
// Include it only from a file compiled with -mavx2 -mfma. Its functions have internal linkage
// (an unnamed namespace) on purpose: an inline function with external linkage compiled for
// AVX2 here could be the one copy the linker keeps for a file compiled without it.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace hogar::nn::avx2_tile {
namespace {

/// Columns per panel of B: two vectors.
constexpr std::int64_t panel = 16;

/// m[r][0..16) (+)= sum over c < depth of a[r * a_stride + c] * b[c][0..16), for `Rows`
/// rows: twelve accumulators at six rows; per c, two loads of B and one broadcast per row for
/// two FMAs each. Accumulate adds to what m holds (a later slice of the depth).
template <int Rows, bool Accumulate>
inline void multiply_rows(const float* a, std::int64_t a_stride, std::int64_t depth,
                          const float* b, float* m, std::int64_t m_stride) {
  __m256 acc[Rows][2];
#pragma GCC unroll 16
  for (int r = 0; r < Rows; ++r)
    acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (std::int64_t c = 0; c < depth; ++c) {
    const __m256 b0 = _mm256_loadu_ps(b + c * panel);
    const __m256 b1 = _mm256_loadu_ps(b + c * panel + 8);
#pragma GCC unroll 16
    for (int r = 0; r < Rows; ++r) {
      const __m256 x = _mm256_broadcast_ss(a + r * a_stride + c);
      acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < Rows; ++r) {
    if (Accumulate) {
      acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(m + r * m_stride));
      acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(m + r * m_stride + 8));
    }
    _mm256_storeu_ps(m + r * m_stride, acc[r][0]);
    _mm256_storeu_ps(m + r * m_stride + 8, acc[r][1]);
  }
}

/// One panel of the product for `rows` rows: six at a time, then the rest. One or two rows
/// left over after sixes end as four and three or four instead (128 rows: 20 sixes, two
/// fours): a tile of two rows has too few sums in flight to keep both FMA units busy.
template <bool Accumulate>
inline void multiply_panel(const float* a, std::int64_t a_stride, std::int64_t depth,
                           const float* b, float* m, std::int64_t m_stride, std::int64_t rows) {
  std::int64_t r = 0;
  const std::int64_t sixes_end = rows % 6 != 0 && rows % 6 <= 2 && rows > 6 ? rows / 6 * 6 - 6
                                                                            : rows / 6 * 6;
  for (; r < sixes_end; r += 6)
    multiply_rows<6, Accumulate>(a + r * a_stride, a_stride, depth, b, m + r * m_stride, m_stride);
  if (rows - r > 6) {
    multiply_rows<4, Accumulate>(a + r * a_stride, a_stride, depth, b, m + r * m_stride, m_stride);
    r += 4;
  }
  const float* ar = a + r * a_stride;
  float* mr = m + r * m_stride;
  switch (rows - r) {
    case 5: multiply_rows<5, Accumulate>(ar, a_stride, depth, b, mr, m_stride); break;
    case 4: multiply_rows<4, Accumulate>(ar, a_stride, depth, b, mr, m_stride); break;
    case 3: multiply_rows<3, Accumulate>(ar, a_stride, depth, b, mr, m_stride); break;
    case 2: multiply_rows<2, Accumulate>(ar, a_stride, depth, b, mr, m_stride); break;
    case 1: multiply_rows<1, Accumulate>(ar, a_stride, depth, b, mr, m_stride); break;
    default: break;
  }
}

/// m[r][0..16) = sum over c < depth of a[r * a_stride + c] * b[c][0..16) for `rows` rows, the
/// depth taken `slice` rows of b at a time: each slice of the panel stays in L1 while every
/// row passes through it, the sums kept in m between slices.
inline void multiply_sliced(const float* a, std::int64_t a_stride, std::int64_t rows,
                            std::int64_t depth, const float* b, float* m, std::int64_t m_stride,
                            std::int64_t slice) {
  for (std::int64_t c0 = 0; c0 < depth; c0 += slice) {
    const std::int64_t part = depth - c0 < slice ? depth - c0 : slice;
    if (c0 == 0)
      multiply_panel<false>(a, a_stride, part, b, m, m_stride, rows);
    else
      multiply_panel<true>(a + c0, a_stride, part, b + c0 * panel, m, m_stride, rows);
  }
}

} // namespace
} // namespace hogar::nn::avx2_tile
