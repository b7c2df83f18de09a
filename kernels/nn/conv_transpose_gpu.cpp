// conv_transpose_gpu.cpp: ConvTranspose on the GPU (float32, 1 to 3 spatial dimensions)
// through cuDNN's cudnnConvolutionBackwardData: the gradient of a Conv with respect to its
// input is the transposed convolution. That Conv reads ConvTranspose's output Y ("dx") and
// writes its input X ("dy"), with ONNX's W [C, M/group, K...] as its filter [C, M/group, K...]
// and the same strides, dilations and group count.
//
// cuDNN pads symmetrically: where the crops fit that (crop_begin >= 0 and crop_begin -
// crop_end in [0, stride): symmetric pads with an output_padding below the stride) cuDNN
// writes Y directly and the bias is added in place (activation.cu's kernel). Other crops
// (uneven pads, an output_shape beyond the full output) compute the full output into the
// workspace and cut it into Y, adding the bias, in one pass (conv_transpose.cu). cuDNN takes
// 4-D or 5-D tensors: a 1-D ConvTranspose runs as a 2-D one of height 1. The algorithm is
// chosen once per shape, as Conv's is (conv_gpu.cpp): by running them all once
// (cudnnFindConvolutionBackwardDataAlgorithm, remembered per device and shapes) or from
// cuDNN's heuristics, the first whose workspace fits the context's limit; strict float32 asks
// for CUDNN_FMA_MATH, keeping TF32 tensor cores out.
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "kernels/nn/activation.cuh"
#include "kernels/nn/conv_transpose.cuh"
#include "kernels/nn/conv_transpose.hpp"
#include "kernels/nn/cudnn_support.hpp"
#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

namespace {

const char* algorithm_name(cudnnConvolutionBwdDataAlgo_t algo) {
  switch (algo) {
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_0: return "ALGO_0";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1: return "ALGO_1";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT: return "FFT";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING: return "FFT_TILING";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD: return "WINOGRAD";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
    default: return "unknown";
  }
}

struct chosen_algorithm {
  cudnnConvolutionBwdDataAlgo_t algo = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
  std::size_t workspace_bytes = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

/// cuDNN's ranking of the algorithms for these descriptors, best first: measured (benchmark)
/// or its heuristic guess.
std::vector<cudnnConvolutionBwdDataAlgoPerf_t> rank_algorithms(const gpu_context& ctx,
                                                               cudnn_conv_descriptors& d) {
  int max_count = 0;
  check(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(ctx.cudnn, &max_count),
        "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(
    static_cast<std::size_t>(std::max(max_count, 1)));
  int returned = 0;
  if (ctx.conv_search == conv_algorithm_search::benchmark) {
    // Allocates its own buffers and runs every algorithm on the context's stream, then waits.
    check(cudnnFindConvolutionBackwardDataAlgorithm(ctx.cudnn, d.w, d.input, d.conv, d.output,
                                                    static_cast<int>(perf.size()), &returned,
                                                    perf.data()),
          "cudnnFindConvolutionBackwardDataAlgorithm");
  } else {
    check(cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx.cudnn, d.w, d.input, d.conv, d.output,
                                                      static_cast<int>(perf.size()), &returned,
                                                      perf.data()),
          "cudnnGetConvolutionBackwardDataAlgorithm_v7");
  }
  perf.resize(static_cast<std::size_t>(std::max(returned, 0)));
  return perf;
}

/// The first of `ranked` that runs within the workspace limit (and, strict, without
/// tensor-core math).
chosen_algorithm first_usable(const gpu_context& ctx, cudnn_conv_descriptors& d,
                              const std::vector<cudnnConvolutionBwdDataAlgoPerf_t>& ranked) {
  std::string passed_over;
  for (const auto& p : ranked) {
    if (p.status != CUDNN_STATUS_SUCCESS)
      continue;
    if (ctx.strict_fp32 &&
        (p.mathType == CUDNN_TENSOR_OP_MATH || p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION))
      continue;
    if (!ctx.strict_fp32)
      check(cudnnSetConvolutionMathType(d.conv, p.mathType), "cudnnSetConvolutionMathType");
    std::size_t bytes = 0;
    auto status = cudnnGetConvolutionBackwardDataWorkspaceSize(ctx.cudnn, d.w, d.input, d.conv,
                                                               d.output, p.algo, &bytes);
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
  throw gpu_error(fmt::format("cuDNN offers no transposed convolution algorithm for these "
                              "shapes ({} ranked;{})",
                              ranked.size(), passed_over.empty() ? " none usable" : passed_over));
}

/// The benchmark's choices per device, search, math and shapes, for the life of the process.
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

result<gpu_kernel> bind_conv_transpose_gpu(const node_view& view,
                                           std::span<const value_type> outputs,
                                           const gpu_context& ctx) {
  if (view.inputs[0].type != dtype::float32)
    return view.error(fmt::format("runs float32 on the GPU, not {}",
                                  to_string(view.inputs[0].type)));
  auto params = conv_transpose_params_of(view);
  if (!params)
    return params.error();
  const conv_transpose_params p = std::move(*params);
  const auto rank = p.spatial_rank();
  if (rank < 1 || rank > 3)
    return view.error(fmt::format("has {} spatial dimensions; the GPU runs 1 to 3", rank));

  const bool has_bias = p.has_bias;
  const std::int64_t out_size = element_count(p.out_spatial);
  const std::int64_t batch = p.batch, out_channels = p.out_channels;
  const auto none = to_cuda(epilogue{});
  gpu_kernel k;
  if (element_count(outputs[0].shape) == 0) {
    k.run = [](const gpu_buffers&) {};
    return k;
  }
  if (p.in_channels == 0) {
    // No input channel: the output is the bias alone.
    const auto bytes = static_cast<std::size_t>(element_count(outputs[0].shape)) * sizeof(float);
    k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
      auto* y = static_cast<float*>(io.outputs[0]);
      check(cudaMemsetAsync(y, 0, bytes, stream), "cudaMemsetAsync");
      if (has_bias)
        check(cuda::launch_bias_activation(none, y, static_cast<const float*>(io.inputs[2]),
                                           batch, out_channels, out_size, stream),
              "bias kernel");
    };
    return k;
  }

  // cuDNN writes Y directly when its symmetric padding (crop_begin) with Y's extents gives
  // back X's extents; else it writes the full output, cut into Y afterwards.
  bool direct = true;
  shape_t full(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    full[d] = p.full_extent(d);
    const auto uneven = p.crop_begin[d] - p.crop_end[d];
    direct = direct && p.crop_begin[d] >= 0 && uneven >= 0 && uneven < p.strides[d];
  }
  std::vector<std::int64_t> dx_spatial = direct ? p.out_spatial : full, kernel = p.kernel,
                            pads = direct ? p.crop_begin : std::vector<std::int64_t>(rank, 0),
                            strides = p.strides, dilations = p.dilations;
  shape_t x_spatial = p.in_spatial;
  if (rank == 1) {
    for (auto* v : {&dx_spatial, &kernel, &x_spatial})
      v->insert(v->begin(), 1);
    pads.insert(pads.begin(), 0);
    strides.insert(strides.begin(), 1);
    dilations.insert(dilations.begin(), 1);
  }
  std::vector<std::int64_t> dy_dims{p.batch, p.in_channels}, dx_dims{p.batch, p.out_channels},
    w_dims{p.in_channels, p.out_per_group()};
  dy_dims.insert(dy_dims.end(), x_spatial.begin(), x_spatial.end());
  dx_dims.insert(dx_dims.end(), dx_spatial.begin(), dx_spatial.end());
  w_dims.insert(w_dims.end(), kernel.begin(), kernel.end());

  auto d = std::make_shared<cudnn_conv_descriptors>();
  set_packed(d->input, dy_dims, "input X");
  set_packed(d->output, dx_dims, direct ? "output Y" : "the full output");
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

  // The Conv over dx must give back X's extents, or cuDNN would read X wrongly.
  std::vector<int> conv_out(dy_dims.size(), 0);
  check(cudnnGetConvolutionNdForwardOutputDim(d->conv, d->output, d->w,
                                              static_cast<int>(conv_out.size()),
                                              conv_out.data()),
        "cudnnGetConvolutionNdForwardOutputDim");
  for (std::size_t i = 0; i < dy_dims.size(); ++i)
    if (conv_out[i] != dy_dims[i])
      return view.error(fmt::format("cuDNN's convolution of {} gives {}, not X's {}",
                                    to_string(dx_dims),
                                    to_string(shape_t(conv_out.begin(), conv_out.end())),
                                    to_string(dy_dims)));

  const auto algo = choose_algorithm(
    ctx, *d,
    fmt::format("transposed dy{} w{} dx{} pads{} strides{} dilations{} group{}",
                to_string(dy_dims), to_string(w_dims), to_string(dx_dims), to_string(pads),
                to_string(strides), to_string(dilations), p.group));
  const std::size_t full_bytes =
    direct ? 0 : align_up(static_cast<std::size_t>(element_count(dx_dims)) * sizeof(float));
  k.workspace_bytes = full_bytes + algo.workspace_bytes;

  cuda::dims full_dims{}, out_dims{}, crop_dims{};
  if (!direct) {
    full_dims = to_dims(full, "the full output's spatial extents");
    out_dims = to_dims(p.out_spatial, "output Y's spatial extents");
    crop_dims = to_dims(p.crop_begin, "the output's crops");
  }
  const std::size_t algo_bytes = algo.workspace_bytes;
  const auto algorithm = algo.algo;
  const std::string call =
    fmt::format("cudnnConvolutionBackwardData ({})", algorithm_name(algorithm));
  k.run = [=, stream = ctx.stream, cudnn = ctx.cudnn](const gpu_buffers& io) {
    auto* workspace = static_cast<char*>(io.workspace);
    auto* y = static_cast<float*>(io.outputs[0]);
    const auto* bias = has_bias ? static_cast<const float*>(io.inputs[2]) : nullptr;
    float* target = direct ? y : reinterpret_cast<float*>(workspace);
    const float alpha = 1.0f, beta = 0.0f;
    check(cudnnConvolutionBackwardData(cudnn, &alpha, d->w, io.inputs[1], d->input, io.inputs[0],
                                       d->conv, algorithm,
                                       algo_bytes ? workspace + full_bytes : nullptr, algo_bytes,
                                       &beta, d->output, target),
          call);
    if (direct) {
      if (has_bias)
        check(cuda::launch_bias_activation(none, y, bias, batch, out_channels, out_size, stream),
              "bias kernel");
      return;
    }
    check(cuda::launch_crop_bias(target, y, batch * out_channels, out_channels, full_dims,
                                 out_dims, crop_dims, bias, stream),
          "crop and bias kernel");
  };
  return k;
}

} // namespace hogar::nn
