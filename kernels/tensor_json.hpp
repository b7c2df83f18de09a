// tensor_json.hpp: tensors in the JSON of the KServe v2 / Open Inference Protocol, as the HTTP
// ingress and `hogar infer` read and write them:
//   {"name": "image", "datatype": "UINT8", "shape": [2, 2], "data": [1, 2, 3, 4]}
// `data` may be flat or nested arrays (row-major); only its element count is checked against
// the shape, not its nesting. Datatypes: FP32, FP64, INT8, INT32, INT64, UINT8, BOOL (the
// graph-file spellings "float32", ... are accepted too). Errors name the tensor and the field.
#pragma once

#include <nlohmann/json.hpp>

#include "kernels/result.hpp"
#include "kernels/tensor.hpp"

namespace hogar {

/// One tensor object of a request's "inputs". Integer dtypes need integral values in their
/// range (1.0 is accepted, 1.5 is not); BOOL takes true/false or 0/1; float dtypes take any
/// number in range. Fails with errc::invalid_argument:
/// "input 'image': shape [2, 2] needs 4 values, got 3".
result<named_tensor> tensor_from_kserve_json(const nlohmann::json& j);

/// {"name", "datatype", "shape", "data"} with `data` flat; BOOL as true/false.
nlohmann::json to_kserve_json(const named_tensor& t);

/// The tensors of body["inputs"], in order; names must be unique.
result<record> record_from_kserve_request(const nlohmann::json& body);

/// The "outputs" array of a response: to_kserve_json of every tensor, in order.
nlohmann::json kserve_outputs_json(const record& r);

} // namespace hogar
