#include "kernels/nn/dnnl_support.hpp"

#include <oneapi/dnnl/dnnl_debug.h>
#include <omp.h>

#include <vector>

#include <fmt/format.h>

#include "kernels/nn/constant_cache.hpp"
#include "kernels/nn/op.hpp"

namespace hogar::nn {

const dnnl::engine& dnnl_cpu_engine() {
  static const dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  return engine;
}

omp_threads_scope::omp_threads_scope(int threads) : saved_(omp_get_max_threads()) {
  omp_set_num_threads(threads);
}

omp_threads_scope::~omp_threads_scope() { omp_set_num_threads(saved_); }

std::shared_ptr<dnnl::memory> reordered_weights(const tensor& weights,
                                                const dnnl::memory::desc& plain,
                                                const dnnl::memory::desc& wanted) {
  // How the constant's bytes are read (a Gemm may read one constant transposed) and the
  // layout they are reordered into.
  return shared_derivation<dnnl::memory>(weights, std::pair{plain, wanted}, [&] {
    const auto& engine = dnnl_cpu_engine();
    dnnl::memory user{plain, engine, const_cast<char*>(weights.bytes().data())};
    auto out = std::make_shared<dnnl::memory>(wanted, engine);
    dnnl::stream stream{engine};
    dnnl::reorder{user, *out}.execute(stream, user, *out);
    stream.wait();
    return out;
  });
}

namespace {

const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::all: return "all";
  }
  return "unknown";
}

} // namespace

std::string dnnl_isa_description() {
  const auto* v = dnnl::version();
  return fmt::format("{} (oneDNN {}.{}.{})", isa_name(dnnl::get_effective_cpu_isa()), v->major,
                     v->minor, v->patch);
}

namespace {

using ftag = dnnl::memory::format_tag;

/// The layouts a value may keep between kernels, by rank: channels last, blocked by 16, by 8.
std::vector<ftag> native_tags(std::size_t rank) {
  switch (rank) {
    case 3: return {ftag::nwc, ftag::nCw16c, ftag::nCw8c};
    case 4: return {ftag::nhwc, ftag::nChw16c, ftag::nChw8c};
    case 5: return {ftag::ndhwc, ftag::nCdhw16c, ftag::nCdhw8c};
    default: return {};
  }
}

ftag plain_tag(std::size_t rank) {
  switch (rank) {
    case 1: return ftag::a;
    case 2: return ftag::ab;
    case 3: return ftag::abc;
    case 4: return ftag::abcd;
    case 5: return ftag::abcde;
    default: return ftag::abcdef;
  }
}

} // namespace

std::string layout_name(layout_tag tag) {
  if (tag == plain_layout)
    return "plain";
  return dnnl_fmt_tag2str(static_cast<dnnl_format_tag_t>(tag));
}

int dnnl_layout_tag(const dnnl::memory::desc& desc) {
  const auto type = desc.data_type();
  auto dims = desc.dims();
  dnnl::memory::desc plain{dims, type, plain_tag(dims.size())};
  if (desc == plain || desc.get_size() != plain.get_size())
    return 0;
  for (auto t : native_tags(dims.size()))
    if (desc == dnnl::memory::desc{dims, type, t})
      return static_cast<int>(dnnl::memory::convert_to_c(t));
  return 0;
}

dnnl::memory::desc dnnl_desc(const dnnl::memory::dims& dims, int tag,
                             dnnl::memory::data_type type) {
  if (tag == 0)
    return dnnl::memory::desc{dims, type, plain_tag(dims.size())};
  return dnnl::memory::desc{dims, type, static_cast<ftag>(static_cast<dnnl_format_tag_t>(tag))};
}

dnnl::post_ops dnnl_post_ops(const epilogue& e, bool sum) {
  dnnl::post_ops ops;
  if (sum)
    ops.append_sum(1.0f);
  switch (e.kind) {
    case activation::none: break;
    case activation::relu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f); break;
    case activation::leaky_relu:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, e.alpha, 0.0f);
      break;
    case activation::clip:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, e.min, e.max);
      break;
    case activation::sigmoid:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f);
      break;
    case activation::tanh: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_tanh, 0.0f, 0.0f); break;
    // swish is x * sigmoid(alpha * x).
    case activation::silu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.0f, 0.0f); break;
    case activation::gelu:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
      break;
  }
  return ops;
}

bool dnnl_has_bf16() {
  auto isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

} // namespace hogar::nn
