#include "kernels/onnx/model_graph.hpp"

#include <fmt/format.h>

namespace hogar::onnx {

namespace {

/// The attribute's type as ONNX names it, for messages.
std::string_view type_name(const attribute_value& v) {
  switch (v.index()) {
    case 0: return "INT";
    case 1: return "FLOAT";
    case 2: return "STRING";
    case 3: return "INTS";
    case 4: return "FLOATS";
    case 5: return "STRINGS";
    case 6: return "TENSOR";
  }
  return "?";
}

template <class T>
result<T> get_typed(const attribute_reader& reader, const node& n, std::string_view name,
                    std::string_view wanted, std::optional<T> fallback) {
  auto* a = n.find(name);
  if (!a) {
    if (fallback)
      return std::move(*fallback);
    return reader.error(name, "is required");
  }
  if (auto* v = std::get_if<T>(&a->value))
    return *v;
  return reader.error(name, fmt::format("must be {}, got {}", wanted, type_name(a->value)));
}

} // namespace

bool shape_within_limit(const shape_t& shape) noexcept {
  std::int64_t product = 1;
  for (auto extent : shape) {
    if (extent < 0)
      return false;
    if (extent != 0) {
      // Compared before multiplying: the product never passes the limit, so never overflows.
      if (extent > max_value_elements / product)
        return false;
      product *= extent;
    }
  }
  return true;
}

std::string to_string(const value_info& v) {
  return fmt::format("{}{}", hogar::to_string(v.type), hogar::to_string(v.shape));
}

const attribute* node::find(std::string_view attribute_name) const noexcept {
  for (auto& a : attributes)
    if (a.name == attribute_name)
      return &a;
  return nullptr;
}

std::string node::describe() const {
  return fmt::format("node '{}' ({})", name, op_type);
}

error_info attribute_reader::error(std::string_view attribute_name,
                                   std::string_view message) const {
  return fail(errc::invalid_argument,
              fmt::format("{}: attribute '{}' {}", node_.describe(), attribute_name, message));
}

result<std::int64_t> attribute_reader::get_int(std::string_view name,
                                               std::int64_t fallback) const {
  return get_typed<std::int64_t>(*this, node_, name, "an INT", fallback);
}

result<float> attribute_reader::get_float(std::string_view name, float fallback) const {
  // Some exporters write integral values of FLOAT attributes as INT.
  if (auto* a = node_.find(name); a && std::holds_alternative<std::int64_t>(a->value))
    return static_cast<float>(std::get<std::int64_t>(a->value));
  return get_typed<float>(*this, node_, name, "a FLOAT", fallback);
}

result<std::string> attribute_reader::get_string(std::string_view name,
                                                 std::string fallback) const {
  return get_typed<std::string>(*this, node_, name, "a STRING", std::move(fallback));
}

result<std::vector<std::int64_t>> attribute_reader::get_ints(
  std::string_view name, std::vector<std::int64_t> fallback) const {
  return get_typed<std::vector<std::int64_t>>(*this, node_, name, "INTS", std::move(fallback));
}

result<std::vector<float>> attribute_reader::get_floats(std::string_view name,
                                                        std::vector<float> fallback) const {
  return get_typed<std::vector<float>>(*this, node_, name, "FLOATS", std::move(fallback));
}

result<std::int64_t> attribute_reader::require_int(std::string_view name) const {
  return get_typed<std::int64_t>(*this, node_, name, "an INT", std::nullopt);
}

result<std::vector<std::int64_t>> attribute_reader::require_ints(std::string_view name) const {
  return get_typed<std::vector<std::int64_t>>(*this, node_, name, "INTS", std::nullopt);
}

result<tensor> attribute_reader::require_tensor(std::string_view name) const {
  return get_typed<tensor>(*this, node_, name, "a TENSOR", std::nullopt);
}

const tensor* model_graph::find_initializer(std::string_view value_name) const noexcept {
  auto it = initializers.find(value_name);
  return it == initializers.end() ? nullptr : &it->second;
}

} // namespace hogar::onnx
