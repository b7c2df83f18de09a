// conv_winograd.cpp: binds a 3x3 stride-1 Conv to Winograd's F(4x4, 3x3) or F(2x2, 3x3)
// (winograd.hpp, tile_for picks) in place of oneDNN's direct Conv on a CPU whose oneDNN Convs
// keep channels blocked by 8: an AVX2 machine, where oneDNN 2.6 has no Winograd kernels (it
// has them for AVX-512 only). On ResNet-18 each such Conv runs 1.3-2.6x faster than oneDNN's
// (bench/results/models.md).
//
// The kernel reads and writes the blocked layout its oneDNN neighbours use, so the layout pass
// matches it with them as it would the oneDNN Conv it replaces; an input, output or residual
// the pass leaves in another layout is reordered by oneDNN in the workspace. It runs on
// OpenMP's team, as oneDNN's kernels do, so that its threads are the ones already spinning
// after the Conv before it.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "kernels/nn/constant_cache.hpp"
#include "kernels/nn/conv.hpp"
#include "kernels/nn/dnnl_support.hpp"
#include "kernels/nn/simd.hpp"
#include "kernels/nn/thread_pool.hpp"
#include "kernels/nn/winograd.hpp"

namespace hogar::nn {

namespace winograd {

namespace {

// G of F(2x2, 3x3) and of F(4x4, 3x3) (points 0, 1, -1, 2, -2).
constexpr double g2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
constexpr double g4[6][3] = {{1.0 / 4, 0, 0},
                             {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                             {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                             {1.0 / 24, 1.0 / 12, 1.0 / 6},
                             {1.0 / 24, -1.0 / 12, 1.0 / 6},
                             {0, 0, 1}};

/// U = GgG' for every filter and channel, Size = Tile + 2 (sizes fixed at compile time: the
/// plan transforms a million filter-channel pairs for ResNet-18).
template <int Size>
void transform_all(const conv_shape& s, const double (&G)[Size][3], const float* w, float* u) {
  const auto channels = s.channels, filters = s.filters_padded();
  // A panel's 16 filters at a time, lane by lane in the innermost loops (which the compiler
  // vectorises), each element's 16 values written together.
  for (std::int64_t p = 0; p * panel < s.filters; ++p)
    for (std::int64_t c = 0; c < channels; ++c) {
      double g[9][panel] = {};
      for (std::int64_t lane = 0; lane < panel && p * panel + lane < s.filters; ++lane)
        for (int tap = 0; tap < 9; ++tap)
          g[tap][lane] = w[((p * panel + lane) * channels + c) * 9 + tap];
      double gg[Size][3][panel] = {};  // Gg
      for (int i = 0; i < Size; ++i)
        for (int k = 0; k < 3; ++k)
          for (int j = 0; j < 3; ++j)
            for (int lane = 0; lane < panel; ++lane)
              gg[i][j][lane] += G[i][k] * g[k * 3 + j][lane];
      float* out = u + p * panel * channels + c * panel;
      for (int i = 0; i < Size; ++i)
        for (int j = 0; j < Size; ++j) {
          float* element = out + (i * Size + j) * filters * channels;
          for (int lane = 0; lane < panel; ++lane)  // (Gg)G'
            element[lane] = static_cast<float>(gg[i][0][lane] * G[j][0] +
                                               gg[i][1][lane] * G[j][1] + gg[i][2][lane] * G[j][2]);
        }
    }
}

} // namespace

void transform_weights(const conv_shape& s, const float* w, float* u) {
  std::fill(u, u + s.weights_size(), 0.0f);
  if (s.tile == 4)
    transform_all(s, g4, w, u);
  else
    transform_all(s, g2, w, u);
}

} // namespace winograd

namespace {

using dt = dnnl::memory::data_type;
constexpr std::size_t align64(std::size_t n) { return (n + 63) / 64 * 64; }

/// F(4x4, 3x3) where it saves a fifth of F(2x2)'s multiplications or more once the tiles'
/// overhang past the image is counted (a 7x7 output is 16 2x2 tiles but 4 4x4 ones, padded to
/// 8x8), where it still has rows enough for the products (24 tiles), and where its weights,
/// 36/9 of the filters' bytes, stay within 16 MiB (ResNet-18's last stage would need 38).
std::int64_t tile_for(winograd::conv_shape s) {
  s.tile = 2;
  const auto small_products = s.tiles() * s.elements();
  s.tile = 4;
  const auto large_products = s.tiles() * s.elements();
  const bool fewer = large_products * 5 <= small_products * 4;
  const bool small_weights = s.weights_size() * sizeof(float) <= std::size_t{16} << 20;
  return fewer && s.tiles() >= 24 && small_weights ? 4 : 2;
}

/// The transformed weights of `weights` for shape `s`, shared by every kernel that asks for
/// the same (the plans of one model for different batch sizes that pick the same tile).
std::shared_ptr<const std::vector<float>> transformed_weights(const tensor& weights,
                                                              const winograd::conv_shape& s) {
  return shared_derivation<const std::vector<float>>(
    weights, std::tuple{s.tile, s.channels, s.filters}, [&] {
      auto u = std::make_shared<std::vector<float>>(static_cast<std::size_t>(s.weights_size()));
      winograd::transform_weights(s, weights.values<float>().data(), u->data());
      return u;
    });
}

/// Tiles per block: the block's transforms (16 or 36 x tiles x (C + M) floats) stay within
/// about half of a core's L2 cache, and a block is at least 12 tiles (two rows of six).
std::int64_t block_capacity(const winograd::conv_shape& s) {
  constexpr std::int64_t budget = 256 * 1024 / sizeof(float);
  const auto per_tile = s.elements() * (s.channels + s.filters_padded());
  return std::max<std::int64_t>(12, budget / per_tile / 6 * 6);
}

/// How a call splits its work over `threads`: by blocks of tiles when there are tiles enough
/// for every thread, else (a small image: ResNet's last stage at batch 1 has 16 tiles) by
/// panels of output channels, each thread then transforming every tile's input itself.
struct work_split {
  bool by_panels = false;
  std::int64_t blocks = 1, tiles_per_block = 0;
};

work_split split_work(const winograd::conv_shape& s, std::int64_t capacity, int threads) {
  const auto tiles = s.tiles();
  work_split w;
  const auto panels = s.filters_padded() / winograd::panel;
  w.by_panels = threads > 1 && tiles < 12 * threads && panels >= threads;
  const auto parts = w.by_panels ? 1 : threads;
  w.blocks = std::max<std::int64_t>((tiles + capacity - 1) / capacity, parts);
  w.blocks = (w.blocks + parts - 1) / parts * parts;
  w.tiles_per_block = (tiles + w.blocks - 1) / w.blocks;
  return w;
}

struct winograd_conv {
  winograd::conv_shape shape;
  dnnl::memory::dims dims_in, dims_out;
  std::shared_ptr<const std::vector<float>> u;
  /// The filters u was made from, kept as constant_cache.hpp asks.
  tensor filters;
  bool has_bias = false, has_residual = false;
  epilogue post;
  std::int64_t capacity = 0;
  layout_tag blocked = plain_layout;
  /// Set by the layout pass: the layouts input 0, the output and the residual come in.
  layout_tag input_layout = plain_layout, output_layout = plain_layout,
             residual_layout = plain_layout;
  /// Workspace: the input and the output in the blocked layout when they come in another,
  /// then each thread's scratch. A residual in another layout is reordered into the blocked
  /// output, which each tile then reads and overwrites pixel by pixel.
  std::size_t input_offset = 0, output_offset = 0, scratch_offset = 0;
  std::size_t scratch_bytes = 0;

  /// oneDNN's reorders between the blocked layout and the layouts the pass chose for the
  /// input, the residual and the output, where they differ: made once, when `use` is told the
  /// layouts (or, without a layout pass, on the first run, for plain ones).
  std::optional<dnnl::reorder> input_reorder, residual_reorder, output_reorder;
  std::once_flag reorders_made;

  void make_reorders() {
    const auto& engine = dnnl_cpu_engine();
    auto make = [&](const dnnl::memory::dims& dims, layout_tag from, layout_tag to) {
      return from == to ? std::optional<dnnl::reorder>{}
                        : std::optional{dnnl::reorder{dnnl::reorder::primitive_desc{
                            engine, dnnl_desc(dims, from), engine, dnnl_desc(dims, to)}}};
    };
    input_reorder = make(dims_in, input_layout, blocked);
    residual_reorder = has_residual ? make(dims_out, residual_layout, blocked) : std::nullopt;
    output_reorder = make(dims_out, blocked, output_layout);
  }

  static void reorder(const dnnl::reorder& r, const dnnl::memory::dims& dims, layout_tag from,
                      const void* source, layout_tag to, void* target) {
    const auto& engine = dnnl_cpu_engine();
    dnnl::memory src{dnnl_desc(dims, from), engine, const_cast<void*>(source)};
    dnnl::memory dst{dnnl_desc(dims, to), engine, target};
    dnnl::stream stream{engine};
    r.execute(stream, src, dst);
    stream.wait();
  }

  void lay_out_workspace() {
    std::size_t at = 0;
    const auto in_bytes = align64(static_cast<std::size_t>(shape.batch * shape.channels *
                                                           shape.height * shape.width) * 4);
    const auto out_bytes = align64(static_cast<std::size_t>(shape.batch * shape.filters *
                                                            shape.out_h * shape.out_w) * 4);
    input_offset = at;
    at += in_bytes;
    output_offset = at;
    at += out_bytes;
    scratch_offset = at;
    scratch_bytes = align64(static_cast<std::size_t>(winograd::tile_scratch::floats(shape, capacity)) * 4);
  }

  std::size_t workspace_for(int threads) const {
    return scratch_offset + scratch_bytes * static_cast<std::size_t>(threads);
  }

  void run(const cpu_buffers& io) {
    std::call_once(reorders_made, [this] { make_reorders(); });
    const int threads = io.pool ? static_cast<int>(io.pool->size()) : 1;
    std::vector<std::byte> own;
    const auto needed = workspace_for(threads);
    auto* workspace = variant_workspace(io.workspace, reserved_workspace(workspace_for(cores())),
                                        needed, own);
    omp_threads_scope scope{threads};
    const float* x = static_cast<const float*>(io.inputs[0]);
    if (input_reorder) {
      reorder(*input_reorder, dims_in, input_layout, x, blocked, workspace + input_offset);
      x = reinterpret_cast<const float*>(workspace + input_offset);
    }
    float* y = static_cast<float*>(io.outputs[0]);
    float* y_blocked = output_reorder ? reinterpret_cast<float*>(workspace + output_offset) : y;
    winograd::tile_epilogue e;
    e.bias = has_bias ? static_cast<const float*>(io.inputs[2]) : nullptr;
    e.post = post;
    if (has_residual) {
      e.residual = static_cast<const float*>(io.inputs[residual_input]);
      if (residual_reorder) {
        reorder(*residual_reorder, dims_out, residual_layout, e.residual, blocked, y_blocked);
        e.residual = y_blocked;
      }
    }
    const auto w = split_work(shape, capacity, threads);
    const auto panels = shape.filters_padded() / winograd::panel;
    const auto tiles = shape.tiles();
#pragma omp parallel num_threads(threads)
    {
      const int id = omp_get_thread_num(), team = omp_get_num_threads();
      const auto scratch = winograd::tile_scratch::at(
        reinterpret_cast<float*>(workspace + scratch_offset + scratch_bytes * id), shape, capacity);
      // This thread's share: every block for a share of the panels, or a share of the blocks
      // for every panel.
      std::int64_t first_block = 0, last_block = w.blocks, panel_begin = 0, panel_end = panels;
      if (w.by_panels) {
        panel_begin = panels * id / team;
        panel_end = panels * (id + 1) / team;
      } else {
        first_block = w.blocks * id / team;
        last_block = w.blocks * (id + 1) / team;
      }
      for (auto b = first_block; b < last_block && panel_begin < panel_end; ++b) {
        const auto first = b * w.tiles_per_block;
        const auto count = std::min(w.tiles_per_block, tiles - first);
        if (count > 0)
          winograd::convolve_tiles(shape, x, u->data(), y_blocked, e, first, count, panel_begin,
                                   panel_end, scratch);
      }
    }
    if (output_reorder)
      reorder(*output_reorder, dims_out, blocked, y_blocked, output_layout, y);
  }

  static int cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }
};

} // namespace

bool conv_winograd_enabled() {
  static const bool enabled = [] {
    const char* value = std::getenv("HOGAR_WINOGRAD");
    return !(value && std::string_view{value} == "0");
  }();
  return enabled && simd::avx2_loops();
}

bool conv_winograd_runs_here() {
  const auto isa = dnnl::get_effective_cpu_isa();
  return conv_winograd_enabled() && (isa == dnnl::cpu_isa::avx2 || isa == dnnl::cpu_isa::avx2_vnni);
}

namespace {

/// The Convs winograd.hpp computes.
bool winograd_fits(const conv_params& p) {
  if (p.spatial_rank() != 2 || p.group != 1 || p.bf16)
    return false;
  for (std::size_t i = 0; i < 2; ++i)
    if (p.kernel[i] != 3 || p.strides[i] != 1 || p.dilations[i] != 1 || p.pads_begin[i] > 2 ||
        p.pads_end[i] > 2)
      return false;
  return p.in_channels % winograd::block == 0 && p.out_channels % winograd::block == 0;
}

} // namespace

std::optional<cpu_kernel> bind_conv_winograd(const conv_params& p, const tensor& weights,
                                             const cpu_kernel& direct) {
  const auto blocked = static_cast<layout_tag>(dnnl::memory::format_tag::aBcd8b);
  if (!conv_winograd_enabled() || !winograd_fits(p) || direct.layouts.reads != blocked ||
      direct.layouts.writes != blocked)
    return std::nullopt;
  auto state = std::make_shared<winograd_conv>();
  auto& s = state->shape;
  s.batch = p.batch;
  s.channels = p.in_channels;
  s.filters = p.out_channels;
  s.height = p.in_spatial[0];
  s.width = p.in_spatial[1];
  s.out_h = p.out_spatial[0];
  s.out_w = p.out_spatial[1];
  s.pad_top = p.pads_begin[0];
  s.pad_left = p.pads_begin[1];
  state->dims_in = {p.batch, p.in_channels, s.height, s.width};
  state->dims_out = {p.batch, p.out_channels, s.out_h, s.out_w};
  s.tile = tile_for(s);
  state->u = transformed_weights(weights, s);
  state->filters = weights;
  state->has_bias = p.has_bias;
  state->has_residual = p.has_residual;
  state->post = p.post;
  state->capacity = block_capacity(s);
  state->blocked = blocked;
  state->lay_out_workspace();

  cpu_kernel k;
  k.name = fmt::format("hogar Winograd F({0}x{0},3x3), AVX2{1}", s.tile,
                       p.has_residual ? ", residual summed" : "");
  k.runs_on_openmp = true;
  k.layouts.reads = blocked;
  k.layouts.writes = blocked;
  if (p.has_residual) {
    k.layouts.any_layout_input = static_cast<int>(residual_input);
    k.layouts.in_place_input = static_cast<int>(residual_input);
  }
  k.layouts.use = [state](std::span<const layout_tag> inputs, layout_tag output) {
    state->input_layout = inputs.empty() ? plain_layout : inputs[0];
    state->output_layout = output;
    if (state->has_residual && inputs.size() > residual_input)
      state->residual_layout = inputs[residual_input];
    std::call_once(state->reorders_made, [&] { state->make_reorders(); });
    return true;
  };
  // Without a layout pass (a plan that never calls use), everything comes plain.
  k.workspace_bytes = reserved_workspace(state->workspace_for(winograd_conv::cores()));
  k.run = [state](const cpu_buffers& io) { state->run(io); };
  return k;
}

} // namespace hogar::nn
