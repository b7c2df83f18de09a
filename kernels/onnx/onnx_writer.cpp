#include "kernels/onnx/onnx_writer.hpp"

#include <bit>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

namespace hogar::onnx {

namespace {

namespace pb = ::onnx;

// raw_data is little-endian; hogar tensors hold host-order bytes, and the reader copies them
// back unchanged. A big-endian port would swap here and there.
static_assert(std::endian::native == std::endian::little,
              "onnx_writer writes tensors' bytes as raw_data unchanged");

pb::TensorProto_DataType elem_type_of(dtype t) {
  switch (t) {
    case dtype::float32: return pb::TensorProto_DataType_FLOAT;
    case dtype::float64: return pb::TensorProto_DataType_DOUBLE;
    case dtype::int8: return pb::TensorProto_DataType_INT8;
    case dtype::int32: return pb::TensorProto_DataType_INT32;
    case dtype::int64: return pb::TensorProto_DataType_INT64;
    case dtype::uint8: return pb::TensorProto_DataType_UINT8;
    case dtype::boolean: return pb::TensorProto_DataType_BOOL;
  }
  return pb::TensorProto_DataType_UNDEFINED;
}

void tensor_to_proto(const tensor& t, const std::string& name, pb::TensorProto& proto) {
  proto.set_name(name);
  proto.set_data_type(elem_type_of(t.type()));
  for (auto d : t.shape())
    proto.add_dims(d);
  auto bytes = t.bytes();
  proto.set_raw_data(bytes.data(), bytes.size());
}

std::optional<error_info> value_info_to_proto(const value_info& v, std::string_view what,
                                              const model_graph& model,
                                              pb::ValueInfoProto& proto) {
  if (v.name.empty())
    return fail(errc::invalid_argument,
                fmt::format("model '{}': an {} has no name", model.name, what));
  proto.set_name(v.name);
  auto* type = proto.mutable_type()->mutable_tensor_type();
  type->set_elem_type(elem_type_of(v.type));
  auto* shape = type->mutable_shape();
  for (std::size_t i = 0; i < v.shape.size(); ++i) {
    auto* dim = shape->add_dim();
    if (v.shape[i] >= 0)
      dim->set_dim_value(v.shape[i]);
    else
      dim->set_dim_param(i == 0 ? std::string{"batch"} : fmt::format("d{}", i));
  }
  return std::nullopt;
}

void attribute_to_proto(const attribute& a, pb::AttributeProto& proto) {
  proto.set_name(a.name);
  std::visit(
    [&](const auto& value) {
      using T = std::decay_t<decltype(value)>;
      if constexpr (std::is_same_v<T, std::int64_t>) {
        proto.set_type(pb::AttributeProto_AttributeType_INT);
        proto.set_i(value);
      } else if constexpr (std::is_same_v<T, float>) {
        proto.set_type(pb::AttributeProto_AttributeType_FLOAT);
        proto.set_f(value);
      } else if constexpr (std::is_same_v<T, std::string>) {
        proto.set_type(pb::AttributeProto_AttributeType_STRING);
        proto.set_s(value);
      } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
        proto.set_type(pb::AttributeProto_AttributeType_INTS);
        proto.mutable_ints()->Add(value.begin(), value.end());
      } else if constexpr (std::is_same_v<T, std::vector<float>>) {
        proto.set_type(pb::AttributeProto_AttributeType_FLOATS);
        proto.mutable_floats()->Add(value.begin(), value.end());
      } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        proto.set_type(pb::AttributeProto_AttributeType_STRINGS);
        for (auto& s : value)
          proto.add_strings(s);
      } else {
        static_assert(std::is_same_v<T, tensor>, "an attribute_value type the writer misses");
        proto.set_type(pb::AttributeProto_AttributeType_TENSOR);
        tensor_to_proto(value, "", *proto.mutable_t());
      }
    },
    a.value);
}

} // namespace

result<std::string> serialize_model(const model_graph& model) {
  if (model.opset <= 0)
    return fail(errc::invalid_argument,
                fmt::format("model '{}': no opset of the default domain to write", model.name));
  pb::ModelProto proto;
  proto.set_ir_version(onnx_ir_version_written);
  proto.set_producer_name(model.producer.empty() ? std::string{"hogar"} : model.producer);
  auto* opset = proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(model.opset);
  // Contrib ops (Gelu of com.microsoft) need their domain imported too; version 1 is the
  // only one Microsoft's contrib domain has.
  std::set<std::string_view> other_domains;
  for (auto& n : model.nodes)
    if (!n.domain.empty())
      other_domains.insert(n.domain);
  for (auto domain : other_domains) {
    auto* other = proto.add_opset_import();
    other->set_domain(std::string{domain});
    other->set_version(1);
  }

  auto* g = proto.mutable_graph();
  g->set_name(model.name);
  for (auto& [name, value] : model.initializers) {
    if (name.empty())
      return fail(errc::invalid_argument,
                  fmt::format("model '{}': an initializer has no name", model.name));
    tensor_to_proto(value, name, *g->add_initializer());
  }
  for (auto& in : model.inputs)
    if (auto problem = value_info_to_proto(in, "input", model, *g->add_input()))
      return *problem;
  for (auto& out : model.outputs)
    if (auto problem = value_info_to_proto(out, "output", model, *g->add_output()))
      return *problem;
  for (auto& n : model.nodes) {
    if (n.op_type.empty())
      return fail(errc::invalid_argument,
                  fmt::format("model '{}': node '{}' has no op type", model.name, n.name));
    auto* np = g->add_node();
    np->set_op_type(n.op_type);
    if (!n.domain.empty())
      np->set_domain(n.domain);
    np->set_name(n.name);
    for (auto& in : n.inputs)
      np->add_input(in);
    for (auto& out : n.outputs)
      np->add_output(out);
    for (auto& a : n.attributes)
      attribute_to_proto(a, *np->add_attribute());
  }

  const auto size = proto.ByteSizeLong();
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    return fail(errc::invalid_argument,
                fmt::format("model '{}': {} bytes is more than an ONNX file may hold (2 GiB, "
                            "protobuf's limit)",
                            model.name, size));
  std::string bytes;
  if (!proto.SerializeToString(&bytes))
    return fail(errc::internal,
                fmt::format("model '{}': protobuf could not serialize the model", model.name));
  return bytes;
}

std::optional<error_info> save_model(const model_graph& model, const std::string& path) {
  auto bytes = serialize_model(model);
  if (!bytes)
    return bytes.error();
  // Written next to the target and renamed over it, so that a reader (or a build that was
  // interrupted) never sees half a model under the final name.
  const std::string partial = path + ".partial";
  {
    std::ofstream out{partial, std::ios::binary | std::ios::trunc};
    if (!out)
      return fail(errc::io_error, fmt::format("{}: cannot create the file", partial));
    out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    out.close();
    if (!out) {
      std::remove(partial.c_str());
      return fail(errc::io_error,
                  fmt::format("{}: writing {} bytes failed", partial, bytes->size()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) {
    std::remove(partial.c_str());
    return fail(errc::io_error, fmt::format("{}: cannot replace the file: {}", path, ec.message()));
  }
  return std::nullopt;
}

} // namespace hogar::onnx
