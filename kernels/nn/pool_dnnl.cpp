// pool_dnnl.cpp: pooling on oneDNN for values the layout pass keeps in oneDNN's layout
// (cpu_executor): a MaxPool or GlobalAveragePool between two oneDNN Convs reads its input in
// the Conv's layout instead of having it reordered to NCHW and back. In plain NCHW the pooling
// kernels of pool_cpu.cpp run as before; this only adds the other layouts.
#include <memory>
#include <vector>

#include "kernels/nn/dnnl_support.hpp"
#include "kernels/nn/pool.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

using dims = dnnl::memory::dims;

/// The pooling for one input and output layout and one thread count (oneDNN fixes a
/// primitive's threads when it is made).
struct pool_variant {
  dnnl::pooling_forward primitive;
  dnnl::memory::desc src, dst, scratchpad;
};

struct dnnl_pool {
  dnnl::algorithm algorithm;
  dims src, dst, strides, kernel, pad_l, pad_r;
  std::function<void(const cpu_buffers&)> plain_run;
  layout_tag input = plain_layout, output = plain_layout;
  variants_by_threads<pool_variant> variants;

  /// The primitive descriptor for these layouts; throws dnnl::error when oneDNN cannot pool
  /// them.
  dnnl::pooling_forward::primitive_desc describe(layout_tag in, layout_tag out) const {
    dnnl::pooling_forward::desc desc{dnnl::prop_kind::forward_inference, algorithm,
                                     dnnl_desc(src, in), dnnl_desc(dst, out), strides, kernel,
                                     pad_l, pad_r};
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return {desc, attr, dnnl_cpu_engine()};
  }

  const pool_variant& variant(int threads) {
    return variants.get(threads, [this](int) {
      auto pd = describe(input, output);
      auto v = std::make_unique<pool_variant>();
      v->src = pd.src_desc();
      v->dst = pd.dst_desc();
      v->scratchpad = pd.scratchpad_desc();
      v->primitive = dnnl::pooling_forward{pd};
      return v;
    });
  }
};

/// The layouts a Conv of oneDNN's may leave a value of this rank in (dnnl_support.cpp keeps
/// the same list): channels last, blocked by 16, by 8.
std::vector<layout_tag> candidate_layouts(std::size_t rank) {
  using ftag = dnnl::memory::format_tag;
  std::vector<ftag> tags;
  if (rank == 3)
    tags = {ftag::nwc, ftag::nCw16c, ftag::nCw8c};
  else if (rank == 4)
    tags = {ftag::nhwc, ftag::nChw16c, ftag::nChw8c};
  std::vector<layout_tag> out;
  for (auto t : tags)
    out.push_back(static_cast<layout_tag>(dnnl::memory::convert_to_c(t)));
  return out;
}

} // namespace

void attach_dnnl_pooling(cpu_kernel& k, const pool_params& p) {
  const auto rank = p.in_spatial.size();
  if (rank < 1 || rank > 3)
    return;
  for (auto d : p.dilations)
    if (d != 1)
      return;  // oneDNN 2.6's pooling has no dilations
  // An average with ceil_mode counts a window's extra padding differently from oneDNN.
  if (p.kind == pool_kind::average && p.ceil_mode)
    return;
  auto state = std::make_shared<dnnl_pool>();
  state->algorithm = p.kind == pool_kind::max ? dnnl::algorithm::pooling_max
                     : p.count_include_pad   ? dnnl::algorithm::pooling_avg_include_padding
                                             : dnnl::algorithm::pooling_avg_exclude_padding;
  state->src = {p.batch, p.channels};
  state->dst = {p.batch, p.channels};
  for (std::size_t i = 0; i < rank; ++i) {
    state->src.push_back(p.in_spatial[i]);
    state->dst.push_back(p.out_spatial[i]);
    const bool global = p.kind == pool_kind::global_average;
    const auto kernel = global ? p.in_spatial[i] : p.kernel[i];
    const auto stride = global ? 1 : p.strides[i];
    const auto pad_l = global ? 0 : p.pads_begin[i];
    state->kernel.push_back(kernel);
    state->strides.push_back(stride);
    state->pad_l.push_back(pad_l);
    // ceil_mode's last window may reach past the padding: oneDNN sees that as more padding.
    state->pad_r.push_back((p.out_spatial[i] - 1) * stride + kernel - p.in_spatial[i] - pad_l);
  }
  // A global pool's output has one element per channel: in the input's layout its bytes are
  // those of the plain one, so it is written in that layout and read as plain by anyone.
  bool one_per_channel = true;
  for (auto d : p.out_spatial)
    one_per_channel = one_per_channel && d == 1;
  // Reads the layouts a Conv may hand it that oneDNN pools with a fast kernel on this CPU
  // (written in the layout it reads; a global pool's one element per channel too, the same
  // bytes as plain). oneDNN's reference pooling ("ref:any") is a plain loop: hogar's kernel
  // after a reorder is faster, so a layout only that one pools (channels blocked by 16 on an
  // AVX2 machine, or an average whose padding reaches past its window) is read as plain.
  std::vector<layout_tag> fast;
  for (auto tag : candidate_layouts(rank + 2)) {
    try {
      auto pd = state->describe(tag, tag);
      if (!std::string_view{pd.impl_info_str()}.starts_with("ref"))
        fast.push_back(tag);
    } catch (const dnnl::error&) {
    }
  }
  if (fast.empty())
    return;
  state->plain_run = std::move(k.run);
  k.name = "oneDNN pooling (hogar's for plain input)";
  k.layouts.reads_also = std::move(fast);
  k.layouts.writes_as_input = p.kind != pool_kind::global_average;
  k.layouts.use = [state, one_per_channel](std::span<const layout_tag> inputs,
                                           layout_tag output) {
    const auto input = inputs.empty() ? plain_layout : inputs[0];
    state->input = input;
    // oneDNN's fast pooling writes the layout it reads; for one element per channel that is
    // the plain layout's bytes as well.
    state->output = one_per_channel && output == plain_layout ? input : output;
    // A plain input is pooled by hogar's kernel on the pool; any other by oneDNN.
    return input != plain_layout;
  };
  k.run = [state](const cpu_buffers& io) {
    if (state->input == plain_layout) {
      state->plain_run(io);
      return;
    }
    const int threads = io.pool ? static_cast<int>(io.pool->size()) : 1;
    const auto& v = state->variant(threads);
    // Pooling rarely needs scratch; when it does, this thread keeps some.
    thread_local std::vector<std::byte> scratch;
    if (scratch.size() < v.scratchpad.get_size())
      scratch.resize(v.scratchpad.get_size());
    const auto& engine = dnnl_cpu_engine();
    omp_threads_scope scope{threads};
    dnnl::stream stream{engine};
    v.primitive.execute(stream,
                        {{DNNL_ARG_SRC, dnnl::memory{v.src, engine, const_cast<void*>(io.inputs[0])}},
                         {DNNL_ARG_DST, dnnl::memory{v.dst, engine, io.outputs[0]}},
                         {DNNL_ARG_SCRATCHPAD, dnnl::memory{v.scratchpad, engine, scratch.data()}}});
    stream.wait();
  };
}

} // namespace hogar::nn
