// conv_transpose_cpu.cpp: the fast CPU path of ConvTranspose for float32. Constant weights go
// to oneDNN's deconvolution first (conv_transpose_dnnl.cpp); what it refuses (crops it cannot
// express, weights that are request inputs, shapes it has only its reference loop for) runs
// here, for 1 to 3 spatial dimensions (a 1-D or 2-D one seen as 3-D with leading extents 1).
//
// Per image and group, the products of every input position with every kernel tap are one
// matrix product, col [M/g * K, D] = W_g^T [M/g * K, C/g] x X_g [C/g, D] (W_g is W's rows of
// the group, [C/g, M/g * K] row-major, so OpenBLAS reads it transposed in place), and col2im
// adds each column's K products into the output where its taps land. Tasks are (image, group,
// block of output channels): their outputs are disjoint, so col2im needs no locks. A task
// fills its channels with the bias, then runs over the input positions in column blocks, each
// product going to the task's scratch slot and from there into Y while it is in cache.
#include <algorithm>
#include <array>
#include <limits>
#include <vector>

#include "kernels/nn/blas.hpp"
#include "kernels/nn/conv_transpose.hpp"
#include "kernels/nn/scratch_slots.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

/// Bytes of one scratch slot: sgemm packs X_g's block again on every call, so blocks should
/// be wide; all slots together stay within slot_bytes_total.
constexpr std::int64_t slot_bytes_min = std::int64_t{1} << 20;
constexpr std::int64_t slot_bytes_max = std::int64_t{4} << 20;
constexpr std::int64_t slot_bytes_total = std::int64_t{64} << 20;

/// Whether `v` fits the int OpenBLAS takes for extents and leading dimensions.
bool fits_blasint(std::int64_t v) { return v <= std::numeric_limits<blasint>::max(); }

/// A ConvTranspose seen as 3-D: spatial dimensions right-aligned, missing ones of extent 1.
struct deconv3d {
  std::int64_t batch = 0, channels = 0, filters = 0, groups = 1;
  std::array<std::int64_t, 3> in{1, 1, 1}, out{1, 1, 1}, kernel{1, 1, 1}, stride{1, 1, 1},
    dilation{1, 1, 1}, crop{0, 0, 0};
  bool has_bias = false;
  /// Per last-dimension tap k2: input columns [lo, hi) whose product lands inside the output
  /// row through it.
  std::vector<std::int64_t> inside_lo, inside_hi;
  /// Input positions per column block, and the floats of a slot (64-byte multiple).
  std::int64_t block = 0, slot_floats = 0, slots = 1;

  std::int64_t cpg() const { return channels / groups; }
  std::int64_t mpg() const { return filters / groups; }
  std::int64_t in_size() const { return in[0] * in[1] * in[2]; }
  std::int64_t out_size() const { return out[0] * out[1] * out[2]; }
  std::int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

/// Adds col [rows * K, count] (rows `ld` apart; row (m, k) the products of tap k for output
/// channel m of the block, column j those of input position first + j) into y (the block's
/// first channel plane).
void col2im(const deconv3d& p, const float* col, std::int64_t ld, std::int64_t rows,
            std::int64_t first, std::int64_t count, float* y) {
  const auto out_plane = p.out_size();
  const auto in_row = p.in[2];
  for (std::int64_t m = 0; m < rows; ++m) {
    float* ym = y + m * out_plane;
    for (std::int64_t k0 = 0; k0 < p.kernel[0]; ++k0) {
      for (std::int64_t k1 = 0; k1 < p.kernel[1]; ++k1) {
        for (std::int64_t k2 = 0; k2 < p.kernel[2]; ++k2) {
          const float* c = col + (((m * p.kernel[0] + k0) * p.kernel[1] + k1) * p.kernel[2] + k2) * ld;
          const auto lo = p.inside_lo[static_cast<std::size_t>(k2)];
          const auto hi = p.inside_hi[static_cast<std::size_t>(k2)];
          const auto shift = k2 * p.dilation[2] - p.crop[2];
          // The block's input positions, one input row (last dimension) at a time.
          for (std::int64_t q = first; q < first + count;) {
            const auto i2 = q % in_row;
            const auto rest = q / in_row;
            const auto i1 = rest % p.in[1], i0 = rest / p.in[1];
            const auto run = std::min(in_row - i2, first + count - q);
            // c[from + i] holds the product of input column i of this row.
            const auto from = q - first - i2;
            q += run;
            const auto o0 = i0 * p.stride[0] + k0 * p.dilation[0] - p.crop[0];
            const auto o1 = i1 * p.stride[1] + k1 * p.dilation[1] - p.crop[1];
            if (o0 < 0 || o0 >= p.out[0] || o1 < 0 || o1 >= p.out[1])
              continue;
            // Output column of input column i: i * stride + shift, inside for i in [lo, hi).
            const auto row = (o0 * p.out[1] + o1) * p.out[2] + shift;
            const auto begin = std::max(lo, i2), end = std::min(hi, i2 + run);
            const auto s = p.stride[2];
            if (s == 1) {
              for (auto i = begin; i < end; ++i)
                ym[row + i] += c[from + i];
            } else {
              for (auto i = begin; i < end; ++i)
                ym[row + i * s] += c[from + i];
            }
          }
        }
      }
    }
  }
}

cpu_kernel make_gemm_kernel(const deconv3d& p) {
  cpu_kernel k;
  k.workspace_bytes = static_cast<std::size_t>(p.slots * p.slot_floats) * sizeof(float);
  k.run = [p](const cpu_buffers& io) {
    const auto* x = static_cast<const float*>(io.inputs[0]);
    const auto* w = static_cast<const float*>(io.inputs[1]);
    const auto* bias = p.has_bias ? static_cast<const float*>(io.inputs[2]) : nullptr;
    auto* y = static_cast<float*>(io.outputs[0]);
    auto* scratch = static_cast<float*>(io.workspace);
    const auto cpg = p.cpg(), mpg = p.mpg(), ks = p.kernel_size();
    const auto in_size = p.in_size(), out_size = p.out_size();
    // Images and groups too few for the threads (batch 1): output channels are cut into
    // blocks, each task packing X_g's columns again (W's rows of a block are its own).
    const auto threads = io.pool ? static_cast<std::int64_t>(io.pool->size()) : 1;
    const auto coarse = p.batch * p.groups;
    std::int64_t channel_blocks = 1;
    if (coarse < 4 * threads && coarse % threads != 0) {
      const auto even = (coarse + threads - 1) / threads * threads;
      channel_blocks = std::clamp<std::int64_t>((even + coarse - 1) / coarse, 1, mpg);
    }
    const auto per_block = (mpg + channel_blocks - 1) / channel_blocks;
    const auto tasks = coarse * channel_blocks;
    parallel_with_slots(io.pool, tasks, p.slots, [&](std::int64_t slot, std::int64_t t) {
      const auto cb = t % channel_blocks;
      const auto g = t / channel_blocks % p.groups;
      const auto n = t / (channel_blocks * p.groups);
      const auto m0 = cb * per_block;
      const auto rows = std::min(per_block, mpg - m0);
      if (rows <= 0)
        return;
      float* yb = y + (n * p.filters + g * mpg + m0) * out_size;
      for (std::int64_t r = 0; r < rows; ++r)
        std::fill_n(yb + r * out_size, out_size, bias ? bias[g * mpg + m0 + r] : 0.0f);
      const float* xg = x + (n * p.channels + g * cpg) * in_size;
      // W_g^T's rows (m0 .. m0 + rows) x K: columns of W_g [cpg, mpg * K], read transposed.
      const float* wg = w + g * cpg * mpg * ks + m0 * ks;
      float* col = scratch + slot * p.slot_floats;
      for (std::int64_t first = 0; first < in_size; first += p.block) {
        const auto count = std::min(p.block, in_size - first);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<blasint>(rows * ks),
                    static_cast<blasint>(count), static_cast<blasint>(cpg), 1.0f, wg,
                    static_cast<blasint>(mpg * ks), xg + first, static_cast<blasint>(in_size),
                    0.0f, col, static_cast<blasint>(count));
        col2im(p, col, count, rows, first, count, yb);
      }
    });
  };
  return k;
}

} // namespace

result<std::optional<cpu_kernel>> bind_conv_transpose_cpu(const node_view& view,
                                                          std::span<const value_type> outputs) {
  auto params = conv_transpose_params_of(view);
  if (!params)
    return params.error();
  const auto& p = *params;
  const auto rank = p.spatial_rank();
  if (outputs[0].type != dtype::float32 || element_count(outputs[0].shape) == 0 ||
      element_count(view.inputs[0].shape) == 0 || rank > 3)
    return std::optional<cpu_kernel>{};
  if (const auto* weights = view.constant(1))
    if (auto k = bind_conv_transpose_dnnl(p, *weights))
      return std::optional{std::move(*k)};
  single_threaded_blas();
  deconv3d c;
  c.batch = p.batch;
  c.channels = p.in_channels;
  c.filters = p.out_channels;
  c.groups = p.group;
  c.has_bias = p.has_bias;
  for (std::size_t d = 0; d < rank; ++d) {
    const auto to = 3 - rank + d;
    c.in[to] = p.in_spatial[d];
    c.out[to] = p.out_spatial[d];
    c.kernel[to] = p.kernel[d];
    c.stride[to] = p.strides[d];
    c.dilation[to] = p.dilations[d];
    c.crop[to] = p.crop_begin[d];
  }
  for (std::int64_t k2 = 0; k2 < c.kernel[2]; ++k2) {
    // Input columns i with 0 <= i * stride + k2 * dilation - crop < out.
    std::int64_t lo = c.in[2], hi = 0;
    for (std::int64_t i = 0; i < c.in[2]; ++i) {
      const auto o = i * c.stride[2] + k2 * c.dilation[2] - c.crop[2];
      if (o >= 0 && o < c.out[2]) {
        lo = std::min(lo, i);
        hi = i + 1;
      }
    }
    c.inside_lo.push_back(std::min(lo, hi));
    c.inside_hi.push_back(hi);
  }
  // Every int OpenBLAS takes must fit.
  const auto rows_max = c.mpg() * c.kernel_size();
  if (!fits_blasint(rows_max) || !fits_blasint(c.in_size()) || !fits_blasint(c.cpg()))
    return std::optional<cpu_kernel>{};
  c.slots = scratch_slot_count();
  const auto slot_bytes = std::clamp(slot_bytes_total / c.slots, slot_bytes_min, slot_bytes_max);
  const auto bytes_per_column = rows_max * static_cast<std::int64_t>(sizeof(float));
  c.block = std::clamp<std::int64_t>(slot_bytes / bytes_per_column, 16, c.in_size());
  c.slot_floats = (rows_max * c.block + 15) / 16 * 16;
  auto k = make_gemm_kernel(c);
  k.name = "OpenBLAS sgemm, col2im";
  return std::optional{std::move(k)};
}

} // namespace hogar::nn
