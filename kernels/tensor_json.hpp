// tensor_json.hpp: tensors in the JSON of the KServe v2 / Open Inference Protocol, as the HTTP
// ingress and `hogar infer` read and write them:
//   {"name": "image", "datatype": "UINT8", "shape": [2, 2], "data": [1, 2, 3, 4]}
// `data` may be flat or nested arrays (row-major); only its element count is checked against
// the shape, not its nesting. Datatypes: FP32, FP64, INT8, INT32, INT64, UINT8, BOOL (the
// graph-file spellings "float32", ... are accepted too). Errors name the tensor and the field.
//
// Reading works on simdjson's document (json_reader.hpp: fast, depth-limited, iterative);
// nothing here recurses into what a client nests. Writing builds nlohmann values.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "kernels/tensor.hpp"

namespace simdjson::dom {
class element;
} // namespace simdjson::dom

namespace hogar {

/// Most dimensions a tensor of a request may have.
inline constexpr std::size_t kserve_max_rank = 32;

/// How deep arrays and objects may nest in a JSON text a client sends, unless configured
/// otherwise (`http-json-max-depth`). A request with a rank-6 tensor written as nested arrays
/// needs 10.
inline constexpr std::size_t default_json_max_depth = 64;

/// One tensor object of a request's "inputs". Integer dtypes need integral values in their
/// range (1.0 is accepted, 1.5 is not); BOOL takes true/false or 0/1; float dtypes take any
/// number in range. Fails with errc::invalid_argument:
/// "input 'image': shape [2, 2] needs 4 values, got 3".
result<named_tensor> tensor_from_kserve_json(const simdjson::dom::element& j);

/// An input of Triton's binary tensor extension: the object's name, datatype and shape (checked
/// as above) with its values given as raw row-major bytes (BOOL: one byte, 0 or 1). Fails with
/// errc::invalid_argument when the byte count does not match: "input 'x': FP32 [2] needs 8
/// bytes of binary data, got 4".
result<named_tensor> tensor_from_kserve_binary(const simdjson::dom::element& j,
                                               std::span<const char> bytes);

/// {"name", "datatype", "shape", "data"} with `data` flat; BOOL as true/false.
nlohmann::json to_kserve_json(const named_tensor& t);

/// The tensors of body["inputs"], in order; names must be unique. With the binary tensor
/// extension, an input with "parameters": {"binary_data_size": n} and no "data" takes the next
/// n bytes of `binary` (the bytes that followed the JSON), in input order; every byte must be
/// claimed.
result<record> record_from_kserve_request(const simdjson::dom::element& body,
                                          std::span<const char> binary = {});

/// The same for a request given as text (a file, a command-line flag): parses it first, with
/// the default nesting limit. Fails on malformed JSON with the place ("malformed JSON: parse
/// error at line 1, column 9: ...").
result<record> record_from_kserve_request(std::string_view json_text,
                                          std::span<const char> binary = {});

/// The "outputs" array of a response: to_kserve_json of every tensor, in order.
nlohmann::json kserve_outputs_json(const record& r);

} // namespace hogar
