// winograd.hpp: the 3x3 stride-1 Conv as Winograd's minimal filtering F(2x2, 3x3) or F(4x4,
// 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016), on
// eight-float AVX2 vectors.
//
// Each TxT block of outputs (a tile, T = 2 or 4) is computed from the (T+2)x(T+2) block of
// inputs around it: the input block and the 3x3 filter are transformed into blocks V = B'dB
// and U = GgG' of (T+2)^2 elements, the element-wise products U.V summed over input channels,
// and the sum transformed back, Y = A'MA. Summed over channels, the products are (T+2)^2
// matrix products [tiles x C] x [C x M]: per output and channel pair, F(2x2) multiplies 4
// times and F(4x4) 2.25 times where a direct Conv multiplies 9. F(2x2)'s transforms add and
// subtract only, and its error stays within a few ulps of the direct sum's; F(4x4)'s scale by
// up to 8 (its points are 0, +-1, +-2), and its error is some 30 times larger, still a
// normalised squared error near 1e-11 for 512 channels. conv_winograd.cpp picks F(4x4) where
// there are tiles enough and its weights (4x the filters' bytes) stay small.
//
// The activations are channels blocked by 8 (oneDNN's nChw8c, "aBcd8b"), the layout oneDNN's
// AVX2 Convs keep between them, so a Winograd Conv sits between them without a reorder: each
// pixel's eight channels are one vector, and every transform runs on whole vectors.
//
// conv_winograd.cpp binds it as a Conv kernel; this file's functions are the arithmetic, one
// block of tiles at a time, on the calling thread. They need AVX2 and FMA (simd::avx2_loops()).
#pragma once

#include <cstdint>

#include "kernels/nn/epilogue.hpp"

namespace hogar::nn::winograd {

/// Channels per vector: the block of the activation layout.
inline constexpr std::int64_t block = 8;
/// Output channels per panel of the transformed weights (two vectors: the product's width).
inline constexpr std::int64_t panel = 16;

/// A 3x3, stride 1, dilation 1, single-group Conv with channels in multiples of 8; pads of at
/// most 2 on each side; and the tile it is computed by.
struct conv_shape {
  std::int64_t batch = 0, channels = 0, filters = 0;
  std::int64_t height = 0, width = 0, out_h = 0, out_w = 0;
  std::int64_t pad_top = 0, pad_left = 0;
  /// Outputs per tile side: 2 (F(2x2, 3x3)) or 4 (F(4x4, 3x3)).
  std::int64_t tile = 2;

  // Always inlined: winograd_avx2.cpp is compiled for AVX2, and an out-of-line copy made
  // there (a debug build emits one) could be the one the linker keeps for portable code.
  [[gnu::always_inline]] std::int64_t tiles_h() const noexcept { return (out_h + tile - 1) / tile; }
  [[gnu::always_inline]] std::int64_t tiles_w() const noexcept { return (out_w + tile - 1) / tile; }
  [[gnu::always_inline]] std::int64_t tiles() const noexcept { return batch * tiles_h() * tiles_w(); }
  /// Elements of a transformed tile: 16 or 36.
  [[gnu::always_inline]] std::int64_t elements() const noexcept { return (tile + 2) * (tile + 2); }
  /// Output channels rounded up to whole panels (the padding holds zero weights).
  [[gnu::always_inline]] std::int64_t filters_padded() const noexcept {
    return (filters + panel - 1) / panel * panel;
  }
  /// Floats of the transformed weights: elements() matrices of [C x filters_padded()].
  [[gnu::always_inline]] std::int64_t weights_size() const noexcept {
    return elements() * channels * filters_padded();
  }
};

/// U = GgG' of every filter and channel, from W [M][C][3][3], laid out for the products:
/// element by element, panels of 16 filters, in each panel C rows of 16 floats. Portable
/// code (in double): the plan runs it once.
void transform_weights(const conv_shape& s, const float* w, float* u);

/// Where one call's block of tiles keeps its transforms: V, elements() matrices of
/// [tiles x C], and M, elements() of [tiles x filters_padded()].
struct tile_scratch {
  float* v = nullptr;
  float* m = nullptr;
  /// The most tiles a block holds.
  std::int64_t capacity = 0;

  static std::int64_t floats(const conv_shape& s, std::int64_t capacity) noexcept {
    return s.elements() * capacity * (s.channels + s.filters_padded());
  }
  /// Carves the two from `floats(s, capacity)` floats at `base`.
  static tile_scratch at(float* base, const conv_shape& s, std::int64_t capacity) noexcept {
    tile_scratch t;
    t.v = base;
    t.m = t.v + s.elements() * capacity * s.channels;
    t.capacity = capacity;
    return t;
  }
};

/// What a block of tiles adds after the product: the bias (null: none), a residual in the
/// output's layout (null: none), then the fused activation.
struct tile_epilogue {
  const float* bias = nullptr;
  const float* residual = nullptr;
  epilogue post;
};

/// The Conv of tiles [first, first + count) (count <= scratch.capacity) for output channels
/// [panel_begin * 16, panel_end * 16) clipped to the filters: transforms the inputs of x
/// (N, C/8, H, W, 8), multiplies by u, and writes y (N, M/8, OH, OW, 8). Calls for
/// disjoint tiles or channels may run at once, each with its own scratch.
void convolve_tiles(const conv_shape& s, const float* x, const float* u, float* y,
                    const tile_epilogue& e, std::int64_t first, std::int64_t count,
                    std::int64_t panel_begin, std::int64_t panel_end, const tile_scratch& scratch);

} // namespace hogar::nn::winograd
