#include "kernels/tensor_json.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "kernels/json_reader.hpp"
#include "kernels/ops/common.hpp"

namespace hogar {

namespace {

using nlohmann::json;
using simdjson::dom::element;
using simdjson::dom::element_type;

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

/// Calls `leaf(value)` for every value under `data` that is not an array, depth first (row-major
/// for nested data), until `leaf` returns false. Iterative: the nesting is the client's.
template <class Leaf>
bool for_each_leaf(const element& data, Leaf&& leaf) {
  if (!data.is_array())
    return leaf(data);
  using iterator = simdjson::dom::array::iterator;
  std::vector<std::pair<iterator, iterator>> open;
  auto top = array_of(data);
  open.emplace_back(top.begin(), top.end());
  while (!open.empty()) {
    auto& [next, end] = open.back();
    if (next == end) {
      open.pop_back();
      continue;
    }
    element value = *next;
    ++next;
    if (value.is_array()) {
      auto inner = array_of(value);
      open.emplace_back(inner.begin(), inner.end());
    } else if (!leaf(value)) {
      return false;
    }
  }
  return true;
}

/// The member `key` of an object, or nullopt.
std::optional<element> member(const element& object, std::string_view key) {
  element value;
  if (object.at_key(key).get(value))
    return std::nullopt;
  return value;
}

/// Converts one JSON value to T, checking that it fits the dtype. Empty on success, else what
/// is wrong with it ("does not fit UINT8 (0..255)").
template <class T>
std::string convert(const element& v, dtype type, T& value) {
  auto kserve = to_kserve_string(type);
  if (type == dtype::boolean) {
    if (v.type() == element_type::BOOL) {
      value = bool(v) ? 1 : 0;
      return {};
    }
    if (v.type() == element_type::INT64 && (int64_t(v) == 0 || int64_t(v) == 1)) {
      value = static_cast<T>(int64_t(v));
      return {};
    }
    return "is not a BOOL (true, false, 0 or 1)";
  }
  if (!v.is_number())
    return fmt::format("is not a number ({})", kserve);
  if constexpr (std::is_floating_point_v<T>) {
    double d = v.type() == element_type::DOUBLE  ? double(v)
               : v.type() == element_type::INT64 ? static_cast<double>(int64_t(v))
                                                 : static_cast<double>(uint64_t(v));
    if (std::isfinite(d) && std::fabs(d) > static_cast<double>(std::numeric_limits<T>::max()))
      return fmt::format("does not fit {}", kserve);
    value = static_cast<T>(d);
    return {};
  } else {
    constexpr auto lo = static_cast<std::int64_t>(std::numeric_limits<T>::lowest());
    constexpr auto hi = static_cast<std::int64_t>(std::numeric_limits<T>::max());
    // Formatted only on failure: this runs once per element of every JSON tensor.
    auto range = [&] { return fmt::format("does not fit {} ({}..{})", kserve, lo, hi); };
    std::int64_t i = 0;
    switch (v.type()) {
      case element_type::UINT64: return range(); // simdjson uses it only above INT64's range
      case element_type::INT64: i = int64_t(v); break;
      default: {
        double d = double(v);
        if (d != std::floor(d))
          return fmt::format("is not an integer ({})", kserve);
        // 2^63 and above do not fit any of our integer types.
        if (d < -9.2233720368547758e18 || d >= 9.2233720368547758e18)
          return range();
        i = static_cast<std::int64_t>(d);
      }
    }
    if (i < lo || i > hi)
      return range();
    value = static_cast<T>(i);
    return {};
  }
}

/// Writes the leaves of `data` (already counted: exactly the tensor's element count) into the
/// tensor's T buffer. Empty on success, else the message naming the input and the element.
template <class T>
std::string read_values(std::string_view name, dtype type, const element& data, T* out) {
  std::int64_t index = 0;
  std::string problem;
  for_each_leaf(data, [&](const element& v) {
    if (auto what = convert<T>(v, type, out[index]); !what.empty()) {
      problem = fmt::format("input '{}': data[{}] = {} {}", name, index, brief(v), what);
      return false;
    }
    ++index;
    return true;
  });
  return problem;
}

/// What an input object says about its tensor besides the values: checked name, datatype and
/// shape, and the element count the shape asks for.
struct tensor_header {
  std::string name;
  dtype type = dtype::float32;
  shape_t shape;
  std::int64_t elements = 0;
};

/// One extent of a shape, or why it is not one.
result<std::int64_t> read_extent(const std::string& name, std::size_t index, const element& v) {
  auto bad = [&](std::string_view what) {
    return fail(errc::invalid_argument,
                fmt::format("input '{}': shape[{}] = {} {}", name, index, brief(v), what));
  };
  switch (v.type()) {
    case element_type::INT64:
      if (int64_t(v) < 0)
        return bad("must be a non-negative integer");
      return int64_t(v);
    case element_type::UINT64: return bad("is too large");
    case element_type::DOUBLE: {
      double d = double(v);
      if (d >= 9.2233720368547758e18 && d == std::floor(d))
        return bad("is too large");
      return bad("must be a non-negative integer");
    }
    default: return bad("must be a non-negative integer");
  }
}

result<tensor_header> read_tensor_header(const element& j) {
  if (!j.is_object())
    return fail(errc::invalid_argument,
                fmt::format("input: expected an object with name, datatype, shape and data, "
                            "got {}",
                            brief(j)));
  auto name_value = member(j, "name");
  if (!name_value || !name_value->is_string() || string_of(*name_value).empty())
    return fail(errc::invalid_argument, "input: \"name\" must be a non-empty string");
  std::string name{string_of(*name_value)};

  auto type_value = member(j, "datatype");
  if (!type_value || !type_value->is_string())
    return fail(errc::invalid_argument,
                fmt::format("input '{}': \"datatype\" must be a string such as \"FP32\"", name));
  auto type_name = string_of(*type_value);
  auto type = dtype_from_string(type_name);
  if (!type)
    return fail(errc::invalid_argument,
                fmt::format("input '{}': datatype '{}' is not supported (FP32, FP64, INT8, "
                            "INT32, INT64, UINT8 or BOOL)",
                            name, type_name.substr(0, 40)));

  auto shape_value = member(j, "shape");
  if (!shape_value || !shape_value->is_array())
    return fail(errc::invalid_argument,
                fmt::format("input '{}': \"shape\" must be an array of extents", name));
  shape_t shape;
  std::int64_t expected = 1;
  bool too_large = false;
  for (element extent_value : array_of(*shape_value)) {
    if (shape.size() == kserve_max_rank)
      return fail(errc::invalid_argument,
                  fmt::format("input '{}': shape has more than {} dimensions", name,
                              kserve_max_rank));
    auto e = read_extent(name, shape.size(), extent_value);
    if (!e)
      return e.error();
    shape.push_back(*e);
    // Bounded by the largest byte count of any dtype so that elements * dtype_size never
    // overflows either.
    if (*e != 0 && expected > std::numeric_limits<std::int64_t>::max() / 8 / *e)
      too_large = true;
    else
      expected *= *e;
  }
  if (too_large)
    return fail(errc::invalid_argument,
                fmt::format("input '{}': shape {} is too large", name, to_string(shape)));
  return tensor_header{std::move(name), *type, std::move(shape), expected};
}

/// The "binary_data_size" of an input's "parameters" (Triton's binary tensor extension), nullopt
/// when the input carries its values in "data".
result<std::optional<std::int64_t>> binary_data_size(const element& input,
                                                     std::string_view name) {
  auto params = member(input, "parameters");
  if (!params)
    return std::optional<std::int64_t>{};
  if (!params->is_object())
    return fail(errc::invalid_argument,
                fmt::format("input '{}': \"parameters\" must be an object", name));
  auto size = member(*params, "binary_data_size");
  if (!size)
    return std::optional<std::int64_t>{};
  if (size->type() != element_type::INT64 || int64_t(*size) < 0)
    return fail(errc::invalid_argument,
                fmt::format("input '{}': parameters.binary_data_size must be a non-negative "
                            "integer of at most {}, got {}",
                            name, std::numeric_limits<std::int64_t>::max(), brief(*size)));
  return std::optional<std::int64_t>{int64_t(*size)};
}

} // namespace

result<named_tensor> tensor_from_kserve_json(const element& j) {
  auto header = read_tensor_header(j);
  if (!header)
    return header.error();
  const std::string& name = header->name;
  const std::int64_t expected = header->elements;

  auto data = member(j, "data");
  if (!data)
    return fail(errc::invalid_argument, fmt::format("input '{}': \"data\" is missing", name));

  // Count first: a request whose data is shorter than its shape must not make us allocate the
  // shape's size.
  std::int64_t leaves = 0;
  for_each_leaf(*data, [&](const element&) {
    ++leaves;
    return true;
  });
  if (leaves != expected)
    return fail(errc::invalid_argument,
                fmt::format("input '{}': shape {} needs {} values, got {}", name,
                            to_string(header->shape), expected, leaves));

  try {
    tensor value{header->type, header->shape};
    auto error = ops::visit_dtype(header->type, [&](auto zero) {
      using T = decltype(zero);
      return read_values<T>(name, header->type, *data, ops::raw_mutable_values<T>(value));
    });
    if (!error.empty())
      return fail(errc::invalid_argument, std::move(error));
    return named_tensor{name, std::move(value)};
  } catch (const std::exception& e) {
    return fail(errc::invalid_argument, fmt::format("input '{}': {}", name, e.what()));
  }
}

result<named_tensor> tensor_from_kserve_binary(const element& j, std::span<const char> bytes) {
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

result<record> record_from_kserve_request(const element& body, std::span<const char> binary) {
  if (!body.is_object())
    return fail(errc::invalid_argument, "request: the body must be a JSON object");
  auto inputs = member(body, "inputs");
  if (!inputs || !inputs->is_array())
    return fail(errc::invalid_argument,
                "request: \"inputs\" must be an array of tensors ({\"name\", \"datatype\", "
                "\"shape\", \"data\"})");
  record r;
  std::unordered_set<std::string> names;
  std::size_t index = 0;
  // Binary inputs take their bytes from `binary` one after the other, in input order.
  std::size_t offset = 0;
  for (element input : array_of(*inputs)) {
    // Errors of a named input name it; a nameless one is pointed at by its index.
    auto name = input.is_object() ? member(input, "name") : std::nullopt;
    if (!name || !name->is_string() || string_of(*name).empty())
      return fail(errc::invalid_argument,
                  fmt::format("inputs[{}]: expected an object with a non-empty \"name\", "
                              "\"datatype\", \"shape\" and \"data\"",
                              index));
    std::string_view input_name = string_of(*name);
    auto size = binary_data_size(input, input_name);
    if (!size)
      return size.error();
    // An input carries its values either in "data" or as the next bytes of `binary`.
    auto read_input = [&]() -> result<named_tensor> {
      if (!size->has_value())
        return tensor_from_kserve_json(input);
      auto wanted = static_cast<std::size_t>(**size);
      if (member(input, "data"))
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

result<record> record_from_kserve_request(std::string_view json_text,
                                          std::span<const char> binary) {
  json_reader reader{default_json_max_depth};
  auto body = reader.parse(json_text);
  if (!body)
    return body.error();
  return record_from_kserve_request(*body, binary);
}

json kserve_outputs_json(const record& r) {
  json outputs = json::array();
  for (auto& t : r)
    outputs.push_back(to_kserve_json(t));
  return outputs;
}

} // namespace hogar
