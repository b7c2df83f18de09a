#include "http/kserve.hpp"

#include <algorithm>
#include <optional>
#include <span>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "kernels/json_reader.hpp"
#include "kernels/tensor_json.hpp"

namespace hogar::http {

namespace {

using nlohmann::json;
using simdjson::dom::element;

/// Serializes without throwing on invalid UTF-8 (a graph or tensor name from a backend could
/// hold some): such bytes become U+FFFD.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json tensor_metadata_json(const std::vector<tensor_metadata>& tensors) {
  json list = json::array();
  for (auto& t : tensors)
    list.push_back(json{{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}});
  return list;
}

/// Whether `tensor` is "OUTPUT.SOMETHING" for `output` (a tensor of a whole-record output).
bool is_tensor_of(std::string_view tensor, std::string_view output) {
  return tensor.size() > output.size() + 1 && tensor.starts_with(output) &&
         tensor[output.size()] == '.';
}

error_info bad_request(std::string message) {
  return fail(errc::invalid_argument, std::move(message));
}

/// The member `key` of a JSON object, or nullopt.
std::optional<element> member(const element& object, std::string_view key) {
  element value;
  if (object.at_key(key).get(value))
    return std::nullopt;
  return value;
}

result<std::vector<requested_output>> read_requested_outputs(const element& body) {
  std::vector<requested_output> outputs;
  auto list = member(body, "outputs");
  if (!list)
    return outputs;
  if (!list->is_array())
    return bad_request("request: \"outputs\" must be an array of {\"name\", \"parameters\"}");
  std::unordered_set<std::string> seen;
  std::size_t i = 0;
  for (element entry : array_of(*list)) {
    auto name = entry.is_object() ? member(entry, "name") : std::nullopt;
    if (!name || !name->is_string() || string_of(*name).empty())
      return bad_request(
        fmt::format("outputs[{}]: expected an object with a non-empty \"name\"", i));
    requested_output out{std::string{string_of(*name)}, std::nullopt};
    if (auto params = member(entry, "parameters")) {
      if (!params->is_object())
        return bad_request(
          fmt::format("output '{}': \"parameters\" must be an object", out.name));
      if (auto binary = member(*params, "binary_data")) {
        if (!binary->is_bool())
          return bad_request(
            fmt::format("output '{}': parameters.binary_data must be true or false", out.name));
        out.binary_data = bool(*binary);
      }
    }
    if (!seen.insert(out.name).second)
      return bad_request(fmt::format("outputs[{}]: output '{}' is asked for twice", i, out.name));
    outputs.push_back(std::move(out));
    ++i;
  }
  return outputs;
}

/// The JSON reader of the calling thread. Each HTTP or parsing thread keeps one, so that
/// simdjson reuses its buffers from request to request.
json_reader& thread_reader(std::size_t max_depth) {
  thread_local std::optional<json_reader> reader;
  if (!reader || reader->max_depth() != max_depth)
    reader.emplace(max_depth);
  return *reader;
}

/// Buffers a thread's reader may keep between requests; one that grew past this for a large
/// body gives them back after it, so bursts of large bodies do not pin memory on every thread.
constexpr std::size_t reader_keep_bytes = 4 * 1024 * 1024;

/// One output of a response: its JSON object, and the tensor whose bytes follow the JSON when
/// it is sent as binary.
json output_json(const named_tensor& t, bool binary) {
  if (!binary)
    return to_kserve_json(t);
  return json{{"name", t.name},
              {"datatype", std::string{to_kserve_string(t.value.type())}},
              {"shape", t.value.shape()},
              {"parameters", {{"binary_data_size", t.value.byte_size()}}}};
}

} // namespace

unsigned status_for(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument:
    case errc::unsupported: return 400;
    case errc::not_found: return 404;
    case errc::overloaded:
    case errc::unavailable: return 503;
    case errc::deadline_exceeded: return 504;
    case errc::none:
    case errc::operator_failed:
    case errc::io_error:
    case errc::internal: return 500;
  }
  return 500;
}

std::string error_body(std::string_view message) {
  json body{{"error", message}};
  // A message of several lines (every error of a graph file) also comes as a list.
  if (message.find('\n') != std::string_view::npos) {
    json lines = json::array();
    std::size_t start = 0;
    while (start <= message.size()) {
      auto end = std::min(message.find('\n', start), message.size());
      auto line = message.substr(start, end - start);
      // An indented line ("  hint: ...") belongs to the error before it.
      if (!line.empty() && line.front() == ' ' && !lines.empty())
        lines.back() = lines.back().get<std::string>() + "\n" + std::string{line};
      else if (!line.empty())
        lines.push_back(line);
      start = end + 1;
    }
    body["errors"] = std::move(lines);
  }
  return dump(body);
}

std::string server_metadata_body(std::string_view version) {
  json extensions = json::array();
  for (auto name : server_extensions)
    extensions.push_back(name);
  return dump(json{{"name", "hogar"}, {"version", version}, {"extensions", std::move(extensions)}});
}

std::string triton_data_type(std::string_view kserve_datatype) {
  // Triton's DataType enum names are TYPE_ and the KServe name, but for FP16/32/64 ("FP"),
  // BYTES ("STRING") and BOOL.
  if (kserve_datatype == "BYTES")
    return "TYPE_STRING";
  static constexpr std::string_view known[] = {"BOOL",  "UINT8", "UINT16", "UINT32", "UINT64",
                                               "INT8",  "INT16", "INT32",  "INT64",  "FP16",
                                               "FP32",  "FP64",  "BF16"};
  for (auto name : known)
    if (name == kserve_datatype)
      return fmt::format("TYPE_{}", name);
  return {};
}

std::string model_config_body(const model_config& config) {
  auto tensors = [&](const std::vector<tensor_metadata>& list) {
    json out = json::array();
    for (auto& t : list)
      out.push_back(
        {{"name", t.name}, {"data_type", triton_data_type(t.datatype)}, {"dims", t.shape}});
    return out;
  };
  json groups = json::array();
  for (auto& g : config.instance_groups)
    groups.push_back({{"name", g.name}, {"kind", g.kind}, {"count", g.count}});
  json policy;
  if (config.version_policy == "all")
    policy = {{"all", json::object()}};
  else if (config.version_policy == "specific")
    policy = {{"specific", {{"versions", config.specific_versions}}}};
  else
    policy = {{"latest", {{"num_versions", config.latest_versions}}}};
  json parameters = json::object();
  for (auto& [name, value] : config.parameters)
    parameters[name] = {{"string_value", value}};
  json body{{"name", config.name},
            {"platform", config.platform},
            {"max_batch_size", config.max_batch_size},
            {"input", tensors(config.inputs)},
            {"output", tensors(config.outputs)},
            {"instance_group", std::move(groups)},
            {"version_policy", std::move(policy)},
            {"parameters", std::move(parameters)}};
  if (config.batching)
    body["dynamic_batching"] = {
      {"max_queue_delay_microseconds", config.batching->max_queue_delay_microseconds},
      {"preferred_batch_size", config.batching->preferred_batch_size}};
  return dump(body);
}

std::string statistics_body(const std::vector<model_statistics>& entries) {
  auto stat = [](const duration_stat& d) { return json{{"count", d.count}, {"ns", d.ns}}; };
  json list = json::array();
  for (auto& e : entries) {
    json batches = json::array();
    for (auto& b : e.batches)
      batches.push_back({{"batch_size", b.batch_size},
                         {"compute_input", stat(b.compute_input)},
                         {"compute_infer", stat(b.compute_infer)},
                         {"compute_output", stat(b.compute_output)}});
    list.push_back({{"name", e.name},
                    {"version", e.version},
                    {"last_inference", e.last_inference_ms},
                    {"inference_count", e.inference_count},
                    {"execution_count", e.execution_count},
                    {"inference_stats",
                     {{"success", stat(e.success)},
                      {"fail", stat(e.fail)},
                      {"queue", stat(e.queue)},
                      {"compute_input", stat(e.compute_input)},
                      {"compute_infer", stat(e.compute_infer)},
                      {"compute_output", stat(e.compute_output)}}},
                    {"batch_stats", std::move(batches)}});
  }
  return dump(json{{"model_stats", std::move(list)}});
}

std::string model_metadata_body(const model_metadata& metadata) {
  return dump(json{{"name", metadata.name},
                   {"versions", metadata.versions},
                   {"platform", metadata.platform},
                   {"inputs", tensor_metadata_json(metadata.inputs)},
                   {"outputs", tensor_metadata_json(metadata.outputs)}});
}

result<infer_request> parse_infer_request(std::string_view body,
                                          std::optional<std::size_t> json_length,
                                          std::size_t json_max_depth) {
  if (json_length && *json_length > body.size())
    return bad_request(fmt::format("request: {} is {} but the body has only {} bytes",
                                   inference_header_length_field, *json_length, body.size()));
  std::string_view text = json_length ? body.substr(0, *json_length) : body;
  std::span<const char> binary;
  if (json_length)
    binary = std::span<const char>{body.data() + *json_length, body.size() - *json_length};

  auto& reader = thread_reader(json_max_depth);
  struct release_large {
    json_reader& reader;
    std::size_t max_depth;
    ~release_large() {
      if (reader.capacity() > reader_keep_bytes)
        reader = json_reader{max_depth};
    }
  } release{reader, json_max_depth};
  auto parsed = reader.parse(text);
  if (!parsed)
    return bad_request(fmt::format("request: {}", parsed.error().message));
  const element& j = *parsed;
  if (!j.is_object())
    return bad_request("request: the body must be a JSON object with \"inputs\"");

  infer_request request;
  if (auto id = member(j, "id")) {
    if (!id->is_string())
      return bad_request("request: \"id\" must be a string");
    if (string_of(*id).size() > max_request_id_bytes)
      return bad_request(fmt::format("request: \"id\" has {} bytes, at most {} are kept",
                                     string_of(*id).size(), max_request_id_bytes));
    request.id = std::string{string_of(*id)};
  }
  if (auto params = member(j, "parameters")) {
    if (!params->is_object())
      return bad_request("request: \"parameters\" must be an object");
    if (auto timeout = member(*params, "timeout_ms")) {
      if (timeout->type() != simdjson::dom::element_type::INT64 || int64_t(*timeout) <= 0 ||
          int64_t(*timeout) > max_timeout_ms)
        return bad_request(fmt::format("request: parameters.timeout_ms must be a positive "
                                       "integer of at most {} (milliseconds, one day), got {}",
                                       max_timeout_ms, brief(*timeout)));
      request.timeout_ms = int64_t(*timeout);
    }
    if (auto binary_out = member(*params, "binary_data_output")) {
      if (!binary_out->is_bool())
        return bad_request("request: parameters.binary_data_output must be true or false");
      request.binary_data_output = bool(*binary_out);
    }
  }
  auto outputs = read_requested_outputs(j);
  if (!outputs)
    return outputs.error();
  request.outputs = std::move(*outputs);
  auto inputs = record_from_kserve_request(j, binary);
  if (!inputs)
    return inputs.error();
  request.inputs = std::move(*inputs);
  return request;
}

std::optional<error_info> check_requested_outputs(const infer_request& request,
                                                  const model_metadata& metadata) {
  for (auto& wanted : request.outputs) {
    bool known = false;
    for (auto& carried : metadata.outputs)
      if (wanted.name == carried.name || is_tensor_of(carried.name, wanted.name)) {
        known = true;
        break;
      }
    for (auto& name : metadata.uninferred_outputs)
      known = known || wanted.name == name || is_tensor_of(wanted.name, name);
    if (!known) {
      std::string declared_names;
      for (auto& declared : metadata.outputs)
        declared_names += (declared_names.empty() ? "" : ", ") + declared.name;
      for (auto& name : metadata.uninferred_outputs)
        declared_names += (declared_names.empty() ? "" : ", ") + name;
      return bad_request(fmt::format("output '{}' is not an output of graph '{}' (outputs: {})",
                                     wanted.name, metadata.name,
                                     declared_names.empty() ? "none" : declared_names));
    }
  }
  return std::nullopt;
}

infer_response_body encode_infer_response(std::string_view graph, std::string_view id,
                                          const record& outputs, const infer_request& request,
                                          const std::vector<served_by>& served) {
  json list = json::array();
  // The tensors whose raw bytes follow the JSON, in the order their objects appear.
  std::vector<const tensor*> binary;
  auto add = [&](const named_tensor& t, bool as_binary) {
    list.push_back(output_json(t, as_binary));
    if (as_binary)
      binary.push_back(&t.value);
  };
  if (request.outputs.empty()) {
    for (auto& t : outputs)
      add(t, request.binary_data_output);
  } else {
    // Each tensor once, also when asked for by its name and by its output's.
    std::vector<const named_tensor*> added;
    for (auto& wanted : request.outputs)
      for (auto& t : outputs)
        if ((t.name == wanted.name || is_tensor_of(t.name, wanted.name)) &&
            std::find(added.begin(), added.end(), &t) == added.end()) {
          added.push_back(&t);
          add(t, wanted.binary_data.value_or(request.binary_data_output));
        }
  }

  infer_response_body response;
  json body{{"model_name", graph}, {"id", id}, {"outputs", std::move(list)}};
  json by = json::array();
  json branches = json::array();
  const served_by* only_model = nullptr;
  for (auto& s : served) {
    if (s.branch) {
      branches.push_back(s.op);
      continue;
    }
    only_model = by.empty() ? &s : nullptr;
    by.push_back({{"operator", s.op}, {"model", s.model}, {"version", s.version}});
  }
  if (!by.empty())
    body["parameters"]["served_by"] = std::move(by);
  if (!branches.empty())
    body["parameters"]["branches"] = std::move(branches);
  if (only_model != nullptr && only_model->version > 0)
    body["model_version"] = std::to_string(only_model->version);
  response.body = dump(body);
  if (!binary.empty()) {
    response.json_length = response.body.size();
    std::size_t total = response.body.size();
    for (auto* t : binary)
      total += t->byte_size();
    response.body.reserve(total);
    for (auto* t : binary)
      response.body.append(t->bytes().data(), t->bytes().size());
  }
  return response;
}

result<std::string> repository_index_body(std::string_view request_body,
                                          const std::vector<repository_model_entry>& models) {
  bool ready_only = false;
  if (!request_body.empty()) {
    json_reader reader{8};
    auto parsed = reader.parse(request_body);
    if (!parsed || !parsed->is_object())
      return fail(errc::invalid_argument,
                  "repository index: the body must be a JSON object such as {\"ready\": true}");
    if (auto ready = member(*parsed, "ready")) {
      if (!ready->is_bool())
        return fail(errc::invalid_argument, "repository index: \"ready\" must be true or false");
      ready_only = bool(*ready);
    }
  }
  json list = json::array();
  for (auto& m : models) {
    if (ready_only && m.state != "READY")
      continue;
    json entry{{"name", m.name}, {"state", m.state}};
    if (!m.version.empty())
      entry["version"] = m.version;
    if (!m.reason.empty())
      entry["reason"] = m.reason;
    list.push_back(std::move(entry));
  }
  return dump(list);
}

result<tuning_request> read_tuning_request(std::string_view body) {
  auto& reader = thread_reader(8);
  auto parsed = reader.parse(body);
  if (!parsed)
    return fail(errc::invalid_argument, fmt::format("tuning: {}", parsed.error().message));
  auto usage = "write {\"operator\": \"NAME\", \"knobs\": {\"batch_size\": 16}}";
  if (!parsed->is_object())
    return bad_request(fmt::format("tuning: the body must be a JSON object: {}", usage));
  tuning_request out;
  auto op = member(*parsed, "operator");
  if (!op || !op->is_string())
    return bad_request(fmt::format("tuning: \"operator\" must name a model operator: {}", usage));
  out.op = std::string{string_of(*op)};
  auto knobs = member(*parsed, "knobs");
  if (!knobs || !knobs->is_object())
    return bad_request(fmt::format("tuning: \"knobs\" must be an object of knob values: {}", usage));
  for (auto field : simdjson::dom::object(*knobs)) {
    auto key = std::string{field.key};
    if (field.value.type() != simdjson::dom::element_type::INT64)
      return bad_request(fmt::format("tuning: knob \"{}\" must be an integer, got {}", key,
                                     brief(field.value)));
    out.knobs.emplace_back(std::move(key), int64_t(field.value));
  }
  return out;
}

result<feedback_request> read_feedback_request(std::string_view body,
                                               std::size_t json_max_depth) {
  auto& reader = thread_reader(json_max_depth);
  auto parsed = reader.parse(body);
  if (!parsed)
    return bad_request(fmt::format("feedback: {}", parsed.error().message));
  constexpr auto usage = "write {\"id\": \"ID\", \"label\": 3} or {\"id\": \"ID\", "
                         "\"expected\": [{\"name\", \"datatype\", \"shape\", \"data\"}]}";
  if (!parsed->is_object())
    return bad_request(fmt::format("feedback: the body must be a JSON object: {}", usage));
  feedback_request out;
  for (auto field : simdjson::dom::object(*parsed)) {
    std::string_view key = field.key;
    if (key != "id" && key != "label" && key != "output" && key != "expected")
      return bad_request(fmt::format("feedback: unknown field \"{}\" (fields: id, label, "
                                     "output, expected)",
                                     key.substr(0, 64)));
  }
  auto id = member(*parsed, "id");
  if (!id || !id->is_string() || string_of(*id).empty())
    return bad_request(fmt::format("feedback: \"id\" must name the answer (its \"id\"): {}",
                                   usage));
  if (string_of(*id).size() > max_request_id_bytes)
    return bad_request(fmt::format("feedback: \"id\" has {} bytes, at most {}",
                                   string_of(*id).size(), max_request_id_bytes));
  out.id = std::string{string_of(*id)};
  auto label = member(*parsed, "label");
  auto expected = member(*parsed, "expected");
  if (!label == !expected)
    return bad_request(fmt::format("feedback for request '{}': give either \"label\" or "
                                   "\"expected\": {}",
                                   out.id, usage));
  if (label) {
    if (label->type() != simdjson::dom::element_type::INT64 || int64_t(*label) < 0)
      return bad_request(fmt::format("feedback for request '{}': field label: a class is a "
                                     "non-negative integer, got {}",
                                     out.id, brief(*label)));
    out.label = int64_t(*label);
    if (auto output = member(*parsed, "output")) {
      if (!output->is_string())
        return bad_request(fmt::format("feedback for request '{}': field output: the name of "
                                       "a tensor of the answer, got {}",
                                       out.id, brief(*output)));
      out.output = std::string{string_of(*output)};
    }
    return out;
  }
  if (member(*parsed, "output"))
    return bad_request(fmt::format("feedback for request '{}': field output goes with a label, "
                                   "not with expected values",
                                   out.id));
  if (!expected->is_array() || array_of(*expected).size() == 0)
    return bad_request(fmt::format("feedback for request '{}': field expected: a non-empty "
                                   "array of tensors {{\"name\", \"datatype\", \"shape\", "
                                   "\"data\"}}",
                                   out.id));
  std::size_t i = 0;
  for (element entry : array_of(*expected)) {
    auto t = tensor_from_kserve_json(entry);
    if (!t)
      return bad_request(fmt::format("feedback for request '{}': field expected[{}]: {}", out.id,
                                     i, t.error().message));
    for (auto& seen : out.expected)
      if (seen.name == t->name)
        return bad_request(fmt::format("feedback for request '{}': field expected[{}]: tensor "
                                       "'{}' is given twice",
                                       out.id, i, t->name));
    out.expected.push_back(std::move(*t));
    ++i;
  }
  return out;
}

std::string feedback_body(const feedback_result& r) {
  json body{{"id", r.id}};
  if (r.predicted) {
    body["predicted"] = *r.predicted;
    body["correct"] = r.correct;
  }
  if (r.mean_absolute_error)
    body["mean_absolute_error"] = *r.mean_absolute_error;
  json by = json::array();
  for (auto& s : r.served)
    by.push_back({{"operator", s.op}, {"model", s.model}, {"version", s.version}});
  body["served_by"] = std::move(by);
  return dump(body);
}

} // namespace hogar::http
