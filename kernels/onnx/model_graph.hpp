// model_graph.hpp: an ONNX model as plain data, free of protobuf: its inputs and outputs, its
// weights (initializers) as hogar tensors, and its nodes in execution order. Produced by
// onnx_reader.hpp, rewritten by optimize.hpp, compiled for a device by plan.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.hpp"
#include "kernels/tensor.hpp"

namespace hogar::onnx {

// The to_string overloads of hogar (shapes, dtypes) stay visible next to onnx's own.
using hogar::to_string;

/// The most elements one value of a model may hold, counting only its nonzero extents: 2^40,
/// far more than any memory, few enough that no product of a value's extents (or of one with
/// an element size) overflows int64. Without the bound a shape from a file or a request, such
/// as [0, 2^62, 2^62] (no elements at all), would overflow the shape arithmetic of the ops.
/// The reader refuses declared shapes and weights beyond it; planning refuses request shapes
/// and node outputs beyond it.
inline constexpr std::int64_t max_value_elements = std::int64_t{1} << 40;

/// Whether every extent is non-negative and the nonzero ones multiply to at most
/// max_value_elements.
bool shape_within_limit(const shape_t& shape) noexcept;

/// A graph input or output: dtype and extents, -1 where the model leaves an extent open (a
/// dynamic batch dimension, or any dim_param).
struct value_info {
  std::string name;
  dtype type = dtype::float32;
  shape_t shape;
};

/// "float32[-1, 3, 224, 224]"
std::string to_string(const value_info& v);

/// The value of one node attribute. ONNX attribute types map to: INT -> int64, FLOAT -> float,
/// STRING -> string, INTS -> vector<int64>, FLOATS -> vector<float>, STRINGS -> vector<string>,
/// TENSOR -> tensor. Graph-valued attributes (If, Loop) are refused at load time.
using attribute_value = std::variant<std::int64_t, float, std::string, std::vector<std::int64_t>,
                                     std::vector<float>, std::vector<std::string>, tensor>;

struct attribute {
  std::string name;
  attribute_value value;
};

/// One operator application. Inputs and outputs are value names; an empty input name is an
/// optional input left out (ONNX's convention).
struct node {
  std::string op_type;
  /// The node's name, or "OpType#index" when the file leaves it empty, so that every message
  /// can point at a node.
  std::string name;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<attribute> attributes;
  /// The operator set the op type belongs to: empty for ONNX's default domain (a file's
  /// "ai.onnx" reads as empty too), "com.microsoft" for the contrib ops hogar runs (Gelu).
  std::string domain = {};

  const attribute* find(std::string_view attribute_name) const noexcept;
  /// Whether input i is given (present and not the empty name).
  bool has_input(std::size_t i) const noexcept { return i < inputs.size() && !inputs[i].empty(); }
  /// "node 'conv1' (Conv)", the prefix of every message about this node.
  std::string describe() const;
};

/// Typed access to a node's attributes. Getters return the default when the attribute is
/// absent and fail, naming the node and the attribute, when it has the wrong type.
class attribute_reader {
public:
  explicit attribute_reader(const node& n) : node_(n) {}

  result<std::int64_t> get_int(std::string_view name, std::int64_t fallback) const;
  result<float> get_float(std::string_view name, float fallback) const;
  result<std::string> get_string(std::string_view name, std::string fallback) const;
  result<std::vector<std::int64_t>> get_ints(std::string_view name,
                                             std::vector<std::int64_t> fallback = {}) const;
  result<std::vector<float>> get_floats(std::string_view name,
                                        std::vector<float> fallback = {}) const;
  /// A required attribute: absent fails.
  result<std::int64_t> require_int(std::string_view name) const;
  result<std::vector<std::int64_t>> require_ints(std::string_view name) const;
  result<tensor> require_tensor(std::string_view name) const;
  bool has(std::string_view name) const noexcept { return node_.find(name) != nullptr; }

  /// An errc::invalid_argument naming the node and the attribute.
  error_info error(std::string_view attribute_name, std::string_view message) const;

private:
  const node& node_;
};

struct model_graph {
  /// The file it was read from (or the name given to parse_onnx), for messages.
  std::string source;
  /// The graph's own name inside the file.
  std::string name;
  std::string producer;
  std::int64_t ir_version = 0;
  /// Opset version of the default domain ("" / "ai.onnx"): it decides attribute defaults and
  /// whether some arguments are attributes or inputs (Clip's min and max, Reshape's shape).
  std::int64_t opset = 0;
  /// Inputs a request must supply (graph inputs that are not initializers), in file order.
  std::vector<value_info> inputs;
  std::vector<value_info> outputs;
  /// Weights and other constants, by value name.
  std::map<std::string, tensor, std::less<>> initializers;
  /// In execution order: every input of a node is a graph input, an initializer or an output
  /// of an earlier node (checked by the reader).
  std::vector<node> nodes;

  const tensor* find_initializer(std::string_view value_name) const noexcept;
};

} // namespace hogar::onnx
