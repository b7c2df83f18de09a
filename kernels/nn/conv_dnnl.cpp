// conv_dnnl.cpp: Conv on oneDNN, the first choice of the fast CPU path for float32 Convs whose
// weights are constants (every Conv of an exported model).
//
// When the node is bound, oneDNN chooses the kernel for this shape and this CPU's ISA and the
// layouts it reads (format "any": channels last or channels blocked by 16, whichever its
// kernel wants), the weights are reordered into that layout once, and the bias and the fused
// activation become part of the primitive (an eltwise post-op applied while the output is in
// registers). hogar's tensors stay plain NCHW between ops, so a call reorders its input into
// the kernel's layout and its output back, in the workspace: one pass over memory each, about
// an eighth of the time of a ResNet-18 Conv at batch 1.
//
// oneDNN fixes a primitive's thread count when it is made, so each instance's intra-op thread
// count gets a variant of its own (variants_by_threads), all in the same layouts; variants
// and the plans for other batch sizes share the reordered weights.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kernels/nn/conv.hpp"
#include "kernels/nn/dnnl_support.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

/// Plain layouts by the tensor's rank: X and Y, W, grouped W.
tag plain_data(std::size_t rank) {
  return rank == 3 ? tag::ncw : rank == 4 ? tag::nchw : tag::ncdhw;
}
tag plain_weights(std::size_t rank, bool grouped) {
  if (grouped)
    return rank == 3 ? tag::goiw : rank == 4 ? tag::goihw : tag::goidhw;
  return rank == 3 ? tag::oiw : rank == 4 ? tag::oihw : tag::oidhw;
}

constexpr std::size_t align64(std::size_t n) { return (n + 63) / 64 * 64; }

/// The Conv as oneDNN sees it, without a layout: what every variant is made from.
struct conv_shape {
  dims src, dst, weights, strides, dilates, pad_l, pad_r;
  std::size_t rank = 4;
  bool grouped = false, has_bias = false, has_residual = false, bf16 = false;
  epilogue post;
  /// The layouts of X and Y the first variant chose; every later variant keeps them, so that
  /// the neighbours the layout pass matched the Conv with stay matched.
  std::optional<dnnl::memory::desc> src_fixed, dst_fixed;
};

/// The Conv made for one number of threads (oneDNN fixes a primitive's threads and its work
/// split when it is made): the primitive, the weights in the layout it reads, and where its
/// reordered input, output and scratchpad lie in the workspace.
struct conv_variant {
  dnnl::convolution_forward primitive;
  std::shared_ptr<dnnl::memory> weights;
  dnnl::memory::desc src_used, dst_used, scratchpad;
  std::optional<dnnl::reorder> src_reorder, dst_reorder;
  /// bf16: converts the float32 input that arrives in the kernel's layout (src_native_f32).
  dnnl::memory::desc src_native_f32;
  std::optional<dnnl::reorder> src_convert;
  std::size_t src_offset = 0, dst_offset = 0, scratchpad_offset = 0, workspace = 0;
  std::string implementation;
};

/// Makes the variant for the calling thread's OpenMP thread count (variants_by_threads sets
/// it); throws dnnl::error when oneDNN has no kernel.
std::unique_ptr<conv_variant> make_variant(const conv_shape& c, const tensor& weights) {
  const auto& engine = dnnl_cpu_engine();
  auto v = std::make_unique<conv_variant>();
  // bf16: the input and weights as bfloat16, the output float32 (and its sum and activation).
  const auto in_type = c.bf16 ? dt::bf16 : dt::f32;
  auto src_any = c.src_fixed.value_or(dnnl::memory::desc{c.src, in_type, tag::any});
  auto dst_any = c.dst_fixed.value_or(dnnl::memory::desc{c.dst, dt::f32, tag::any});
  dnnl::memory::desc w_any{c.weights, in_type, tag::any};
  dnnl::memory::desc bias{{c.dst[1]}, dt::f32, tag::x};
  auto desc = c.has_bias
                ? dnnl::convolution_forward::desc(
                    dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                    src_any, w_any, bias, dst_any, c.strides, c.dilates, c.pad_l, c.pad_r)
                : dnnl::convolution_forward::desc(
                    dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                    src_any, w_any, dst_any, c.strides, c.dilates, c.pad_l, c.pad_r);
  dnnl::primitive_attr attr;
  attr.set_post_ops(dnnl_post_ops(c.post, c.has_residual));
  // The scratchpad comes from the caller's workspace, so that one primitive can run on
  // several instances' threads at once.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::convolution_forward::primitive_desc pd{desc, attr, engine};
  v->primitive = dnnl::convolution_forward{pd};
  v->implementation = pd.impl_info_str();

  // The weights, reordered once into the layout the kernel reads (and shared).
  v->weights = reordered_weights(
    weights, dnnl::memory::desc{c.weights, dt::f32, plain_weights(c.rank, c.grouped)},
    pd.weights_desc());

  dnnl::memory::desc src_plain{c.src, dt::f32, plain_data(c.rank)};
  dnnl::memory::desc dst_plain{c.dst, dt::f32, plain_data(c.rank)};
  v->src_used = pd.src_desc();
  v->dst_used = pd.dst_desc();
  v->scratchpad = pd.scratchpad_desc();
  v->src_native_f32 = dnnl_desc(c.src, dnnl_layout_tag(v->src_used));
  if (v->src_native_f32 != v->src_used && v->src_native_f32 != src_plain)
    v->src_convert = dnnl::reorder{
      dnnl::reorder::primitive_desc{engine, v->src_native_f32, engine, v->src_used}};
  std::size_t at = 0;
  if (v->src_used != src_plain) {
    v->src_reorder = dnnl::reorder{dnnl::reorder::primitive_desc{engine, src_plain, engine, v->src_used}};
    v->src_offset = at;
    at += align64(v->src_used.get_size());
  }
  if (v->dst_used != dst_plain) {
    v->dst_reorder = dnnl::reorder{dnnl::reorder::primitive_desc{engine, v->dst_used, engine, dst_plain}};
    v->dst_offset = at;
    at += align64(v->dst_used.get_size());
  }
  v->scratchpad_offset = at;
  at += align64(v->scratchpad.get_size());
  v->workspace = at;
  return v;
}

/// One bound Conv: its variants by thread count, made when an instance with that many
/// intra-op threads first runs it (the tuner may change the count while serving).
struct dnnl_conv {
  conv_shape shape;
  tensor weights;
  std::size_t workspace_bytes = 0;
  /// Set by the layout pass: X arrives, and Y is left, in the variants' own layouts.
  bool input_native = false, output_native = false;
  /// With a fused residual: the layout it arrives in (set before the first run), and per
  /// thread count the reorder that copies it into the output, in the variants' layout, before
  /// the kernel adds to it (a reorder between equal layouts is a copy on the team's threads).
  dnnl::memory::desc residual_desc;
  struct residual_copy {
    dnnl::reorder reorder;
  };
  variants_by_threads<residual_copy> residual_copies;

  const dnnl::reorder& copy_of_residual(int threads) {
    return residual_copies
      .get(threads,
           [this](int) {
             const auto& engine = dnnl_cpu_engine();
             return std::make_unique<residual_copy>(residual_copy{dnnl::reorder{
               dnnl::reorder::primitive_desc{engine, residual_desc, engine, *shape.dst_fixed}}});
           })
      .reorder;
  }
  variants_by_threads<conv_variant> variants;
  /// oneDNN's name of the kernel it chose ("brg:avx512_core", "jit:avx2").
  std::string implementation;

  const conv_variant& variant(int threads) {
    return variants.get(threads, [this](int) {
      auto v = make_variant(shape, weights);
      shape.src_fixed = v->src_used;
      shape.dst_fixed = v->dst_used;
      if (implementation.empty())
        implementation = v->implementation;
      return v;
    });
  }
};

} // namespace

std::optional<cpu_kernel> bind_conv_dnnl(const conv_params& p, const tensor& weights) {
  const auto rank = p.spatial_rank() + 2;
  if (rank < 3 || rank > 5)
    return std::nullopt;
  auto state = std::make_shared<dnnl_conv>();
  auto& c = state->shape;
  c.rank = rank;
  c.src = {p.batch, p.in_channels};
  c.dst = {p.batch, p.out_channels};
  for (std::size_t i = 0; i < p.spatial_rank(); ++i) {
    c.src.push_back(p.in_spatial[i]);
    c.dst.push_back(p.out_spatial[i]);
    c.strides.push_back(p.strides[i]);
    c.dilates.push_back(p.dilations[i] - 1);  // oneDNN counts the gaps between taps
    c.pad_l.push_back(p.pads_begin[i]);
    c.pad_r.push_back(p.pads_end[i]);
  }
  c.grouped = p.group > 1;
  c.weights = c.grouped ? dims{p.group, p.out_channels / p.group, p.in_channels / p.group}
                        : dims{p.out_channels, p.in_channels};
  for (auto k : p.kernel)
    c.weights.push_back(k);
  c.has_bias = p.has_bias;
  c.has_residual = p.has_residual;
  c.bf16 = p.bf16;
  c.post = p.post;
  state->weights = weights;
  // The variant for every core is made now: it fixes the layouts (which the layout pass
  // matches neighbours by) and sizes the workspace, before any instance runs the kernel. A
  // pool of fewer threads gets its variant when it first runs it, and needs no more scratch.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  try {
    state->workspace_bytes = state->variant(cores).workspace;
    // oneDNN's reference convolution ("ref:any") is a plain loop, far slower than the im2col
    // path (for a forced layout on ResNet-18's first Conv, 1.7 s against 2 ms); 3-D Convs have
    // no im2col path, and oneDNN's loop is at least parallel.
    if (state->implementation.starts_with("ref") && rank <= 4)
      return std::nullopt;
    if (c.has_residual)
      state->residual_desc = dnnl_desc(c.dst, plain_layout);
  } catch (const dnnl::error&) {
    return std::nullopt;  // no oneDNN kernel for this shape: the im2col path serves
  }

  cpu_kernel k;
  k.name = "oneDNN " + state->implementation + (c.has_residual ? ", residual summed" : "");
  k.runs_on_openmp = true;
  k.layouts.reads = dnnl_layout_tag(*c.src_fixed);
  k.layouts.writes = dnnl_layout_tag(*c.dst_fixed);
  if (c.has_residual) {
    k.layouts.any_layout_input = static_cast<int>(residual_input);
    k.layouts.in_place_input = static_cast<int>(residual_input);
  }
  k.layouts.use = [state](std::span<const layout_tag> inputs, layout_tag output) {
    state->input_native = !inputs.empty() && inputs[0] != plain_layout;
    state->output_native = output != plain_layout;
    if (state->shape.has_residual && inputs.size() > residual_input)
      state->residual_desc = dnnl_desc(state->shape.dst, inputs[residual_input]);
    return true;
  };
  k.workspace_bytes = reserved_workspace(state->workspace_bytes);
  k.run = [state](const cpu_buffers& io) {
    const auto& engine = dnnl_cpu_engine();
    const int threads = io.pool ? static_cast<int>(io.pool->size()) : 1;
    const auto& v = state->variant(threads);
    std::vector<std::byte> own;
    auto* workspace = variant_workspace(io.workspace, reserved_workspace(state->workspace_bytes),
                                        v.workspace, own);
    omp_threads_scope scope{threads};
    dnnl::stream stream{engine};
    dnnl::memory src_user{dnnl::memory::desc{state->shape.src, dt::f32, plain_data(state->shape.rank)},
                          engine, const_cast<void*>(io.inputs[0])};
    dnnl::memory dst_user{dnnl::memory::desc{state->shape.dst, dt::f32, plain_data(state->shape.rank)},
                          engine, io.outputs[0]};
    // bf16: a float32 input in the kernel's layout is converted, one from plain reordered.
    const bool convert_src = state->input_native && v.src_convert;
    const bool reorder_src = v.src_reorder && !state->input_native;
    const bool reorder_dst = v.dst_reorder && !state->output_native;
    auto src = convert_src || reorder_src
                 ? dnnl::memory{v.src_used, engine, workspace + v.src_offset}
               : state->input_native ? dnnl::memory{v.src_used, engine, const_cast<void*>(io.inputs[0])}
                                     : src_user;
    auto dst = state->output_native ? dnnl::memory{v.dst_used, engine, io.outputs[0]}
               : reorder_dst       ? dnnl::memory{v.dst_used, engine, workspace + v.dst_offset}
                                   : dst_user;
    if (reorder_src)
      v.src_reorder->execute(stream, src_user, src);
    if (convert_src) {
      dnnl::memory native{v.src_native_f32, engine, const_cast<void*>(io.inputs[0])};
      v.src_convert->execute(stream, native, src);
    }
    // The sum post-op adds what dst holds: the residual, in dst's layout. Where the executor
    // placed the output over the residual (arena.hpp, in_place_outputs), it is there already.
    if (state->shape.has_residual && io.inputs[residual_input] != dst.get_data_handle()) {
      const void* residual = io.inputs[residual_input];
      dnnl::memory from{state->residual_desc, engine, const_cast<void*>(residual)};
      state->copy_of_residual(threads).execute(stream, from, dst);
    }
    std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, src},
      {DNNL_ARG_WEIGHTS, *v.weights},
      {DNNL_ARG_DST, dst},
      {DNNL_ARG_SCRATCHPAD, dnnl::memory{v.scratchpad, engine, workspace + v.scratchpad_offset}}};
    if (state->shape.has_bias)
      args.emplace(DNNL_ARG_BIAS, dnnl::memory{dnnl::memory::desc{{state->shape.dst[1]}, dt::f32, tag::x},
                                               engine, const_cast<void*>(io.inputs[2])});
    v.primitive.execute(stream, args);
    if (reorder_dst)
      v.dst_reorder->execute(stream, dst, dst_user);
    stream.wait();
  };
  return k;
}

} // namespace hogar::nn
