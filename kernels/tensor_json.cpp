#include "kernels/tensor_json.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_set>

#include <fmt/format.h>

#include "kernels/ops/common.hpp"

namespace hogar {

namespace {

using nlohmann::json;

/// The double whose shortest decimal form is the float's, so that 0.1f is written as 0.1 and
/// not 0.10000000149011612; it reads back as the same float.
double float_for_json(float f) {
  if (!std::isfinite(f))
    return static_cast<double>(f);
  char buffer[32];
  auto written = std::to_chars(buffer, buffer + sizeof buffer, f);
  double d = static_cast<double>(f);
  std::from_chars(buffer, written.ptr, d);
  return d;
}

/// A short rendering of a JSON value for error messages.
std::string brief(const json& v) {
  auto text = v.dump();
  if (text.size() > 40)
    text = text.substr(0, 37) + "...";
  return text;
}

/// Writes the leaves of `data` (flat or nested arrays, already counted: exactly `expected`)
/// into a T buffer, checking that each value fits the dtype.
template <class T>
class data_reader {
public:
  data_reader(std::string_view name, dtype type, T* out, std::int64_t expected)
    : name_(name), type_(type), out_(out), expected_(expected) {}

  /// Empty on success, else the message.
  std::string read(const json& node) {
    if (node.is_array()) {
      for (auto& child : node) {
        auto error = read(child);
        if (!error.empty())
          return error;
      }
      return {};
    }
    std::int64_t index = count_++;
    T value{};
    auto error = convert(node, index, value);
    if (!error.empty())
      return error;
    if (index < expected_)
      out_[index] = value;
    return {};
  }

private:
  std::string problem(std::int64_t index, const json& v, std::string_view what) const {
    return fmt::format("input '{}': data[{}] = {} {}", name_, index, brief(v), what);
  }

  std::string convert(const json& v, std::int64_t index, T& value) const {
    auto kserve = to_kserve_string(type_);
    if (type_ == dtype::boolean) {
      if (v.is_boolean()) {
        value = v.get<bool>() ? 1 : 0;
        return {};
      }
      if (v.is_number_integer() && (v.get<std::int64_t>() == 0 || v.get<std::int64_t>() == 1)) {
        value = static_cast<T>(v.get<std::int64_t>());
        return {};
      }
      return problem(index, v, "is not a BOOL (true, false, 0 or 1)");
    }
    if (!v.is_number())
      return problem(index, v, fmt::format("is not a number ({})", kserve));
    if constexpr (std::is_floating_point_v<T>) {
      double d = v.get<double>();
      if (std::isfinite(d) && std::fabs(d) > static_cast<double>(std::numeric_limits<T>::max()))
        return problem(index, v, fmt::format("does not fit {}", kserve));
      value = static_cast<T>(d);
      return {};
    } else {
      constexpr auto lo = static_cast<std::int64_t>(std::numeric_limits<T>::lowest());
      constexpr auto hi = static_cast<std::int64_t>(std::numeric_limits<T>::max());
      // Formatted only on failure: this runs once per element of every JSON tensor.
      auto range = [&] { return fmt::format("does not fit {} ({}..{})", kserve, lo, hi); };
      std::int64_t i = 0;
      if (v.is_number_unsigned()) {
        auto u = v.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(hi))
          return problem(index, v, range());
        i = static_cast<std::int64_t>(u);
      } else if (v.is_number_integer()) {
        i = v.get<std::int64_t>();
      } else {
        double d = v.get<double>();
        if (d != std::floor(d))
          return problem(index, v, fmt::format("is not an integer ({})", kserve));
        // 2^63 and above do not fit any of our integer types.
        if (d < -9.2233720368547758e18 || d >= 9.2233720368547758e18)
          return problem(index, v, range());
        i = static_cast<std::int64_t>(d);
      }
      if (i < lo || i > hi)
        return problem(index, v, range());
      value = static_cast<T>(i);
      return {};
    }
  }

  std::string_view name_;
  dtype type_;
  T* out_;
  std::int64_t expected_;
  std::int64_t count_ = 0;
};

/// What an input object says about its tensor besides the values: checked name, datatype and
/// shape, and the element count the shape asks for.
struct tensor_header {
  std::string name;
  dtype type = dtype::float32;
  shape_t shape;
  std::int64_t elements = 0;
};

result<tensor_header> read_tensor_header(const json& j) {
  if (!j.is_object())
    return fail(errc::invalid_argument,
                fmt::format("input: expected an object with name, datatype, shape and data, "
                            "got {}",
                            brief(j)));
  auto name_it = j.find("name");
  if (name_it == j.end() || !name_it->is_string() || name_it->get_ref<const std::string&>().empty())
    return fail(errc::invalid_argument, "input: \"name\" must be a non-empty string");
  const std::string& name = name_it->get_ref<const std::string&>();

  auto type_it = j.find("datatype");
  if (type_it == j.end() || !type_it->is_string())
    return fail(errc::invalid_argument,
                fmt::format("input '{}': \"datatype\" must be a string such as \"FP32\"", name));
  auto type = dtype_from_string(type_it->get_ref<const std::string&>());
  if (!type)
    return fail(errc::invalid_argument,
                fmt::format("input '{}': datatype '{}' is not supported (FP32, FP64, INT8, "
                            "INT32, INT64, UINT8 or BOOL)",
                            name, type_it->get_ref<const std::string&>()));

  auto shape_it = j.find("shape");
  if (shape_it == j.end() || !shape_it->is_array())
    return fail(errc::invalid_argument,
                fmt::format("input '{}': \"shape\" must be an array of extents", name));
  shape_t shape;
  std::int64_t expected = 1;
  bool too_large = false;
  for (auto& extent : *shape_it) {
    if (!extent.is_number_integer() || extent.get<std::int64_t>() < 0)
      return fail(errc::invalid_argument,
                  fmt::format("input '{}': shape {} must hold non-negative integers", name,
                              brief(*shape_it)));
    auto e = extent.get<std::int64_t>();
    shape.push_back(e);
    // Bounded by the largest byte count of any dtype so that elements * dtype_size never
    // overflows either.
    if (e != 0 && expected > std::numeric_limits<std::int64_t>::max() / 8 / e)
      too_large = true;
    else
      expected *= e;
  }
  if (too_large)
    return fail(errc::invalid_argument,
                fmt::format("input '{}': shape {} is too large", name, to_string(shape)));
  return tensor_header{name, *type, std::move(shape), expected};
}

/// The "binary_data_size" of an input's "parameters" (Triton's binary tensor extension), nullopt
/// when the input carries its values in "data".
result<std::optional<std::int64_t>> binary_data_size(const json& input, const std::string& name) {
  auto params = input.find("parameters");
  if (params == input.end())
    return std::optional<std::int64_t>{};
  if (!params->is_object())
    return fail(errc::invalid_argument,
                fmt::format("input '{}': \"parameters\" must be an object", name));
  auto size = params->find("binary_data_size");
  if (size == params->end())
    return std::optional<std::int64_t>{};
  if (!size->is_number_integer() || size->get<std::int64_t>() < 0)
    return fail(errc::invalid_argument,
                fmt::format("input '{}': parameters.binary_data_size must be a non-negative "
                            "integer, got {}",
                            name, brief(*size)));
  return std::optional<std::int64_t>{size->get<std::int64_t>()};
}

} // namespace

result<named_tensor> tensor_from_kserve_json(const json& j) {
  auto header = read_tensor_header(j);
  if (!header)
    return header.error();
  const std::string& name = header->name;
  const dtype type = header->type;
  const shape_t& shape = header->shape;
  const std::int64_t expected = header->elements;

  auto data_it = j.find("data");
  if (data_it == j.end())
    return fail(errc::invalid_argument, fmt::format("input '{}': \"data\" is missing", name));

  // Count first: a request whose data is shorter than its shape must not make us allocate the
  // shape's size.
  std::int64_t leaves = 0;
  auto count_leaves = [&](auto& self, const json& node) -> void {
    if (node.is_array())
      for (auto& child : node)
        self(self, child);
    else
      ++leaves;
  };
  count_leaves(count_leaves, *data_it);
  if (leaves != expected)
    return fail(errc::invalid_argument,
                fmt::format("input '{}': shape {} needs {} values, got {}", name,
                            to_string(shape), expected, leaves));

  try {
    tensor value{type, shape};
    auto error = ops::visit_dtype(type, [&](auto zero) {
      using T = decltype(zero);
      data_reader<T> reader{name, type, ops::raw_mutable_values<T>(value), expected};
      return reader.read(*data_it);
    });
    if (!error.empty())
      return fail(errc::invalid_argument, std::move(error));
    return named_tensor{name, std::move(value)};
  } catch (const std::exception& e) {
    return fail(errc::invalid_argument, fmt::format("input '{}': {}", name, e.what()));
  }
}

result<named_tensor> tensor_from_kserve_binary(const json& j, std::span<const char> bytes) {
  auto header = read_tensor_header(j);
  if (!header)
    return header.error();
  const auto needed = static_cast<std::size_t>(header->elements) * dtype_size(header->type);
  if (bytes.size() != needed)
    return fail(errc::invalid_argument,
                fmt::format("input '{}': {} {} needs {} bytes of binary data, got {}",
                            header->name, to_kserve_string(header->type),
                            to_string(header->shape), needed, bytes.size()));
  if (header->type == dtype::boolean)
    for (std::size_t i = 0; i < bytes.size(); ++i)
      if (bytes[i] != 0 && bytes[i] != 1)
        return fail(errc::invalid_argument,
                    fmt::format("input '{}': binary BOOL byte {} is {}, not 0 or 1", header->name,
                                i, static_cast<int>(static_cast<unsigned char>(bytes[i]))));
  try {
    return named_tensor{header->name,
                        tensor{header->type, header->shape,
                               std::vector<char>(bytes.begin(), bytes.end())}};
  } catch (const std::exception& e) {
    return fail(errc::invalid_argument, fmt::format("input '{}': {}", header->name, e.what()));
  }
}

json to_kserve_json(const named_tensor& t) {
  json data = json::array();
  const auto n = t.value.element_count();
  data.get_ref<json::array_t&>().reserve(static_cast<std::size_t>(n));
  ops::visit_dtype(t.value.type(), [&](auto zero) {
    using T = decltype(zero);
    const T* v = ops::raw_values<T>(t.value);
    for (std::int64_t i = 0; i < n; ++i) {
      if (t.value.type() == dtype::boolean)
        data.push_back(v[i] != 0);
      else if constexpr (std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t>)
        data.push_back(static_cast<int>(v[i]));
      else if constexpr (std::is_same_v<T, float>)
        data.push_back(float_for_json(v[i]));
      else
        data.push_back(v[i]);
    }
  });
  return json{{"name", t.name},
              {"datatype", std::string{to_kserve_string(t.value.type())}},
              {"shape", t.value.shape()},
              {"data", std::move(data)}};
}

result<record> record_from_kserve_request(const json& body) {
  return record_from_kserve_request(body, {});
}

result<record> record_from_kserve_request(const json& body, std::span<const char> binary) {
  if (!body.is_object())
    return fail(errc::invalid_argument, "request: the body must be a JSON object");
  auto inputs = body.find("inputs");
  if (inputs == body.end() || !inputs->is_array())
    return fail(errc::invalid_argument,
                "request: \"inputs\" must be an array of tensors ({\"name\", \"datatype\", "
                "\"shape\", \"data\"})");
  record r;
  r.reserve(inputs->size());
  std::unordered_set<std::string> names;
  std::size_t index = 0;
  // Binary inputs take their bytes from `binary` one after the other, in input order.
  std::size_t offset = 0;
  for (auto& input : *inputs) {
    // Errors of a named input name it; a nameless one is pointed at by its index.
    auto name = input.is_object() ? input.find("name") : input.end();
    if (!input.is_object() || name == input.end() || !name->is_string() ||
        name->get_ref<const std::string&>().empty())
      return fail(errc::invalid_argument,
                  fmt::format("inputs[{}]: expected an object with a non-empty \"name\", "
                              "\"datatype\", \"shape\" and \"data\"",
                              index));
    const auto& input_name = name->get_ref<const std::string&>();
    auto size = binary_data_size(input, input_name);
    if (!size)
      return size.error();
    // An input carries its values either in "data" or as the next bytes of `binary`.
    auto read_input = [&]() -> result<named_tensor> {
      if (!size->has_value())
        return tensor_from_kserve_json(input);
      auto wanted = static_cast<std::size_t>(**size);
      if (input.contains("data"))
        return fail(errc::invalid_argument,
                    fmt::format("input '{}': give either \"data\" or "
                                "parameters.binary_data_size, not both",
                                input_name));
      if (wanted > binary.size() - offset)
        return fail(errc::invalid_argument,
                    fmt::format("input '{}': binary_data_size {} runs past the binary data ({} "
                                "bytes after the JSON, {} of them left); binary inputs follow "
                                "the JSON, whose length the Inference-Header-Content-Length "
                                "header gives",
                                input_name, wanted, binary.size(), binary.size() - offset));
      auto bytes = binary.subspan(offset, wanted);
      offset += wanted;
      return tensor_from_kserve_binary(input, bytes);
    };
    auto t = read_input();
    if (!t)
      return t.error();
    if (!names.insert(t->name).second)
      return fail(errc::invalid_argument,
                  fmt::format("inputs[{}]: input '{}' is given twice", index, t->name));
    r.push_back(std::move(*t));
    ++index;
  }
  if (offset != binary.size())
    return fail(errc::invalid_argument,
                fmt::format("request: {} bytes of binary data follow the JSON but no input "
                            "claims them (parameters.binary_data_size)",
                            binary.size() - offset));
  return r;
}

json kserve_outputs_json(const record& r) {
  json outputs = json::array();
  for (auto& t : r)
    outputs.push_back(to_kserve_json(t));
  return outputs;
}

} // namespace hogar
