// conv_gpu.cpp: Conv on the GPU (float32, 1 to 3 spatial dimensions) through cuDNN's
// cudnnConvolutionForward, then the bias and the fused epilogue in one pass of
// activation.cu's kernel.
//
// cuDNN takes 4-D (NCHW) or 5-D (NCDHW) tensors: a 1-D convolution runs as a 2-D one of
// height 1. It pads symmetrically only: with pads_begin != pads_end the input is first copied
// into a zero-bordered buffer in the workspace (conv.cu) and convolved with no padding. The
// algorithm is chosen once per shape from cuDNN's heuristics (cudnnGetConvolutionForward-
// Algorithm_v7) or, by default, by running them all once (cudnnFindConvolutionForward-
// Algorithm, remembered per device and shapes): the fastest whose workspace fits
// gpu_context::conv_workspace_bytes_max. With strict float32 the descriptor asks for
// CUDNN_FMA_MATH, which keeps TF32 tensor cores out.
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "kernels/nn/activation.cuh"
#include "kernels/nn/conv.cuh"
#include "kernels/nn/conv.hpp"
#include "kernels/nn/cudnn_support.hpp"
#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

namespace {

const char* algorithm_name(cudnnConvolutionFwdAlgo_t algo) {
  switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
    default: return "unknown";
  }
}

struct chosen_algorithm {
  cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  std::size_t workspace_bytes = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

/// cuDNN's ranking of the algorithms for these descriptors: measured times (benchmark) or
/// its heuristic guess, best first.
std::vector<cudnnConvolutionFwdAlgoPerf_t> rank_algorithms(const gpu_context& ctx,
                                                           cudnn_conv_descriptors& d) {
  int max_count = 0;
  check(cudnnGetConvolutionForwardAlgorithmMaxCount(ctx.cudnn, &max_count),
        "cudnnGetConvolutionForwardAlgorithmMaxCount");
  std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(static_cast<std::size_t>(std::max(max_count, 1)));
  int returned = 0;
  if (ctx.conv_search == conv_algorithm_search::benchmark) {
    // Allocates its own buffers and runs every algorithm on the context's stream, then waits.
    check(cudnnFindConvolutionForwardAlgorithm(ctx.cudnn, d.input, d.w, d.conv, d.output,
                                               static_cast<int>(perf.size()), &returned,
                                               perf.data()),
          "cudnnFindConvolutionForwardAlgorithm");
  } else {
    check(cudnnGetConvolutionForwardAlgorithm_v7(ctx.cudnn, d.input, d.w, d.conv, d.output,
                                                 static_cast<int>(perf.size()), &returned,
                                                 perf.data()),
          "cudnnGetConvolutionForwardAlgorithm_v7");
  }
  perf.resize(static_cast<std::size_t>(std::max(returned, 0)));
  return perf;
}

/// The first of `ranked` that runs these descriptors within the workspace limit (and, strict,
/// without tensor-core math).
chosen_algorithm first_usable(const gpu_context& ctx, cudnn_conv_descriptors& d,
                              const std::vector<cudnnConvolutionFwdAlgoPerf_t>& ranked) {
  std::string passed_over;
  for (const auto& p : ranked) {
    if (p.status != CUDNN_STATUS_SUCCESS)
      continue;
    if (ctx.strict_fp32 &&
        (p.mathType == CUDNN_TENSOR_OP_MATH || p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION))
      continue;
    if (!ctx.strict_fp32) {
      // cuDNN chooses tensor-core kernels by algorithm and math type together.
      check(cudnnSetConvolutionMathType(d.conv, p.mathType), "cudnnSetConvolutionMathType");
    }
    std::size_t bytes = 0;
    auto status = cudnnGetConvolutionForwardWorkspaceSize(ctx.cudnn, d.input, d.w, d.conv, d.output,
                                                          p.algo, &bytes);
    if (status != CUDNN_STATUS_SUCCESS) {
      passed_over += fmt::format(" {}: {};", algorithm_name(p.algo), describe(status));
      continue;
    }
    if (bytes > ctx.conv_workspace_bytes_max) {
      passed_over += fmt::format(" {}: needs {} bytes of workspace, above the limit of {};",
                                 algorithm_name(p.algo), bytes, ctx.conv_workspace_bytes_max);
      continue;
    }
    return {p.algo, bytes, p.mathType};
  }
  throw gpu_error(fmt::format("cuDNN offers no convolution algorithm for these shapes ({} "
                              "ranked;{})",
                              ranked.size(), passed_over.empty() ? " none usable" : passed_over));
}

/// The benchmark's choices, per device, search, math and shapes: a plan per batch size, and
/// the same layer shapes recurring in a network, do not run the benchmark again.
struct algorithm_memo {
  std::mutex mutex;
  std::map<std::string, chosen_algorithm> chosen;
};

algorithm_memo& memo() {
  static algorithm_memo m;
  return m;
}

chosen_algorithm choose_algorithm(const gpu_context& ctx, cudnn_conv_descriptors& d,
                                  const std::string& shapes) {
  if (ctx.conv_search != conv_algorithm_search::benchmark)
    return first_usable(ctx, d, rank_algorithms(ctx, d));
  const auto key = fmt::format("{}|{}|{}|{}", ctx.device, ctx.strict_fp32,
                               ctx.conv_workspace_bytes_max, shapes);
  auto& m = memo();
  {
    std::lock_guard lock{m.mutex};
    if (auto it = m.chosen.find(key); it != m.chosen.end()) {
      if (!ctx.strict_fp32)
        check(cudnnSetConvolutionMathType(d.conv, it->second.math),
              "cudnnSetConvolutionMathType");
      return it->second;
    }
  }
  auto chosen = first_usable(ctx, d, rank_algorithms(ctx, d));
  std::lock_guard lock{m.mutex};
  m.chosen.emplace(key, chosen);
  return chosen;
}

} // namespace

result<gpu_kernel> bind_conv_gpu(const node_view& view, std::span<const value_type> outputs,
                                 const gpu_context& ctx) {
  if (view.inputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}",
                                  to_string(view.inputs[0].type)));
  auto params = conv_params_of(view);
  if (!params)
    return params.error();
  const conv_params p = std::move(*params);
  const auto rank = p.spatial_rank();
  if (rank < 1 || rank > 3)
    return view.error(fmt::format("has {} spatial dimensions; the GPU runs 1 to 3", rank));
  // Only the CPU path's plans fuse residual Adds (fuse_residual_adds).
  if (p.has_residual)
    return view.error("carries a fused residual (hogar_residual), which the GPU does not run");

  const auto post = to_cuda(p.post);
  const bool has_bias = p.has_bias;
  const std::int64_t out_size = element_count(p.out_spatial);
  const std::int64_t batch = p.batch, out_channels = p.out_channels;
  gpu_kernel k;
  if (element_count(outputs[0].shape) == 0) {
    k.run = [](const gpu_buffers&) {};
    return k;
  }
  if (p.in_channels == 0 || element_count(p.in_spatial) == 0) {
    // Every window reads only padding (or no channel): the output is the bias alone.
    const auto bytes = static_cast<std::size_t>(element_count(outputs[0].shape)) * sizeof(float);
    k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
      auto* y = static_cast<float*>(io.outputs[0]);
      check(cudaMemsetAsync(y, 0, bytes, stream), "cudaMemsetAsync");
      check(cuda::launch_bias_activation(post, y,
                                         has_bias ? static_cast<const float*>(io.inputs[2])
                                                  : nullptr,
                                         batch, out_channels, out_size, stream),
            "bias and activation kernel");
    };
    return k;
  }

  bool asymmetric = false;
  for (std::size_t d = 0; d < rank; ++d)
    asymmetric = asymmetric || p.pads_begin[d] != p.pads_end[d];
  // cuDNN's view: spatial dimensions of the (padded) input, with a leading 1 for 1-D.
  std::vector<std::int64_t> in_spatial = p.in_spatial, out_spatial = p.out_spatial,
                            kernel = p.kernel, pads = p.pads_begin, strides = p.strides,
                            dilations = p.dilations;
  if (asymmetric) {
    for (std::size_t d = 0; d < rank; ++d) {
      in_spatial[d] += p.pads_begin[d] + p.pads_end[d];
      pads[d] = 0;
    }
  }
  const shape_t padded_spatial = in_spatial;
  if (rank == 1) {
    for (auto* v : {&in_spatial, &out_spatial, &kernel})
      v->insert(v->begin(), 1);
    pads.insert(pads.begin(), 0);
    strides.insert(strides.begin(), 1);
    dilations.insert(dilations.begin(), 1);
  }
  std::vector<std::int64_t> x_dims{p.batch, p.in_channels}, y_dims{p.batch, p.out_channels},
    w_dims{p.out_channels, p.in_channels / p.group};
  x_dims.insert(x_dims.end(), in_spatial.begin(), in_spatial.end());
  y_dims.insert(y_dims.end(), out_spatial.begin(), out_spatial.end());
  w_dims.insert(w_dims.end(), kernel.begin(), kernel.end());

  auto d = std::make_shared<cudnn_conv_descriptors>();
  set_packed(d->input, x_dims, asymmetric ? "the padded input X" : "input X");
  set_packed(d->output, y_dims, "output Y");
  auto w_int = to_int(w_dims, "weights W");
  check(cudnnSetFilterNdDescriptor(d->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                   static_cast<int>(w_int.size()), w_int.data()),
        "cudnnSetFilterNdDescriptor");
  auto pads_int = to_int(pads, "pads");
  auto strides_int = to_int(strides, "strides");
  auto dilations_int = to_int(dilations, "dilations");
  check(cudnnSetConvolutionNdDescriptor(d->conv, static_cast<int>(pads_int.size()),
                                        pads_int.data(), strides_int.data(),
                                        dilations_int.data(), CUDNN_CROSS_CORRELATION,
                                        CUDNN_DATA_FLOAT),
        "cudnnSetConvolutionNdDescriptor");
  if (!fits_int(p.group))
    return view.error(fmt::format("group {} does not fit cuDNN's int", p.group));
  check(cudnnSetConvolutionGroupCount(d->conv, static_cast<int>(p.group)),
        "cudnnSetConvolutionGroupCount");
  check(cudnnSetConvolutionMathType(d->conv, ctx.strict_fp32 ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH),
        "cudnnSetConvolutionMathType");

  // cuDNN's own output extents must be the ones planning inferred, or Y's buffer is wrong.
  std::vector<int> cudnn_out(y_dims.size(), 0);
  check(cudnnGetConvolutionNdForwardOutputDim(d->conv, d->input, d->w,
                                              static_cast<int>(cudnn_out.size()),
                                              cudnn_out.data()),
        "cudnnGetConvolutionNdForwardOutputDim");
  for (std::size_t i = 0; i < y_dims.size(); ++i)
    if (cudnn_out[i] != y_dims[i])
      return view.error(fmt::format("cuDNN computes output extents {} where planning inferred "
                                    "{}",
                                    to_string(shape_t(cudnn_out.begin(), cudnn_out.end())),
                                    to_string(y_dims)));

  const auto algo = choose_algorithm(
    ctx, *d,
    fmt::format("x{} w{} y{} pads{} strides{} dilations{} group{}", to_string(x_dims),
                to_string(w_dims), to_string(y_dims), to_string(pads), to_string(strides),
                to_string(dilations), p.group));
  const std::size_t pad_bytes =
    asymmetric ? align_up(static_cast<std::size_t>(p.batch * p.in_channels *
                                                   element_count(padded_spatial)) *
                          sizeof(float))
               : 0;
  k.workspace_bytes = pad_bytes + algo.workspace_bytes;

  cuda::dims pad_in{}, pad_out{}, pad_begin{};
  if (asymmetric) {
    pad_in = to_dims(p.in_spatial, "input X's spatial extents");
    pad_out = to_dims(padded_spatial, "the padded input's spatial extents");
    pad_begin = to_dims(p.pads_begin, "pads");
  }
  const std::int64_t planes = p.batch * p.in_channels;
  const bool epilogue = has_bias || p.post.kind != activation::none;
  const std::size_t conv_workspace_bytes = algo.workspace_bytes;
  const auto algorithm = algo.algo;
  const std::string conv_call = fmt::format("cudnnConvolutionForward ({})", algorithm_name(algorithm));
  k.run = [=, stream = ctx.stream, cudnn = ctx.cudnn](const gpu_buffers& io) {
    const void* x = io.inputs[0];
    auto* workspace = static_cast<char*>(io.workspace);
    if (asymmetric) {
      auto* padded = reinterpret_cast<float*>(workspace);
      check(cuda::launch_pad(static_cast<const float*>(x), padded, planes, pad_in, pad_out,
                             pad_begin, stream),
            "padding kernel");
      x = padded;
    }
    const float alpha = 1.0f, beta = 0.0f;
    check(cudnnConvolutionForward(cudnn, &alpha, d->input, x, d->w, io.inputs[1], d->conv, algorithm,
                                  conv_workspace_bytes ? workspace + pad_bytes : nullptr,
                                  conv_workspace_bytes, &beta, d->output, io.outputs[0]),
          conv_call);
    if (epilogue)
      check(cuda::launch_bias_activation(post, static_cast<float*>(io.outputs[0]),
                                         has_bias ? static_cast<const float*>(io.inputs[2])
                                                  : nullptr,
                                         batch, out_channels, out_size, stream),
            "bias and activation kernel");
  };
  return k;
}

} // namespace hogar::nn
