// conv_transpose_dnnl.cpp: ConvTranspose on oneDNN's deconvolution, the first choice of the
// fast CPU path for float32 ConvTransposes whose weights are constants.
//
// As for Conv (conv_dnnl.cpp): when the node is bound, oneDNN chooses its kernel for this
// shape and ISA and the layouts it reads (format "any"), the weights are reordered into that
// layout once (shared between plans and variants), and the bias is part of the primitive.
// Values stay plain NCHW between ops here: a call reorders its input into the kernel's layout
// and its output back, in the workspace. ONNX's W [C, M/group, K...] is oneDNN's "iohw"
// (grouped: "giohw"), described by strides, so the one reorder also transposes it.
//
// oneDNN's deconvolution takes ONNX's crops as its paddings: crop_begin as padding_l (which
// must not be negative) and crop_end as padding_r (which may be down to 1 - stride: the
// output_padding PyTorch allows); others are refused here and run on the sgemm path.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kernels/nn/conv_transpose.hpp"
#include "kernels/nn/dnnl_support.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

constexpr std::size_t align64(std::size_t n) { return (n + 63) / 64 * 64; }

/// The deconvolution as oneDNN sees it, what every variant is made from.
struct deconv_shape {
  dims src, dst, weights, strides, dilates, pad_l, pad_r;
  /// W's bytes as ONNX lays them out, in oneDNN's dims (grouped: g, M/g, C/g, K...).
  dnnl::memory::desc weights_plain;
  bool has_bias = false;
  /// The layouts of X and Y the first variant chose; later variants keep them.
  std::optional<dnnl::memory::desc> src_fixed, dst_fixed;
};

/// The deconvolution made for one thread count: the primitive, its weights in its layout,
/// and where its reordered input, output and scratchpad lie in the workspace.
struct deconv_variant {
  dnnl::deconvolution_forward primitive;
  std::shared_ptr<dnnl::memory> weights;
  dnnl::memory::desc src_used, dst_used, scratchpad;
  std::optional<dnnl::reorder> src_reorder, dst_reorder;
  std::size_t src_offset = 0, dst_offset = 0, scratchpad_offset = 0, workspace = 0;
  std::string implementation;
};

dnnl::memory::desc plain_desc(const dims& d) {
  return dnnl_desc(d, plain_layout);
}

/// Makes the variant for the calling thread's OpenMP thread count; throws dnnl::error when
/// oneDNN has no kernel.
std::unique_ptr<deconv_variant> make_variant(const deconv_shape& c, const tensor& weights) {
  const auto& engine = dnnl_cpu_engine();
  auto v = std::make_unique<deconv_variant>();
  auto src_any = c.src_fixed.value_or(dnnl::memory::desc{c.src, dt::f32, tag::any});
  auto dst_any = c.dst_fixed.value_or(dnnl::memory::desc{c.dst, dt::f32, tag::any});
  dnnl::memory::desc w_any{c.weights, dt::f32, tag::any};
  dnnl::memory::desc bias{{c.dst[1]}, dt::f32, tag::x};
  auto desc = c.has_bias
                ? dnnl::deconvolution_forward::desc(
                    dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                    src_any, w_any, bias, dst_any, c.strides, c.dilates, c.pad_l, c.pad_r)
                : dnnl::deconvolution_forward::desc(
                    dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                    src_any, w_any, dst_any, c.strides, c.dilates, c.pad_l, c.pad_r);
  dnnl::primitive_attr attr;
  // The scratchpad comes from the caller's workspace: one primitive may run on several
  // instances' threads at once.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::deconvolution_forward::primitive_desc pd{desc, attr, engine};
  v->primitive = dnnl::deconvolution_forward{pd};
  v->implementation = pd.impl_info_str();
  v->weights = reordered_weights(weights, c.weights_plain, pd.weights_desc());

  const auto src_plain = plain_desc(c.src);
  const auto dst_plain = plain_desc(c.dst);
  v->src_used = pd.src_desc();
  v->dst_used = pd.dst_desc();
  v->scratchpad = pd.scratchpad_desc();
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

/// One bound ConvTranspose: its variants by thread count, each made when an instance with
/// that many intra-op threads first runs it.
struct dnnl_deconv {
  deconv_shape shape;
  tensor weights;
  std::size_t workspace_bytes = 0;
  variants_by_threads<deconv_variant> variants;
  /// oneDNN's name of the kernel it chose ("brg:avx512_core", "jit:avx2").
  std::string implementation;

  const deconv_variant& variant(int threads) {
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

std::optional<cpu_kernel> bind_conv_transpose_dnnl(const conv_transpose_params& p,
                                                   const tensor& weights) {
  const auto rank = p.spatial_rank();
  if (rank < 1 || rank > 3)
    return std::nullopt;
  for (std::size_t d = 0; d < rank; ++d)
    if (p.crop_begin[d] < 0 || p.crop_end[d] + p.strides[d] <= 0)
      return std::nullopt;
  auto state = std::make_shared<dnnl_deconv>();
  auto& c = state->shape;
  c.src = {p.batch, p.in_channels};
  c.dst = {p.batch, p.out_channels};
  for (std::size_t d = 0; d < rank; ++d) {
    c.src.push_back(p.in_spatial[d]);
    c.dst.push_back(p.out_spatial[d]);
    c.strides.push_back(p.strides[d]);
    c.dilates.push_back(p.dilations[d] - 1);  // oneDNN counts the gaps between taps
    c.pad_l.push_back(p.crop_begin[d]);
    c.pad_r.push_back(p.crop_end[d]);
  }
  // W [C, M/g, K...] row-major as oneDNN's (g,) o = M/g, i = C/g, K... by strides.
  const auto kernel_size = element_count(p.kernel);
  const auto cpg = p.in_per_group(), mpg = p.out_per_group();
  dims kernel_strides(rank, 1);
  for (std::size_t d = rank - 1; d-- > 0;)
    kernel_strides[d] = kernel_strides[d + 1] * p.kernel[d + 1];
  dims w_strides;
  if (p.group > 1) {
    c.weights = {p.group, mpg, cpg};
    w_strides = {cpg * mpg * kernel_size, kernel_size, mpg * kernel_size};
  } else {
    c.weights = {mpg, cpg};
    w_strides = {kernel_size, mpg * kernel_size};
  }
  for (std::size_t d = 0; d < rank; ++d) {
    c.weights.push_back(p.kernel[d]);
    w_strides.push_back(kernel_strides[d]);
  }
  c.has_bias = p.has_bias;
  state->weights = weights;
  // The variant for every core is made now: it fixes the layouts and sizes the workspace. A
  // pool of fewer threads gets its variant when it first runs it, and needs no more scratch.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  try {
    c.weights_plain = dnnl::memory::desc{c.weights, dt::f32, w_strides};
    state->workspace_bytes = state->variant(cores).workspace;
    // oneDNN's reference deconvolution is a plain loop; the sgemm path is far faster.
    if (state->implementation.starts_with("ref"))
      return std::nullopt;
  } catch (const dnnl::error&) {
    return std::nullopt;  // no oneDNN kernel for this shape: the sgemm path serves
  }

  cpu_kernel k;
  k.name = "oneDNN deconvolution " + state->implementation;
  k.runs_on_openmp = true;
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
    const auto& s = state->shape;
    dnnl::memory src_user{plain_desc(s.src), engine, const_cast<void*>(io.inputs[0])};
    dnnl::memory dst_user{plain_desc(s.dst), engine, io.outputs[0]};
    auto src = v.src_reorder ? dnnl::memory{v.src_used, engine, workspace + v.src_offset}
                             : src_user;
    auto dst = v.dst_reorder ? dnnl::memory{v.dst_used, engine, workspace + v.dst_offset}
                             : dst_user;
    if (v.src_reorder)
      v.src_reorder->execute(stream, src_user, src);
    std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, src},
      {DNNL_ARG_WEIGHTS, *v.weights},
      {DNNL_ARG_DST, dst},
      {DNNL_ARG_SCRATCHPAD, dnnl::memory{v.scratchpad, engine, workspace + v.scratchpad_offset}}};
    if (s.has_bias)
      args.emplace(DNNL_ARG_BIAS, dnnl::memory{dnnl::memory::desc{{s.dst[1]}, dt::f32, tag::x},
                                               engine, const_cast<void*>(io.inputs[2])});
    v.primitive.execute(stream, args);
    if (v.dst_reorder)
      v.dst_reorder->execute(stream, dst, dst_user);
    stream.wait();
  };
  return k;
}

} // namespace hogar::nn
