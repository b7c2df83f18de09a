// kserve.hpp: the bodies of the KServe v2 / Open Inference Protocol that the HTTP server reads
// and writes, as plain functions of strings, records and metadata. No sockets here: the server
// (server.cpp) moves bytes, these functions decide what the bytes mean, and each is tested on
// its own.
//
// Inference requests and responses follow the protocol's JSON form plus Triton's binary tensor
// extension ("binary_tensor_data"): a body may be N bytes of JSON (N given by the
// `Inference-Header-Content-Length` header) followed by raw tensor bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/backend.hpp"
#include "base/result.hpp"
#include "kernels/tensor.hpp"
#include "kernels/tensor_json.hpp"

namespace hogar::http {

/// The header that splits a binary-extension body into its JSON part and its tensor bytes.
inline constexpr std::string_view inference_header_length_field =
  "Inference-Header-Content-Length";

/// The HTTP status that answers an error: invalid_argument 400, not_found 404, overloaded and
/// unavailable 503, deadline_exceeded 504, everything else (operator_failed, io_error,
/// internal) 500.
unsigned status_for(errc code) noexcept;

/// `{"error": message}`, the body of every error answer; a message of several lines also
/// comes as `"errors": [...]`, one entry per error with its indented hint lines (a graph
/// file's diagnostics).
std::string error_body(std::string_view message);

/// The protocol extensions hogar implements, by Triton's names: binary_tensor_data, the
/// model_repository (index, load, unload), model_configuration (`/v2/models/{m}/config`),
/// statistics (`/v2/models/{m}/stats`, `/v2/models/stats`) and parameters (request and
/// response "parameters").
inline constexpr std::string_view server_extensions[] = {
  "binary_tensor_data", "model_repository", "model_configuration", "statistics", "parameters"};

/// `GET /v2`: {"name": "hogar", "version", "extensions": server_extensions}.
std::string server_metadata_body(std::string_view version);

/// `GET /v2/models/{graph}`: {"name", "versions", "platform", "inputs", "outputs"}.
std::string model_metadata_body(const model_metadata& metadata);

/// Triton's data_type for a KServe datatype: "FP32" -> "TYPE_FP32"; "" for an unknown one.
std::string triton_data_type(std::string_view kserve_datatype);

/// `GET /v2/models/{graph}/config`: Triton's model configuration JSON (model_config.proto):
/// {"name", "platform", "max_batch_size", "input": [{"name", "data_type", "dims"}], "output",
/// "dynamic_batching"?, "instance_group": [{"name", "kind", "count"}], "version_policy",
/// "parameters": {NAME: {"string_value"}}}.
std::string model_config_body(const model_config& config);

/// `GET /v2/models/{graph}/stats` and `GET /v2/models/stats`: Triton's statistics extension,
/// {"model_stats": [{"name", "version", "last_inference", "inference_count",
/// "execution_count", "inference_stats": {"success", "fail", "queue", "compute_input",
/// "compute_infer", "compute_output"} (each {"count", "ns"}), "batch_stats": [{"batch_size",
/// "compute_input", "compute_infer", "compute_output"}]}]}.
std::string statistics_body(const std::vector<model_statistics>& entries);

/// One entry of an inference request's "outputs".
struct requested_output {
  std::string name;
  /// parameters.binary_data when the request gives it; otherwise the request-wide
  /// binary_data_output decides.
  std::optional<bool> binary_data;
};

/// A `POST /v2/models/{graph}/infer` request, read and checked.
struct infer_request {
  /// The request's "id", echoed in the response.
  std::optional<std::string> id;
  /// The input tensors, in request order.
  record inputs;
  /// The outputs asked for, in order; empty: every output the graph produces.
  std::vector<requested_output> outputs;
  /// parameters.timeout_ms: the request's deadline, when it sets one.
  std::optional<std::int64_t> timeout_ms;
  /// parameters.binary_data_output: outputs come back as raw bytes unless an output says not.
  bool binary_data_output = false;
};

/// The longest deadline a request may ask for (parameters.timeout_ms): one day.
inline constexpr std::int64_t max_timeout_ms = 86'400'000;

/// Reads an inference request. `json_length` is the Inference-Header-Content-Length header when
/// present: the body's first json_length bytes are JSON and the rest are the bytes of the
/// binary inputs. Arrays and objects nested deeper than `json_max_depth` are refused. Fails
/// with errc::invalid_argument and a message naming the field or input:
/// "request: malformed JSON: parse error at line 1, column 12: ...",
/// "input 'x': shape [2] needs 2 values, got 1". Never recurses into the client's nesting.
result<infer_request> parse_infer_request(std::string_view body,
                                          std::optional<std::size_t> json_length,
                                          std::size_t json_max_depth = default_json_max_depth);

/// Checks that every output the request names is one the graph's answers carry: a tensor of
/// `metadata.outputs` by its answer name ("analysis.scores"), or a graph output whose tensors
/// are named OUTPUT.TENSOR by OUTPUT alone (all of them). For an output in
/// uninferred_outputs, its name and OUTPUT.TENSOR pass. Returns the error
/// (errc::invalid_argument, naming the output and listing the ones there are) or nullopt.
std::optional<error_info> check_requested_outputs(const infer_request& request,
                                                  const model_metadata& metadata);

/// A response body and, when binary outputs follow the JSON, the JSON's length (the value of
/// the Inference-Header-Content-Length header; the body is then application/octet-stream).
struct infer_response_body {
  std::string body;
  std::optional<std::size_t> json_length;
};

/// The answer to an inference: {"model_name", "id", "outputs"}, then the bytes of the binary
/// outputs in output order. With `request.outputs` given, only those outputs are returned, in
/// that order (a name OUTPUT asks for every OUTPUT.TENSOR); one the graph did not produce (its
/// branch was skipped) is left out, as in every answer. `served` (the model versions that
/// served it) becomes "parameters": {"served_by": [{"operator", "model", "version"}]}, and,
/// when one model served it, "model_version".
infer_response_body encode_infer_response(std::string_view graph, std::string_view id,
                                          const record& outputs, const infer_request& request,
                                          const std::vector<served_by>& served = {});

/// `POST /v2/repository/index`: [{"name", "version", "state", "reason"}]; with a request body
/// {"ready": true}, only the READY ones. Fails on a malformed body.
result<std::string> repository_index_body(std::string_view request_body,
                                          const std::vector<repository_model_entry>& models);

/// The longest request "id" hogar accepts: answers are kept under it for feedback.
inline constexpr std::size_t max_request_id_bytes = 256;

/// Reads the body of `POST /v2/models/{graph}/feedback` (backend.hpp's feedback_request):
///   {"id": "req-7", "label": 3}                       a class (of the answer's first tensor,
///   {"id": "req-7", "label": 3, "output": "probs"}     or of the tensor `output` names)
///   {"id": "req-7", "expected": [{"name": "price", "datatype": "FP32", "shape": [1],
///                                 "data": [101.5]}]}   expected values of answer tensors
/// Fails with errc::invalid_argument naming the field: no id, both or neither of label and
/// expected, a label that is not a non-negative integer, a malformed tensor, an unknown field.
result<feedback_request> read_feedback_request(std::string_view body,
                                               std::size_t json_max_depth = default_json_max_depth);

/// {"id", "predicted", "correct"} or {"id", "mean_absolute_error"}, and "served_by".
std::string feedback_body(const feedback_result& result);

/// The body of `POST /v2/models/{graph}/tuning`:
///   {"operator": "classifier", "knobs": {"batch_size": 16, "queue_delay_us": 2000}}
struct tuning_request {
  std::string op;
  std::vector<std::pair<std::string, std::int64_t>> knobs;
};

/// Reads a tuning body; fails naming the field: not an object, no "operator" string, no
/// "knobs" object, a knob value that is not an integer.
result<tuning_request> read_tuning_request(std::string_view body);

} // namespace hogar::http
