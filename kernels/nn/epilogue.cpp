#include "kernels/nn/epilogue.hpp"

#include <fmt/format.h>

#include "kernels/nn/simd.hpp"

namespace hogar::nn {

result<epilogue> epilogue_of(const onnx::node& n) {
  epilogue e;
  onnx::attribute_reader attrs{n};
  if (!attrs.has(fused_activation_attr))
    return e;
  auto name = attrs.get_string(fused_activation_attr, "");
  if (!name)
    return name.error();
  if (*name == "Relu") e.kind = activation::relu;
  else if (*name == "LeakyRelu") e.kind = activation::leaky_relu;
  else if (*name == "Clip") e.kind = activation::clip;
  else if (*name == "Sigmoid") e.kind = activation::sigmoid;
  else if (*name == "Tanh") e.kind = activation::tanh;
  else if (*name == "Silu") e.kind = activation::silu;
  else if (*name == "Gelu") e.kind = activation::gelu;
  else
    return attrs.error(fused_activation_attr, fmt::format("names no fusable activation: '{}'", *name));
  auto alpha = attrs.get_float(fused_alpha_attr, e.alpha);
  auto lo = attrs.get_float(fused_min_attr, e.min);
  auto hi = attrs.get_float(fused_max_attr, e.max);
  if (!alpha) return alpha.error();
  if (!lo) return lo.error();
  if (!hi) return hi.error();
  e.alpha = *alpha;
  e.min = *lo;
  e.max = *hi;
  return e;
}

void apply(const epilogue& e, float* data, std::int64_t n) noexcept {
  simd::activate(data, data, n, e);
}

} // namespace hogar::nn
