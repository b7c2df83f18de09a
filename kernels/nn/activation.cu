// activation.cu: element-wise activations, and bias plus activation over a channel axis.
#include "kernels/nn/activation.cuh"

namespace hogar::nn::cuda {

namespace {

template <int Kind>
__global__ void activation_kernel(activation_params act, const float* x, float* y,
                                  std::int64_t n) {
  // The kind is a template argument so that the loop body has no switch.
  act.kind = Kind;
  for (std::int64_t i = global_index(); i < n; i += grid_stride())
    y[i] = activate(act, x[i]);
}

template <int Kind>
__global__ void bias_activation_kernel(activation_params act, float* y,
                                       const float* __restrict__ bias, std::int64_t channels,
                                       std::int64_t inner, std::int64_t n) {
  act.kind = Kind;
  for (std::int64_t i = global_index(); i < n; i += grid_stride()) {
    float v = y[i];
    if (bias)
      v += bias[(i / inner) % channels];
    y[i] = activate(act, v);
  }
}

__global__ void clip_kernel(const float* x, float* y, std::int64_t n,
                            const float* __restrict__ min_bound,
                            const float* __restrict__ max_bound, float lo, float hi) {
  activation_params act;
  act.kind = activation_clip;
  act.min = min_bound ? *min_bound : lo;
  act.max = max_bound ? *max_bound : hi;
  for (std::int64_t i = global_index(); i < n; i += grid_stride())
    y[i] = activate(act, x[i]);
}

template <template <int> class Launch, class... Args>
cudaError_t dispatch(int kind, Args... args) {
  switch (kind) {
    case activation_none: Launch<activation_none>::run(args...); break;
    case activation_relu: Launch<activation_relu>::run(args...); break;
    case activation_leaky_relu: Launch<activation_leaky_relu>::run(args...); break;
    case activation_clip: Launch<activation_clip>::run(args...); break;
    case activation_sigmoid: Launch<activation_sigmoid>::run(args...); break;
    case activation_tanh: Launch<activation_tanh>::run(args...); break;
    case activation_silu: Launch<activation_silu>::run(args...); break;
    case activation_gelu: Launch<activation_gelu>::run(args...); break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

template <int Kind>
struct activation_launch {
  static void run(const activation_params& act, const float* x, float* y, std::int64_t n,
                  cudaStream_t stream) {
    activation_kernel<Kind><<<grid_blocks(n), block_threads, 0, stream>>>(act, x, y, n);
  }
};

template <int Kind>
struct bias_activation_launch {
  static void run(const activation_params& act, float* y, const float* bias,
                  std::int64_t channels, std::int64_t inner, std::int64_t n,
                  cudaStream_t stream) {
    bias_activation_kernel<Kind>
      <<<grid_blocks(n), block_threads, 0, stream>>>(act, y, bias, channels, inner, n);
  }
};

} // namespace

cudaError_t launch_activation(const activation_params& act, const float* x, float* y,
                              std::int64_t n, cudaStream_t stream) {
  if (n <= 0)
    return cudaSuccess;
  if (act.kind == activation_none && x == y)
    return cudaSuccess;
  return dispatch<activation_launch>(act.kind, act, x, y, n, stream);
}

cudaError_t launch_clip(const float* x, float* y, std::int64_t n, const float* min_bound,
                        const float* max_bound, float lo, float hi, cudaStream_t stream) {
  if (n <= 0)
    return cudaSuccess;
  clip_kernel<<<grid_blocks(n), block_threads, 0, stream>>>(x, y, n, min_bound, max_bound, lo, hi);
  return cudaGetLastError();
}

cudaError_t launch_bias_activation(const activation_params& act, float* y, const float* bias,
                                   std::int64_t outer, std::int64_t channels, std::int64_t inner,
                                   cudaStream_t stream) {
  const std::int64_t n = outer * channels * inner;
  if (n <= 0)
    return cudaSuccess;
  if (!bias && act.kind == activation_none)
    return cudaSuccess;
  return dispatch<bias_activation_launch>(act.kind, act, y, bias, channels, inner, n, stream);
}

} // namespace hogar::nn::cuda
