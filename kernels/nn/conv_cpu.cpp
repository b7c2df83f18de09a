// conv_cpu.cpp: the fast CPU path of Conv for float32 with one or two spatial dimensions
// (a 1-D Conv runs as a 2-D one of height 1). Per image and group, Y_g [M/g, OH*OW] =
// W_g [M/g, C/g*KH*KW] x col [C/g*KH*KW, OH*OW], where col is the im2col unfolding of the
// image; a 1x1 kernel with stride 1 and no padding reads X itself as col.
//
// Work is cut into tasks of (image, group, block of output columns, block of filters). A task
// unfolds its column block into its own scratch slot, calls sgemm for it, and adds the bias
// and the epilogue to the block it just wrote, while that is still in cache. sgemm packs the
// weights again on every call, so blocks are made wide: a slot holds up to 4 MiB, and when an
// image's columns fill less than half a block (the 14x14 and 7x7 layers) blocks run across
// the images of the batch, the product going to the slot first and then, with the bias and
// the epilogue, to each image's place. When images, groups and column blocks give fewer tasks
// than there are threads (batch 1), blocks are cut into narrower column blocks, or for the
// deep layers (more filters than columns) into filter blocks, each unfolding its columns
// again (cheap next to the product: 1 / (2 * filters per block) of its operations).
//
// A depthwise Conv (one input channel per group, MobileNet's) is a product with a 1-row matrix
// per group, too small for sgemm: it runs directly, one output plane per task.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/nn/blas.hpp"
#include "kernels/nn/conv.hpp"
#include "kernels/nn/scratch_slots.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// Scratch of one slot for a column block. sgemm packs the whole weight matrix again on every
/// call, so a block should hold many columns (for the deep layers, with 4608 rows per column,
/// up to 4 MiB); all slots together stay within slot_bytes_total.
constexpr std::int64_t slot_bytes_min = std::int64_t{1} << 20;
constexpr std::int64_t slot_bytes_max = std::int64_t{4} << 20;
constexpr std::int64_t slot_bytes_total = std::int64_t{64} << 20;
/// Fewest filters a task computes when filters are split.
constexpr std::int64_t filter_block_min = 32;

/// A 2-D Conv resolved for the fast path (1-D seen as height 1).
struct conv2d {
  std::int64_t batch, channels, height, width;
  std::int64_t filters, groups;
  std::int64_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
  std::int64_t pad_top, pad_left;
  std::int64_t out_h, out_w;
  bool has_bias;
  /// Input 3 is a residual of the output's shape, added before the activation.
  bool has_residual;
  epilogue post;
  /// Per kernel column kw: output columns [inside_begin, inside_end) read inside the input
  /// row through that tap (the others read the left or right padding).
  std::vector<std::int64_t> inside_begin, inside_end;
  /// Output columns [inner_begin, inner_end) read inside the row through every tap.
  std::int64_t inner_begin = 0, inner_end = 0;

  std::int64_t channels_per_group() const { return channels / groups; }
  std::int64_t filters_per_group() const { return filters / groups; }
  /// Rows of col: one per (channel of the group, kernel row, kernel column).
  std::int64_t col_rows() const { return channels_per_group() * kernel_h * kernel_w; }
  std::int64_t out_size() const { return out_h * out_w; }
  /// 1x1, stride 1, no padding: col is X itself.
  bool direct() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 &&
           pad_left == 0 && out_h == height && out_w == width;
  }
};

/// Copies and zero fills of the short runs im2col moves (often 1 to 14 floats, where a call
/// to memcpy or memset costs more than the copy itself).
inline void copy_run(float* dst, const float* src, std::int64_t n) {
  if (n > 32) {
    std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
    return;
  }
  for (std::int64_t i = 0; i < n; ++i)
    dst[i] = src[i];
}

inline void zero_run(float* dst, std::int64_t n) {
  if (n > 32) {
    std::memset(dst, 0, static_cast<std::size_t>(n) * sizeof(float));
    return;
  }
  for (std::int64_t i = 0; i < n; ++i)
    dst[i] = 0.0f;
}

/// Unfolds output columns [first, first + count) of one image's group (x: its C/g channels)
/// into col [col_rows, count] (rows `ld` apart), row (c, kh, kw) holding the input element
/// each output position reads through that kernel tap (0 in the padding).
void im2col(const conv2d& p, const float* x, std::int64_t first, std::int64_t count,
            float* col, std::int64_t ld) {
  const auto plane = p.height * p.width;
  const auto oh_first = first / p.out_w, ow_first = first % p.out_w;
  for (std::int64_t c = 0; c < p.channels_per_group(); ++c) {
    const float* xc = x + c * plane;
    for (std::int64_t kh = 0; kh < p.kernel_h; ++kh) {
      for (std::int64_t kw = 0; kw < p.kernel_w; ++kw) {
        float* dst = col + ((c * p.kernel_h + kh) * p.kernel_w + kw) * ld;
        const auto inside_begin = p.inside_begin[static_cast<std::size_t>(kw)];
        const auto inside_end = p.inside_end[static_cast<std::size_t>(kw)];
        std::int64_t oh = oh_first, ow = ow_first;
        for (std::int64_t j = 0; j < count; ++oh, ow = 0) {
          // One output row's worth of columns: [ow, ow + run).
          const auto run = std::min(p.out_w - ow, count - j);
          float* d = dst + j;
          j += run;
          const auto ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
          if (ih < 0 || ih >= p.height) {
            zero_run(d, run);
            continue;
          }
          // Output columns ow + k read inside the row for k in [lo, hi).
          const auto lo = std::clamp<std::int64_t>(inside_begin - ow, 0, run);
          const auto hi = std::clamp<std::int64_t>(inside_end - ow, lo, run);
          const float* src = xc + ih * p.width + ow * p.stride_w - p.pad_left + kw * p.dilation_w;
          zero_run(d, lo);
          if (p.stride_w == 1) {
            copy_run(d + lo, src + lo, hi - lo);
          } else {
            const auto s = p.stride_w;
            for (auto k = lo; k < hi; ++k)
              d[k] = src[k * s];
          }
          zero_run(d + hi, run - hi);
        }
      }
    }
  }
}

/// How the columns of a Conv are cut into blocks, one sgemm each.
struct column_blocking {
  /// Blocks run over the columns of all images of a group (small images: one weight packing
  /// serves several images) rather than over one image's.
  bool spanning = false;
  /// Columns blocks are cut from: out_size, or batch * out_size when spanning.
  std::int64_t columns = 0;
  std::int64_t blocks = 1;
  /// Columns per block (the last may have fewer).
  std::int64_t block = 0;
  std::int64_t slots = 1;
  /// Floats per slot: the unfolded columns, then (spanning) the product before it is spread
  /// over the images.
  std::int64_t col_floats = 0;
  std::int64_t slot_stride = 0;
};

column_blocking block_columns(const conv2d& p) {
  column_blocking b;
  b.slots = scratch_slot_count();
  const auto slot_bytes = std::clamp(slot_bytes_total / b.slots, slot_bytes_min, slot_bytes_max);
  const auto bytes_per_column =
    (p.col_rows() + p.filters_per_group()) * static_cast<std::int64_t>(sizeof(float));
  const auto block_max = std::max<std::int64_t>(16, slot_bytes / bytes_per_column);
  const bool direct = p.direct();
  // Spanning needs X unfolded (X itself is not one matrix across images) and pays when a
  // block holds two images or more.
  b.spanning = !direct && p.batch > 1 && 2 * p.out_size() <= block_max;
  b.columns = b.spanning ? p.batch * p.out_size() : p.out_size();
  // As even as possible.
  b.blocks = std::max<std::int64_t>(1, (b.columns + block_max - 1) / block_max);
  b.block = (b.columns + b.blocks - 1) / b.blocks;
  b.col_floats = direct ? 0 : p.col_rows() * b.block;
  const auto product_floats = b.spanning ? p.filters_per_group() * b.block : 0;
  // Slots start at 64-byte boundaries.
  b.slot_stride = (b.col_floats + product_floats + 15) / 16 * 16;
  return b;
}

cpu_kernel make_kernel(const conv2d& p) {
  const auto b = block_columns(p);
  cpu_kernel k;
  k.workspace_bytes = static_cast<std::size_t>(b.slots * b.slot_stride) * sizeof(float);
  k.run = [p, b](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    const auto* w = static_cast<const float*>(io.inputs[1]);
    const auto* bias = p.has_bias ? static_cast<const float*>(io.inputs[2]) : nullptr;
    const auto* residual =
      p.has_residual ? static_cast<const float*>(io.inputs[residual_input]) : nullptr;
    auto* y = static_cast<float*>(io.outputs[0]);
    auto* scratch = static_cast<float*>(io.workspace);
    const auto fpg = p.filters_per_group();
    const auto cpg = p.channels_per_group();
    const auto plane = p.height * p.width;
    const auto out_size = p.out_size();
    const auto col_rows = p.col_rows();
    const auto images = b.spanning ? 1 : p.batch;
    // When images, groups and column blocks are too few to share evenly among the threads
    // (batch 1), blocks are cut further, into narrower column blocks or into filter blocks:
    // each extra task packs again what it shares with its siblings, the weights or the
    // columns, so the smaller is shared.
    const auto threads = io.pool ? static_cast<std::int64_t>(io.pool->size()) : 1;
    const auto coarse = images * p.groups * b.blocks;
    std::int64_t column_split = 1, filter_blocks = 1;
    if (coarse % threads != 0 && coarse < 8 * threads) {
      const auto even = (coarse + threads - 1) / threads * threads;
      const auto split = (even + coarse - 1) / coarse;
      if (fpg <= b.block)
        column_split = std::clamp<std::int64_t>(split, 1, std::max<std::int64_t>(1, b.block / 16));
      else
        filter_blocks = std::clamp<std::int64_t>(split, 1,
                                                 std::max<std::int64_t>(1, fpg / filter_block_min));
    }
    const auto block = (b.block + column_split - 1) / column_split;
    const auto blocks = (b.columns + block - 1) / block;
    const auto filters_per_block = (fpg + filter_blocks - 1) / filter_blocks;
    const auto tasks = images * p.groups * blocks * filter_blocks;
    parallel_with_slots(io.pool, tasks, b.slots, [&](std::int64_t slot, std::int64_t t) {
      const auto fb = t % filter_blocks;
      const auto cb = t / filter_blocks % blocks;
      const auto g = t / (filter_blocks * blocks) % p.groups;
      const auto n = t / (filter_blocks * blocks * p.groups);
      const auto first = cb * block;
      const auto count = std::min(block, b.columns - first);
      const auto m0 = g * fpg + fb * filters_per_block;
      const auto rows = std::min(filters_per_block, (g + 1) * fpg - m0);
      if (count <= 0 || rows <= 0)
        return;
      const float* weights = w + m0 * col_rows;
      auto product = [&](const float* cols, std::int64_t ldb, float* out, std::int64_t ldc) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<blasint>(rows),
                    static_cast<blasint>(count), static_cast<blasint>(col_rows), 1.0f, weights,
                    static_cast<blasint>(col_rows), cols, static_cast<blasint>(ldb), 0.0f, out,
                    static_cast<blasint>(ldc));
      };
      const bool finish = bias || residual || p.post.kind != activation::none;
      float* col = scratch + slot * b.slot_stride;
      if (!b.spanning) {
        const float* xg = x + (n * p.channels + g * cpg) * plane;
        const auto at = (n * p.filters + m0) * out_size + first;
        float* yb = y + at;
        const float* rb = residual ? residual + at : nullptr;
        if (p.direct()) {
          product(xg + first, plane, yb, out_size);
        } else {
          im2col(p, xg, first, count, col, count);
          product(col, count, yb, out_size);
        }
        if (finish)
          for (std::int64_t r = 0; r < rows; ++r)
            simd::bias_epilogue(yb + r * out_size, yb + r * out_size, count,
                                bias ? bias[m0 + r] : 0.0f, p.post,
                                rb ? rb + r * out_size : nullptr);
        return;
      }
      // Columns [first, first + count) of all images: each image's piece is unfolded next to
      // the others, and the product's rows are spread back over the images, the bias and the
      // epilogue applied on the way.
      auto for_each_piece = [&](auto&& f) {
        for (auto q = first; q < first + count;) {
          const auto image = q / out_size, at = q % out_size;
          const auto length = std::min(out_size - at, first + count - q);
          f(image, at, length, q - first);
          q += length;
        }
      };
      for_each_piece([&](std::int64_t image, std::int64_t at, std::int64_t length,
                         std::int64_t offset) {
        im2col(p, x + (image * p.channels + g * cpg) * plane, at, length, col + offset, count);
      });
      float* out = col + b.col_floats;
      product(col, count, out, count);
      for_each_piece([&](std::int64_t image, std::int64_t at, std::int64_t length,
                         std::int64_t offset) {
        for (std::int64_t r = 0; r < rows; ++r) {
          const auto to = (image * p.filters + m0 + r) * out_size + at;
          simd::bias_epilogue(out + r * count + offset, y + to, length,
                              bias ? bias[m0 + r] : 0.0f, p.post,
                              residual ? residual + to : nullptr);
        }
      });
    });
  };
  return k;
}

/// Four inputs `stride` apart as one vector.
inline simd::float4 load_strided(const float* p, std::int64_t stride) {
  return simd::float4{p[0], p[stride], p[2 * stride], p[3 * stride]};
}

/// One output plane of a depthwise Conv (one input channel per group). Each output sums its
/// KH x KW taps in a register; the columns whose taps all fall inside the input row (all but a
/// few at the edges) run without bounds checks as vectors of four outputs, several vectors at
/// once so that their sums do not wait on each other. A product with a 1 x (KH*KW) matrix is
/// no work for sgemm.
void depthwise_plane(const conv2d& p, const float* x, const float* w, float bias,
                     const float* residual, float* y) {
  using simd::float4;
  const auto sw = p.stride_w, dw = p.dilation_w, kw_count = p.kernel_w;
  const auto row_step = p.dilation_h * p.width;
  for (std::int64_t oh = 0; oh < p.out_h; ++oh) {
    // Kernel rows inside the input: [kh0, kh1).
    std::int64_t kh0 = p.kernel_h, kh1 = 0;
    for (std::int64_t kh = 0; kh < p.kernel_h; ++kh) {
      const auto ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
      if (ih >= 0 && ih < p.height) {
        kh0 = std::min(kh0, kh);
        kh1 = kh + 1;
      }
    }
    // Kernel row kh0's input row, shifted so that output column ow, tap kw reads
    // rows[ow * sw + kw * dw]; kernel row kh is (kh - kh0) * row_step further.
    const float* rows =
      x + (oh * p.stride_h - p.pad_top + kh0 * p.dilation_h) * p.width - p.pad_left;
    const float* weights = w + kh0 * kw_count;
    auto tap_sum = [&](std::int64_t ow, bool check) {
      float sum = 0.0f;
      for (auto kh = kh0; kh < kh1; ++kh) {
        const float* r = rows + (kh - kh0) * row_step + ow * sw;
        for (std::int64_t kw = 0; kw < kw_count; ++kw) {
          const auto iw = ow * sw - p.pad_left + kw * dw;
          if (!check || (iw >= 0 && iw < p.width))
            sum += weights[(kh - kh0) * kw_count + kw] * r[kw * dw];
        }
      }
      return sum;
    };
    float* out = y + oh * p.out_w;
    const auto begin = std::min(p.inner_begin, p.out_w);
    const auto end = std::max(begin, p.inner_end);
    for (std::int64_t ow = 0; ow < begin; ++ow)
      out[ow] = tap_sum(ow, true);
    // Several vectors of outputs per step, each summing in a register of its own: one sum's
    // additions wait on each other, independent sums keep the adder busy.
    std::int64_t ow = begin;
    constexpr auto lanes = simd::width;
    if (sw == 1) {
      for (; ow + 4 * lanes <= end; ow += 4 * lanes) {
        float4 a = simd::splat(0.0f), b = a, c = a, d = a;
        for (auto kh = kh0; kh < kh1; ++kh) {
          const float* r = rows + (kh - kh0) * row_step + ow;
          const float* wr = weights + (kh - kh0) * kw_count;
          for (std::int64_t kw = 0; kw < kw_count; ++kw) {
            const float4 weight = simd::splat(wr[kw]);
            const float* q = r + kw * dw;
            a += weight * simd::load(q);
            b += weight * simd::load(q + lanes);
            c += weight * simd::load(q + 2 * lanes);
            d += weight * simd::load(q + 3 * lanes);
          }
        }
        simd::store(out + ow, a);
        simd::store(out + ow + lanes, b);
        simd::store(out + ow + 2 * lanes, c);
        simd::store(out + ow + 3 * lanes, d);
      }
    } else {
      for (; ow + 2 * lanes <= end; ow += 2 * lanes) {
        float4 a = simd::splat(0.0f), b = a;
        for (auto kh = kh0; kh < kh1; ++kh) {
          const float* r = rows + (kh - kh0) * row_step + ow * sw;
          const float* wr = weights + (kh - kh0) * kw_count;
          for (std::int64_t kw = 0; kw < kw_count; ++kw) {
            const float4 weight = simd::splat(wr[kw]);
            const float* q = r + kw * dw;
            a += weight * load_strided(q, sw);
            b += weight * load_strided(q + lanes * sw, sw);
          }
        }
        simd::store(out + ow, a);
        simd::store(out + ow + lanes, b);
      }
    }
    for (; ow < end; ++ow)
      out[ow] = tap_sum(ow, false);
    for (ow = end; ow < p.out_w; ++ow)
      out[ow] = tap_sum(ow, true);
    simd::bias_epilogue(out, out, p.out_w, bias, p.post,
                        residual ? residual + oh * p.out_w : nullptr);
  }
}

/// Depthwise Conv: every (image, filter) plane on its own, split over the threads.
cpu_kernel make_depthwise_kernel(const conv2d& p) {
  cpu_kernel k;
  k.run = [p](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    const auto* w = static_cast<const float*>(io.inputs[1]);
    const auto* bias = p.has_bias ? static_cast<const float*>(io.inputs[2]) : nullptr;
    const auto* residual =
      p.has_residual ? static_cast<const float*>(io.inputs[residual_input]) : nullptr;
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto in_plane = p.height * p.width;
    const auto out_plane = p.out_size();
    const auto kernel_size = p.kernel_h * p.kernel_w;
    const auto fpg = p.filters_per_group();
    parallel_for(io.pool, p.batch * p.filters, 1, [&](std::int64_t begin, std::int64_t end) {
      for (auto plane = begin; plane < end; ++plane) {
        const auto n = plane / p.filters, m = plane % p.filters;
        // Filter m reads input channel m / filters-per-group (its group's one channel).
        depthwise_plane(p, x + (n * p.channels + m / fpg) * in_plane, w + m * kernel_size,
                        bias ? bias[m] : 0.0f, residual ? residual + plane * out_plane : nullptr,
                        y + plane * out_plane);
      }
    });
  };
  return k;
}

} // namespace

result<std::optional<cpu_kernel>> bind_conv_cpu(const node_view& view,
                                                std::span<const value_type> outputs) {
  auto params = conv_params_of(view);
  if (!params)
    return params.error();
  const auto& p = *params;
  const auto rank = p.spatial_rank();
  if (outputs[0].type != dtype::float32 || element_count(outputs[0].shape) == 0 ||
      element_count(view.inputs[1].shape) == 0)
    return std::optional<cpu_kernel>{};
  if (const auto* weights = view.constant(1); weights && view.inputs[0].type == dtype::float32)
    if (auto k = bind_conv_dnnl(p, *weights)) {
      if (auto winograd = bind_conv_winograd(p, *weights, *k))
        return std::optional{std::move(*winograd)};
      return std::optional{std::move(*k)};
    }
  if (rank > 2)
    return std::optional<cpu_kernel>{};
  single_threaded_blas();
  // A 1-D Conv is a 2-D one whose height, kernel height, stride and dilation are 1.
  const auto last = rank - 1;
  conv2d c{};
  c.batch = p.batch;
  c.channels = p.in_channels;
  c.height = rank == 2 ? p.in_spatial[0] : 1;
  c.width = p.in_spatial[last];
  c.filters = p.out_channels;
  c.groups = p.group;
  c.kernel_h = rank == 2 ? p.kernel[0] : 1;
  c.kernel_w = p.kernel[last];
  c.stride_h = rank == 2 ? p.strides[0] : 1;
  c.stride_w = p.strides[last];
  c.dilation_h = rank == 2 ? p.dilations[0] : 1;
  c.dilation_w = p.dilations[last];
  c.pad_top = rank == 2 ? p.pads_begin[0] : 0;
  c.pad_left = p.pads_begin[last];
  c.out_h = rank == 2 ? p.out_spatial[0] : 1;
  c.out_w = p.out_spatial[last];
  c.has_bias = p.has_bias;
  c.has_residual = p.has_residual;
  c.post = p.post;
  for (std::int64_t kw = 0; kw < c.kernel_w; ++kw) {
    std::int64_t begin = c.out_w, end = 0;
    for (std::int64_t ow = 0; ow < c.out_w; ++ow) {
      const auto iw = ow * c.stride_w - c.pad_left + kw * c.dilation_w;
      if (iw >= 0 && iw < c.width) {
        begin = std::min(begin, ow);
        end = ow + 1;
      }
    }
    c.inside_begin.push_back(std::min(begin, end));
    c.inside_end.push_back(end);
  }
  c.inner_begin = *std::max_element(c.inside_begin.begin(), c.inside_begin.end());
  c.inner_end = *std::min_element(c.inside_end.begin(), c.inside_end.end());
  if (c.channels_per_group() == 1 && c.groups > 1) {
    auto k = make_depthwise_kernel(c);
    k.name = "hogar depthwise";
    return std::optional{std::move(k)};
  }
  auto k = make_kernel(c);
  k.name = c.kernel_h * c.kernel_w == 1 && c.stride_h * c.stride_w == 1 ? "OpenBLAS sgemm"
                                                                        : "im2col, OpenBLAS sgemm";
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
