// onnx_writer.hpp: writes a model_graph as an ONNX file (protobuf, through Debian's libonnx),
// the reader's twin. What it writes:
//   - IR version 8 (onnx_ir_version_written), the producer "hogar" unless the model names one,
//     and one opset import: the default domain at model.opset;
//   - inputs and outputs as tensor types with shapes; an extent of -1 becomes a symbolic
//     dimension (dim_param "batch" for dimension 0, "dN" for dimension N), which the reader
//     reads back as -1;
//   - initializers in name order, their bytes as raw_data (little-endian, as ONNX wants);
//   - nodes in order, with attributes of every attribute_value type (INT, FLOAT, STRING, INTS,
//     FLOATS, STRINGS, TENSOR).
// The same model gives the same bytes every time: nothing depends on time, addresses or hash
// order. model.source and model.ir_version are not written (the file is IR 8 whatever the
// model was read from).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kernels/onnx/model_graph.hpp"
#include "base/result.hpp"

namespace hogar::onnx {

/// The IR version of every file written (ONNX 1.10 and later read it).
inline constexpr std::int64_t onnx_ir_version_written = 8;

/// The serialized onnx.ModelProto of `model`. Fails (invalid_argument) when the model has no
/// opset, when a node or value has no name where ONNX needs one, or when the file would pass
/// protobuf's 2 GiB limit.
result<std::string> serialize_model(const model_graph& model);

/// serialize_model written to `path` (replaced if it exists); io_error naming the path when
/// the file cannot be written. nullopt on success.
std::optional<error_info> save_model(const model_graph& model, const std::string& path);

} // namespace hogar::onnx
