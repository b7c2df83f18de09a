// conv.hpp: Conv (1, 2 and 3 spatial dimensions; groups, dilations, pads, strides, auto_pad),
// with the bias and the fused activation epilogue of optimize().
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/epilogue.hpp"
#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// Everything a Conv kernel needs, resolved from attributes and input shapes. Inputs: X
/// [N, C, D1..Dk], W [M, C/group, K1..Kk], optional B [M], and once a residual Add is fused
/// (epilogue.hpp) R [N, M, O1..Ok]; output Y [N, M, O1..Ok].
struct conv_params {
  std::int64_t batch = 0;         // N
  std::int64_t in_channels = 0;   // C
  std::int64_t out_channels = 0;  // M
  std::int64_t group = 1;
  shape_t in_spatial;             // D1..Dk
  shape_t out_spatial;            // O1..Ok
  std::vector<std::int64_t> kernel;      // K1..Kk
  std::vector<std::int64_t> strides;     // default 1
  std::vector<std::int64_t> dilations;   // default 1
  std::vector<std::int64_t> pads_begin;  // auto_pad resolved
  std::vector<std::int64_t> pads_end;
  bool has_bias = false;
  /// A residual R (input 3, Y's shape) added before the activation: Y = act(conv + B + R).
  bool has_residual = false;
  /// Input and weights in bfloat16 (precision_attr).
  bool bf16 = false;
  /// Activation fused by optimize() (none for plain models).
  epilogue post;

  std::size_t spatial_rank() const noexcept { return in_spatial.size(); }
};

/// Validates the node (float32 or float64 X and W, shapes that agree, groups that divide the
/// channels, attribute lengths) and resolves auto_pad (SAME_UPPER, SAME_LOWER, VALID).
result<conv_params> conv_params_of(const node_view& view);

result<std::vector<value_type>> infer_conv(const node_view& view);
result<cpu_kernel> bind_conv_reference(const node_view& view, std::span<const value_type> outputs);
/// float32 with constant weights: oneDNN's convolution for this CPU (conv_dnnl.cpp); else,
/// or where oneDNN has no kernel for the shape, float32 with 1 or 2 spatial dimensions
/// (nullopt otherwise: the reference serves): im2col
/// (skipped for 1x1 stride-1 kernels) and OpenBLAS sgemm per group and block of columns
/// (blocks span images when images are small), bias and epilogue applied while the output is
/// hot in cache, images and column blocks split over the instance's threads; depthwise Convs
/// run directly, one plane per task.
result<std::optional<cpu_kernel>> bind_conv_cpu(const node_view& view,
                                                std::span<const value_type> outputs);

/// oneDNN's convolution of `p` with these constant float32 weights, bias and epilogue fused;
/// nullopt when oneDNN has no kernel for it.
std::optional<cpu_kernel> bind_conv_dnnl(const conv_params& p, const tensor& weights);

/// Winograd's F(2x2, 3x3) on AVX2 (winograd.hpp) in place of `direct`, oneDNN's kernel for the
/// same Conv, where it is faster: a 3x3 stride-1 Conv whose oneDNN kernel keeps channels
/// blocked by 8; nullopt otherwise, or when HOGAR_WINOGRAD=0.
std::optional<cpu_kernel> bind_conv_winograd(const conv_params& p, const tensor& weights,
                                             const cpu_kernel& direct);
/// Whether Winograd Convs may run here: AVX2 and FMA (as simd::avx2_loops() says) and not
/// HOGAR_WINOGRAD=0.
bool conv_winograd_enabled();
/// Whether they do: enabled, and oneDNN's Convs keep channels blocked by 8 (its kernels are
/// AVX2 ones; on AVX-512 it blocks by 16 and its own kernels serve).
bool conv_winograd_runs_here();

} // namespace hogar::nn
