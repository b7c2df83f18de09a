// conv_transpose.hpp: ConvTranspose (opset 1 and 11; 1, 2 and 3 spatial dimensions; groups,
// dilations, strides, pads, output_padding, output_shape, auto_pad), the gradient of Conv
// with respect to its input: every input element scatters its kernel-sized window of
// products into the output.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::nn {

/// Everything a ConvTranspose kernel needs, resolved from attributes and input shapes.
/// Inputs: X [N, C, D1..Dk], W [C, M/group, K1..Kk], optional B [M]; output Y [N, M, O1..Ok].
///
/// Per spatial dimension, input element i meets kernel tap k at position
/// i * stride + k * dilation of the "full" output, full = stride * (D - 1) + (K - 1) *
/// dilation + 1 elements long. Y is that full output with crop_begin elements cut from its
/// start and crop_end from its end: pads and output_padding (which adds at the end), or the
/// padding that output_shape and auto_pad SAME_* imply, all resolved here. A negative crop
/// adds zeros (the bias alone) on that side: output_padding, or an output_shape larger than
/// the full output.
struct conv_transpose_params {
  std::int64_t batch = 0;         // N
  std::int64_t in_channels = 0;   // C
  std::int64_t out_channels = 0;  // M
  std::int64_t group = 1;
  shape_t in_spatial;                    // D1..Dk
  shape_t out_spatial;                   // O1..Ok
  std::vector<std::int64_t> kernel;      // K1..Kk
  std::vector<std::int64_t> strides;     // default 1
  std::vector<std::int64_t> dilations;   // default 1
  /// Elements of the full output cut from its start (ONNX's begin pads): Y[o] is full[o +
  /// crop_begin].
  std::vector<std::int64_t> crop_begin;
  /// Elements of the full output cut from its end (end pads less output_padding).
  std::vector<std::int64_t> crop_end;
  bool has_bias = false;

  std::size_t spatial_rank() const noexcept { return in_spatial.size(); }
  std::int64_t in_per_group() const noexcept { return in_channels / group; }
  std::int64_t out_per_group() const noexcept { return out_channels / group; }
  /// The full output's extent in dimension d (before the crops).
  std::int64_t full_extent(std::size_t d) const noexcept {
    return strides[d] * (in_spatial[d] - 1) + (kernel[d] - 1) * dilations[d] + 1;
  }
};

/// Validates the node (float32 or float64 X and W, W [C, M/group, K...], a group dividing the
/// input channels, attribute lengths and ranges, kernel_shape agreeing with W, an output of at
/// least one element per dimension) and resolves pads, output_padding, output_shape and
/// auto_pad into the crops. Fails naming the node and the attribute or input at fault.
result<conv_transpose_params> conv_transpose_params_of(const node_view& view);

result<std::vector<value_type>> infer_conv_transpose(const node_view& view);
/// Direct scatter in double, any number of spatial dimensions, float32 and float64.
result<cpu_kernel> bind_conv_transpose_reference(const node_view& view,
                                                 std::span<const value_type> outputs);
/// float32 only (nullopt otherwise: the reference serves). With constant weights, oneDNN's
/// deconvolution where it has a kernel that is not its plain reference loop (crops it
/// accepts: crop_begin >= 0, crop_end > -stride); else OpenBLAS sgemm (W_g^T x X_g per
/// image, group and block of output channels) and col2im scattering the products into Y.
result<std::optional<cpu_kernel>> bind_conv_transpose_cpu(const node_view& view,
                                                          std::span<const value_type> outputs);

/// oneDNN's deconvolution of `p` with these constant float32 weights and the bias; nullopt
/// when oneDNN has no kernel for it, or only its reference loop (conv_transpose_dnnl.cpp).
std::optional<cpu_kernel> bind_conv_transpose_dnnl(const conv_transpose_params& p,
                                                   const tensor& weights);

} // namespace hogar::nn
