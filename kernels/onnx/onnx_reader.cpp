#include "kernels/onnx/onnx_reader.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_set>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "kernels/nn/op.hpp"

namespace hogar::onnx {

namespace {

namespace pb = ::onnx;

/// The hogar dtype of an ONNX element type, or nullopt for the ones hogar has none for.
std::optional<dtype> dtype_of(int elem_type) {
  switch (elem_type) {
    case pb::TensorProto_DataType_FLOAT: return dtype::float32;
    case pb::TensorProto_DataType_DOUBLE: return dtype::float64;
    case pb::TensorProto_DataType_INT8: return dtype::int8;
    case pb::TensorProto_DataType_INT32: return dtype::int32;
    case pb::TensorProto_DataType_INT64: return dtype::int64;
    case pb::TensorProto_DataType_UINT8: return dtype::uint8;
    case pb::TensorProto_DataType_BOOL: return dtype::boolean;
  }
  return std::nullopt;
}

std::string elem_type_name(int elem_type) {
  if (pb::TensorProto_DataType_IsValid(elem_type))
    return pb::TensorProto_DataType_Name(static_cast<pb::TensorProto_DataType>(elem_type));
  return fmt::format("element type {}", elem_type);
}

/// Copies the typed repeated field of a TensorProto into `out` (already sized), converting.
template <class T, class Field>
void copy_field(const Field& field, tensor& out) {
  auto* dst = reinterpret_cast<T*>(out.mutable_bytes().data());
  for (int i = 0; i < field.size(); ++i)
    dst[i] = static_cast<T>(field.Get(i));
}

result<tensor> tensor_from_proto(const pb::TensorProto& proto, std::string_view what) {
  auto type = dtype_of(proto.data_type());
  if (!type)
    return fail(errc::invalid_argument, fmt::format("{}: element type {} is not supported", what,
                                                    elem_type_name(proto.data_type())));
  if (proto.data_location() == pb::TensorProto_DataLocation_EXTERNAL)
    return fail(errc::invalid_argument,
                fmt::format("{}: the data is stored outside the model file (external data); "
                            "save the model with its weights inside",
                            what));
  shape_t shape;
  for (auto d : proto.dims()) {
    if (d < 0)
      return fail(errc::invalid_argument,
                  fmt::format("{}: negative extent {} in its dims", what, d));
    shape.push_back(d);
  }
  // Also after a zero extent: [0, 2^62, 2^62] holds nothing, but its extents would overflow
  // the shape arithmetic of the ops that read it.
  if (!shape_within_limit(shape))
    return fail(errc::invalid_argument,
                fmt::format("{}: dims too large ({} elements at most, counting nonzero extents)",
                            what, max_value_elements));
  const std::int64_t count = element_count(shape);
  const auto bytes = static_cast<std::size_t>(count) * dtype_size(*type);
  if (proto.has_raw_data()) {
    const auto& raw = proto.raw_data();
    if (raw.size() != bytes)
      return fail(errc::invalid_argument,
                  fmt::format("{}: {}{} needs {} bytes of raw data, the file holds {}", what,
                              to_string(*type), to_string(shape), bytes, raw.size()));
    return tensor{*type, std::move(shape), std::vector<char>(raw.begin(), raw.end())};
  }
  // Typed fields: ONNX stores float in float_data, double in double_data, int64 in
  // int64_data, and every smaller integer type (and bool) in int32_data.
  auto field_size = [&]() -> int {
    switch (*type) {
      case dtype::float32: return proto.float_data_size();
      case dtype::float64: return proto.double_data_size();
      case dtype::int64: return proto.int64_data_size();
      default: return proto.int32_data_size();
    }
  }();
  if (field_size != count)
    return fail(errc::invalid_argument,
                fmt::format("{}: {}{} needs {} values, the file holds {}", what,
                            to_string(*type), to_string(shape), count, field_size));
  tensor out{*type, std::move(shape)};
  switch (*type) {
    case dtype::float32: copy_field<float>(proto.float_data(), out); break;
    case dtype::float64: copy_field<double>(proto.double_data(), out); break;
    case dtype::int64: copy_field<std::int64_t>(proto.int64_data(), out); break;
    case dtype::int32: copy_field<std::int32_t>(proto.int32_data(), out); break;
    case dtype::int8: copy_field<std::int8_t>(proto.int32_data(), out); break;
    case dtype::uint8: copy_field<std::uint8_t>(proto.int32_data(), out); break;
    case dtype::boolean: copy_field<std::uint8_t>(proto.int32_data(), out); break;
  }
  return out;
}

result<value_info> value_info_from_proto(const pb::ValueInfoProto& proto, std::string_view what) {
  value_info v;
  v.name = proto.name();
  if (!proto.has_type() || !proto.type().has_tensor_type())
    return fail(errc::invalid_argument,
                fmt::format("{} '{}': only tensor values are supported", what, v.name));
  const auto& t = proto.type().tensor_type();
  auto type = dtype_of(t.elem_type());
  if (!type)
    return fail(errc::invalid_argument, fmt::format("{} '{}': element type {} is not supported",
                                                    what, v.name, elem_type_name(t.elem_type())));
  v.type = *type;
  if (!t.has_shape())
    return fail(errc::invalid_argument,
                fmt::format("{} '{}': the model gives no shape (not even its rank)", what, v.name));
  for (auto& d : t.shape().dim())
    v.shape.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
  // Open extents (-1) count as 1: what is fixed must fit in one value.
  shape_t fixed = v.shape;
  for (auto& extent : fixed)
    extent = std::max<std::int64_t>(extent, 1);
  if (!shape_within_limit(fixed))
    return fail(errc::invalid_argument,
                fmt::format("{} '{}': shape {} holds more than the {} elements a value may have",
                            what, v.name, to_string(v.shape), max_value_elements));
  return v;
}

result<attribute> attribute_from_proto(const pb::AttributeProto& proto, const node& n) {
  attribute a;
  a.name = proto.name();
  auto bad = [&](std::string_view message) {
    return fail(errc::invalid_argument,
                fmt::format("{}: attribute '{}' {}", n.describe(), a.name, message));
  };
  switch (proto.type()) {
    case pb::AttributeProto_AttributeType_INT: a.value = static_cast<std::int64_t>(proto.i()); break;
    case pb::AttributeProto_AttributeType_FLOAT: a.value = proto.f(); break;
    case pb::AttributeProto_AttributeType_STRING: a.value = proto.s(); break;
    case pb::AttributeProto_AttributeType_INTS:
      a.value = std::vector<std::int64_t>(proto.ints().begin(), proto.ints().end());
      break;
    case pb::AttributeProto_AttributeType_FLOATS:
      a.value = std::vector<float>(proto.floats().begin(), proto.floats().end());
      break;
    case pb::AttributeProto_AttributeType_STRINGS:
      a.value = std::vector<std::string>(proto.strings().begin(), proto.strings().end());
      break;
    case pb::AttributeProto_AttributeType_TENSOR: {
      auto t = tensor_from_proto(proto.t(), fmt::format("{}: attribute '{}'", n.describe(), a.name));
      if (!t)
        return t.error();
      a.value = std::move(*t);
      break;
    }
    case pb::AttributeProto_AttributeType_UNDEFINED:
      // Files written before IR version 2 leave `type` unset: infer it from the field set.
      if (proto.has_i()) a.value = static_cast<std::int64_t>(proto.i());
      else if (proto.has_f()) a.value = proto.f();
      else if (proto.has_s()) a.value = proto.s();
      else if (proto.ints_size() > 0) a.value = std::vector<std::int64_t>(proto.ints().begin(), proto.ints().end());
      else if (proto.floats_size() > 0) a.value = std::vector<float>(proto.floats().begin(), proto.floats().end());
      else return bad("has no type and no value");
      break;
    default:
      return bad(fmt::format("has type {}, which hogar does not support (graphs, sparse tensors)",
                             pb::AttributeProto_AttributeType_Name(proto.type())));
  }
  return a;
}

/// Reads the whole file, refusing what cannot be a model before allocating for it.
result<std::vector<char>> read_file(const std::string& path, std::size_t limit) {
  std::ifstream in{path, std::ios::binary | std::ios::ate};
  if (!in)
    return fail(errc::io_error, fmt::format("{}: cannot open the file", path));
  auto size = static_cast<std::streamoff>(in.tellg());
  if (size < 0)
    return fail(errc::io_error, fmt::format("{}: cannot read the file's size", path));
  if (static_cast<std::size_t>(size) > limit)
    return fail(errc::invalid_argument,
                fmt::format("{}: {} bytes is larger than the {} bytes a model may have", path,
                            size, limit));
  std::vector<char> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(bytes.data(), size))
    return fail(errc::io_error, fmt::format("{}: reading the file failed", path));
  return bytes;
}

} // namespace

result<model_graph> parse_model(std::span<const char> bytes, const std::string& source) {
  pb::ModelProto proto;
  if (bytes.size() > max_model_bytes ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return fail(errc::invalid_argument,
                fmt::format("{}: not an ONNX model (the protobuf does not parse: truncated or "
                            "corrupt file?)",
                            source));
  if (!proto.has_graph() || proto.graph().node_size() == 0)
    return fail(errc::invalid_argument,
                fmt::format("{}: not an ONNX model (no graph, or a graph without nodes)", source));
  model_graph m;
  m.source = source;
  m.ir_version = proto.ir_version();
  m.producer = proto.producer_name();
  for (auto& opset : proto.opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      m.opset = opset.version();
  if (m.opset == 0) {
    // IR version 3 and older files may omit opset_import: they mean opset 1.
    if (proto.opset_import_size() == 0 && m.ir_version <= 3)
      m.opset = 1;
    else
      return fail(errc::invalid_argument,
                  fmt::format("{}: the model imports no opset of the default ONNX domain", source));
  }
  const auto& g = proto.graph();
  m.name = g.name();

  std::unordered_set<std::string> defined;
  for (auto& init : g.initializer()) {
    auto t = tensor_from_proto(init, fmt::format("{}: initializer '{}'", source, init.name()));
    if (!t)
      return t.error();
    defined.insert(init.name());
    m.initializers.insert_or_assign(init.name(), std::move(*t));
  }
  if (g.sparse_initializer_size() > 0)
    return fail(errc::invalid_argument,
                fmt::format("{}: sparse initializers are not supported", source));
  for (auto& in : g.input()) {
    // Before IR version 4 initializers were listed among the inputs too: they are weights.
    if (m.initializers.count(in.name()))
      continue;
    auto v = value_info_from_proto(in, fmt::format("{}: input", source));
    if (!v)
      return v.error();
    defined.insert(v->name);
    m.inputs.push_back(std::move(*v));
  }
  for (auto& out : g.output()) {
    auto v = value_info_from_proto(out, fmt::format("{}: output", source));
    if (!v)
      return v.error();
    m.outputs.push_back(std::move(*v));
  }

  // Unsupported operators are collected first so that one message lists them all.
  std::vector<std::string> unsupported;
  std::set<std::string> unsupported_types;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& np = g.node(i);
    node n;
    n.op_type = np.op_type();
    n.name = np.name().empty() ? fmt::format("{}#{}", np.op_type(), i) : np.name();
    bool default_domain = np.domain().empty() || np.domain() == "ai.onnx";
    // Exporters put a few ops in Microsoft's contrib domain (Gelu before ONNX had one);
    // hogar runs those whose contrib definition is the ONNX one.
    const bool contrib = np.domain() == "com.microsoft" && n.op_type == "Gelu";
    if (contrib)
      n.domain = np.domain();
    if ((!default_domain && !contrib) || !nn::find_op(n.op_type)) {
      unsupported.push_back(default_domain
                              ? n.describe()
                              : fmt::format("{} of domain '{}'", n.describe(), np.domain()));
      unsupported_types.insert(n.op_type);
      // Its outputs count as defined, so that the nodes after it are checked too and the one
      // message lists every unsupported node.
      for (auto& name : np.output())
        if (!name.empty())
          defined.insert(name);
      continue;
    }
    n.inputs.assign(np.input().begin(), np.input().end());
    n.outputs.assign(np.output().begin(), np.output().end());
    for (auto& ap : np.attribute()) {
      auto a = attribute_from_proto(ap, n);
      if (!a)
        return fail(a.error().code, fmt::format("{}: {}", source, a.error().message));
      n.attributes.push_back(std::move(*a));
    }
    for (auto& name : n.inputs)
      if (!name.empty() && !defined.count(name))
        return fail(errc::invalid_argument,
                    fmt::format("{}: {}: input '{}' is not a graph input, an initializer or "
                                "the output of an earlier node",
                                source, n.describe(), name));
    for (auto& name : n.outputs)
      if (!name.empty())
        defined.insert(name);
    m.nodes.push_back(std::move(n));
  }
  if (!unsupported.empty()) {
    std::string listed;
    for (std::size_t i = 0; i < unsupported.size() && i < 5; ++i)
      listed += (i ? "; " : "") + unsupported[i];
    if (unsupported.size() > 5)
      listed += fmt::format("; and {} more", unsupported.size() - 5);
    return fail(errc::unsupported,
                fmt::format("{}: hogar does not run operator{} {} ({}). Supported: {}", source,
                            unsupported_types.size() == 1 ? "" : "s",
                            fmt::join(unsupported_types, ", "), listed,
                            nn::supported_op_list()));
  }
  for (auto& out : m.outputs)
    if (!defined.count(out.name))
      return fail(errc::invalid_argument,
                  fmt::format("{}: output '{}' is produced by no node", source, out.name));
  return m;
}

result<model_graph> load_model(const std::string& path) {
  auto bytes = read_file(path, max_model_bytes);
  if (!bytes)
    return bytes.error();
  return parse_model(*bytes, path);
}

result<named_tensor> load_tensor_proto(const std::string& path) {
  auto bytes = read_file(path, max_model_bytes);
  if (!bytes)
    return bytes.error();
  pb::TensorProto proto;
  if (!proto.ParseFromArray(bytes->data(), static_cast<int>(bytes->size())))
    return fail(errc::invalid_argument,
                fmt::format("{}: not a serialized onnx.TensorProto", path));
  auto t = tensor_from_proto(proto, path);
  if (!t)
    return t.error();
  return named_tensor{proto.name(), std::move(*t)};
}

} // namespace hogar::onnx
