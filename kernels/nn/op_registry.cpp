// op_registry.cpp: the table of supported ONNX operators (op.hpp), and what can run where.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "kernels/nn/binary.hpp"
#include "kernels/nn/op.hpp"

namespace hogar::nn {

namespace {

/// Sorted by op type (all_ops() promises it; find_op relies on it).
std::vector<op_definition> make_table() {
  std::vector<op_definition> ops = {
    {"Add", infer_binary, bind_binary_reference, bind_binary_cpu, gpu_support::float32},
    {"Div", infer_binary, bind_binary_reference, bind_binary_cpu, gpu_support::float32},
    {"Mul", infer_binary, bind_binary_reference, bind_binary_cpu, gpu_support::float32},
    {"Sub", infer_binary, bind_binary_reference, bind_binary_cpu, gpu_support::float32},
  };
  std::sort(ops.begin(), ops.end(),
            [](auto& a, auto& b) { return a.op_type < b.op_type; });
  return ops;
}

const std::vector<op_definition>& table() {
  static const std::vector<op_definition> ops = make_table();
  return ops;
}

} // namespace

std::string_view to_string(device d) noexcept {
  switch (d) {
    case device::reference: return "reference";
    case device::cpu: return "cpu";
    case device::gpu: return "gpu";
  }
  return "?";
}

std::optional<device> device_from_string(std::string_view name) noexcept {
  for (auto d : {device::reference, device::cpu, device::gpu})
    if (name == to_string(d))
      return d;
  return std::nullopt;
}

error_info node_view::error(std::string_view message) const {
  return fail(errc::invalid_argument, fmt::format("{}: {}", node.describe(), message));
}

const op_definition* find_op(std::string_view op_type) noexcept {
  auto& ops = table();
  auto it = std::lower_bound(ops.begin(), ops.end(), op_type,
                             [](const op_definition& d, std::string_view t) { return d.op_type < t; });
  return it != ops.end() && it->op_type == op_type ? &*it : nullptr;
}

std::span<const op_definition> all_ops() noexcept {
  return table();
}

std::string supported_op_list() {
  std::vector<std::string_view> names;
  for (auto& op : table())
    names.push_back(op.op_type);
  return fmt::format("{}", fmt::join(names, ", "));
}

support supports(std::string_view op_type, device d, dtype type) {
  auto* op = find_op(op_type);
  if (!op)
    return {false, fmt::format("{} is not an operator hogar runs", op_type)};
  switch (d) {
    case device::reference:
    case device::cpu:
      // The reference twin runs every dtype the op's inference accepts; the fast path falls
      // back to it per node.
      return {};
    case device::gpu:
      if (op->gpu == gpu_support::none)
        return {false, fmt::format("{} has no GPU kernel", op_type)};
      if (op->gpu == gpu_support::float32 && type != dtype::float32)
        return {false, fmt::format("{} runs float32 on the GPU, not {}", op_type, to_string(type))};
      return {};
  }
  return {false, "unknown device"};
}

} // namespace hogar::nn
