// cudnn_support.hpp: what Conv and ConvTranspose share on cuDNN: the descriptors of one bound
// convolution and the conversions of hogar's extents into cuDNN's int arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <cudnn.h>
#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"

namespace hogar::nn {

/// The cuDNN descriptors of one bound convolution, destroyed with the kernel: the op's input
/// and output (for a ConvTranspose, computed as a Conv's input gradient, cuDNN's dy and dx),
/// its weights and the convolution.
struct cudnn_conv_descriptors {
  cudnnTensorDescriptor_t input = nullptr;
  cudnnTensorDescriptor_t output = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  cudnn_conv_descriptors() {
    check(cudnnCreateTensorDescriptor(&input), "cudnnCreateTensorDescriptor");
    check(cudnnCreateTensorDescriptor(&output), "cudnnCreateTensorDescriptor");
    check(cudnnCreateFilterDescriptor(&w), "cudnnCreateFilterDescriptor");
    check(cudnnCreateConvolutionDescriptor(&conv), "cudnnCreateConvolutionDescriptor");
  }
  ~cudnn_conv_descriptors() {
    // Destroying a descriptor only frees host memory; its status carries nothing to act on.
    if (conv) cudnnDestroyConvolutionDescriptor(conv);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (output) cudnnDestroyTensorDescriptor(output);
    if (input) cudnnDestroyTensorDescriptor(input);
  }
  cudnn_conv_descriptors(const cudnn_conv_descriptors&) = delete;
  cudnn_conv_descriptors& operator=(const cudnn_conv_descriptors&) = delete;
};

inline std::size_t align_up(std::size_t bytes) {
  return (bytes + gpu_alignment - 1) / gpu_alignment * gpu_alignment;
}

/// `extents` as the int array cuDNN takes; fails naming `what` when one does not fit.
inline std::vector<int> to_int(const std::vector<std::int64_t>& extents, std::string_view what) {
  std::vector<int> out;
  for (auto e : extents) {
    if (!fits_int(e))
      throw gpu_error(fmt::format("{} {} does not fit cuDNN's int extents", what,
                                  to_string(extents)));
    out.push_back(static_cast<int>(e));
  }
  return out;
}

/// Describes a packed row-major float tensor of `extents`; fails naming `what` past cuDNN's
/// limits.
inline void set_packed(cudnnTensorDescriptor_t desc, const std::vector<std::int64_t>& extents,
                       std::string_view what) {
  if (!fits_int(element_count(extents)))
    throw gpu_error(fmt::format("{} {} has more than 2^31 elements, cuDNN's limit for one "
                                "tensor; use smaller batches",
                                what, to_string(extents)));
  auto dims = to_int(extents, what);
  std::vector<int> strides(dims.size(), 1);
  for (std::size_t d = dims.size() - 1; d-- > 0;)
    strides[d] = strides[d + 1] * dims[d + 1];
  check(cudnnSetTensorNdDescriptor(desc, CUDNN_DATA_FLOAT, static_cast<int>(dims.size()),
                                   dims.data(), strides.data()),
        "cudnnSetTensorNdDescriptor");
}

} // namespace hogar::nn
