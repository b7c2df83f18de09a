// gemm_dnnl.cpp: Gemm on oneDNN's matmul, the fast CPU path's first choice for the fully
// connected layers exporters write (Y = A B' + bias, B a constant, alpha 1, C one bias per
// output column), with the activation fused as a post-op. oneDNN picks the kernel for this
// CPU's ISA (OpenBLAS picks by its own name for the CPU, and on some Xeons runs SSE3 code),
// the weights are reordered once into the layout that kernel reads, and with `precision: bf16`
// A and B are read as bfloat16 (AMX or AVX512-BF16), Y stays float32.
//
// Other Gemms (a C of another shape, alpha other than 1, B computed at run time) stay on
// OpenBLAS (gemm_cpu.cpp).
#include <algorithm>
#include <cstdint>
#include <thread>
#include <unordered_map>

#include "kernels/nn/dnnl_support.hpp"
#include "kernels/nn/gemm.hpp"
#include "kernels/nn/thread_pool.hpp"

namespace hogar::nn {

namespace {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

constexpr std::size_t align64(std::size_t n) { return (n + 63) / 64 * 64; }

/// The product for one number of threads: the primitive, the weights in its layout, and
/// where its converted input (bf16) and scratchpad lie in the workspace.
struct gemm_variant {
  dnnl::matmul primitive;
  std::shared_ptr<dnnl::memory> weights;
  dnnl::memory::desc src_used, scratchpad;
  std::optional<dnnl::reorder> src_convert;
  std::size_t src_offset = 0, scratchpad_offset = 0, workspace = 0;
  std::string implementation;
};

struct dnnl_gemm {
  gemm_params p;
  tensor weights;
  /// beta * C, one per output column; empty without C.
  tensor bias;
  bool bf16 = false;
  std::size_t workspace_bytes = 0;
  variants_by_threads<gemm_variant> variants;

  /// A as the caller's memory holds it: [M, K], or [K, M] read transposed.
  dnnl::memory::desc src_plain() const {
    return {dims{p.m, p.k}, dt::f32, p.trans_a ? tag::ba : tag::ab};
  }

  std::unique_ptr<gemm_variant> make() const {
    const auto& engine = dnnl_cpu_engine();
    auto v = std::make_unique<gemm_variant>();
    const auto in_type = bf16 ? dt::bf16 : dt::f32;
    dnnl::memory::desc src = bf16 ? dnnl::memory::desc{dims{p.m, p.k}, dt::bf16, tag::ab} : src_plain();
    dnnl::memory::desc w_any{dims{p.k, p.n}, in_type, tag::any};
    dnnl::memory::desc dst{dims{p.m, p.n}, dt::f32, tag::ab};
    dnnl::primitive_attr attr;
    attr.set_post_ops(dnnl_post_ops(p.post, false));
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    auto desc = bias.element_count() > 0
                  ? dnnl::matmul::desc{src, w_any, dnnl::memory::desc{dims{1, p.n}, dt::f32, tag::ab}, dst}
                  : dnnl::matmul::desc{src, w_any, dst};
    dnnl::matmul::primitive_desc pd{desc, attr, engine};
    v->primitive = dnnl::matmul{pd};
    v->implementation = pd.impl_info_str();
    // B as the model stores it: [K, N], or [N, K] read transposed.
    v->weights = reordered_weights(
      weights, dnnl::memory::desc{dims{p.k, p.n}, dt::f32, p.trans_b ? tag::ba : tag::ab},
      pd.weights_desc());
    v->src_used = pd.src_desc();
    v->scratchpad = pd.scratchpad_desc();
    std::size_t at = 0;
    if (v->src_used != src_plain()) {
      v->src_convert = dnnl::reorder{dnnl::reorder::primitive_desc{engine, src_plain(), engine, v->src_used}};
      v->src_offset = at;
      at += align64(v->src_used.get_size());
    }
    v->scratchpad_offset = at;
    at += align64(v->scratchpad.get_size());
    v->workspace = at;
    return v;
  }
};

} // namespace

std::optional<cpu_kernel> bind_gemm_dnnl(const gemm_params& p, const tensor& b, const tensor* c,
                                         bool bf16) {
  // Only what a fully connected layer is: alpha 1 and C (if any) one bias per column.
  if (p.alpha != 1.0f || p.m == 0 || p.n == 0 || p.k == 0)
    return std::nullopt;
  auto state = std::make_shared<dnnl_gemm>();
  state->p = p;
  state->weights = b;
  state->bf16 = bf16;
  if (p.has_c) {
    if (!c || c->element_count() != p.n ||
        !(p.c_shape == shape_t{p.n} || p.c_shape == shape_t{1, p.n}))
      return std::nullopt;
    state->bias = tensor{dtype::float32, {1, p.n}};
    auto in = c->values<float>();
    auto out = state->bias.mutable_values<float>();
    for (std::int64_t j = 0; j < p.n; ++j)
      out[static_cast<std::size_t>(j)] = p.beta * in[static_cast<std::size_t>(j)];
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string implementation;
  try {
    const auto& v = state->variants.get(cores, [&](int) { return state->make(); });
    state->workspace_bytes = v.workspace;
    implementation = v.implementation;
  } catch (const dnnl::error&) {
    return std::nullopt;  // no oneDNN kernel for it: OpenBLAS serves
  }
  // oneDNN's reference loop is slower than OpenBLAS.
  if (implementation.starts_with("ref"))
    return std::nullopt;

  cpu_kernel k;
  k.name = "oneDNN matmul " + implementation;
  k.runs_on_openmp = true;
  k.workspace_bytes = reserved_workspace(state->workspace_bytes);
  k.run = [state](const cpu_buffers& io) {
    const auto& engine = dnnl_cpu_engine();
    const int threads = io.pool ? static_cast<int>(io.pool->size()) : 1;
    const auto& v = state->variants.get(threads, [&](int) { return state->make(); });
    std::vector<std::byte> own;
    auto* workspace = variant_workspace(io.workspace, reserved_workspace(state->workspace_bytes),
                                        v.workspace, own);
    omp_threads_scope scope{threads};
    dnnl::stream stream{engine};
    dnnl::memory a{state->src_plain(), engine, const_cast<void*>(io.inputs[0])};
    auto src = a;
    if (v.src_convert) {
      src = dnnl::memory{v.src_used, engine, workspace + v.src_offset};
      v.src_convert->execute(stream, a, src);
    }
    std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, src},
      {DNNL_ARG_WEIGHTS, *v.weights},
      {DNNL_ARG_DST, dnnl::memory{dnnl::memory::desc{dims{state->p.m, state->p.n}, dt::f32, tag::ab},
                                  engine, io.outputs[0]}},
      {DNNL_ARG_SCRATCHPAD, dnnl::memory{v.scratchpad, engine, workspace + v.scratchpad_offset}}};
    if (state->bias.element_count() > 0)
      args.emplace(DNNL_ARG_BIAS,
                   dnnl::memory{dnnl::memory::desc{dims{1, state->p.n}, dt::f32, tag::ab}, engine,
                                const_cast<char*>(state->bias.bytes().data())});
    v.primitive.execute(stream, args);
    stream.wait();
  };
  return k;
}

} // namespace hogar::nn
