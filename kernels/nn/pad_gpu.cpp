// pad_gpu.cpp: Pad on the GPU, for every dtype (pad.cu); a request's constant_value is read
// by the kernel from device memory, so nothing synchronises.
#include <fmt/format.h>

#include "kernels/nn/gpu.hpp"
#include "kernels/nn/pad.cuh"
#include "kernels/nn/pad.hpp"

namespace hogar::nn {

static_assert(static_cast<int>(pad_mode::constant) == cuda::pad_mode_constant &&
              static_cast<int>(pad_mode::reflect) == cuda::pad_mode_reflect &&
              static_cast<int>(pad_mode::edge) == cuda::pad_mode_edge);

result<gpu_kernel> bind_pad_gpu(const node_view& view, std::span<const value_type>,
                                const gpu_context& ctx) {
  auto params = pad_params_of(view);
  if (!params)
    return params.error();
  auto p = std::move(*params);
  // A scalar pads as a single element of shape [1].
  if (p.out_shape.empty()) {
    p.out_shape = {1};
    p.in_shape = {1};
    p.begin = {0};
  }
  const auto out = to_dims(p.out_shape, "the padded output");
  const auto in = to_dims(p.in_shape, "the padded input");
  const auto begin = to_dims(p.begin, "the pads");
  const int mode = static_cast<int>(p.mode);
  const auto element_size = p.element_size;
  const auto value_bits = p.value_bits;
  const bool value_input = p.value_input;
  gpu_kernel k;
  k.run = [=, stream = ctx.stream](const gpu_buffers& io) {
    check(cuda::launch_pad(io.inputs[0], io.outputs[0], element_size, out, in, begin, mode,
                           value_input ? io.inputs[2] : nullptr, value_bits, stream),
          "pad kernel");
  };
  return k;
}

} // namespace hogar::nn
