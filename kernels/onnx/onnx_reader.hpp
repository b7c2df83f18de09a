// onnx_reader.hpp: reads ONNX files (protobuf, through Debian's libonnx) into model_graph.
//
// Loading checks everything a later stage would trip over and names what is wrong: a file
// that is not an ONNX model (truncated, corrupt), an operator hogar does not run (its name and
// the node's), an operator from another domain, a value used before it is produced, weights
// stored outside the file, element types hogar has no dtype for.
#pragma once

#include <span>
#include <string>

#include "kernels/onnx/model_graph.hpp"
#include "base/result.hpp"

namespace hogar::onnx {

/// Largest ONNX file read, bytes (protobuf's own limit is 2 GiB).
inline constexpr std::size_t max_model_bytes = std::size_t{2} * 1024 * 1024 * 1024 - 1;

/// Reads and checks the ONNX model in `path`.
result<model_graph> load_model(const std::string& path);

/// The same for a model already in memory; `source` names it in messages.
result<model_graph> parse_model(std::span<const char> bytes, const std::string& source);

/// A serialized onnx.TensorProto (the input_N.pb and output_N.pb files of ONNX backend test
/// cases) as a named tensor; the name is the proto's (may be empty).
result<named_tensor> load_tensor_proto(const std::string& path);

} // namespace hogar::onnx
