#include "http/kserve.hpp"

#include <span>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernels/tensor_json.hpp"

namespace hogar::http {

namespace {

using nlohmann::json;

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

/// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string parse_error_message(const json::parse_error& e) {
  std::string_view what = e.what();
  if (auto end = what.find("] "); what.starts_with("[json.exception.") && end != what.npos)
    what.remove_prefix(end + 2);
  return std::string{what};
}

error_info bad_request(std::string message) {
  return fail(errc::invalid_argument, std::move(message));
}

result<std::vector<requested_output>> read_requested_outputs(const json& body) {
  std::vector<requested_output> outputs;
  auto it = body.find("outputs");
  if (it == body.end())
    return outputs;
  if (!it->is_array())
    return bad_request("request: \"outputs\" must be an array of {\"name\", \"parameters\"}");
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& entry = (*it)[i];
    auto name = entry.is_object() ? entry.find("name") : entry.end();
    if (!entry.is_object() || name == entry.end() || !name->is_string() ||
        name->get_ref<const std::string&>().empty())
      return bad_request(
        fmt::format("outputs[{}]: expected an object with a non-empty \"name\"", i));
    requested_output out{name->get<std::string>(), std::nullopt};
    if (auto params = entry.find("parameters"); params != entry.end()) {
      if (!params->is_object())
        return bad_request(
          fmt::format("output '{}': \"parameters\" must be an object", out.name));
      if (auto binary = params->find("binary_data"); binary != params->end()) {
        if (!binary->is_boolean())
          return bad_request(
            fmt::format("output '{}': parameters.binary_data must be true or false", out.name));
        out.binary_data = binary->get<bool>();
      }
    }
    if (!seen.insert(out.name).second)
      return bad_request(fmt::format("outputs[{}]: output '{}' is asked for twice", i, out.name));
    outputs.push_back(std::move(out));
  }
  return outputs;
}

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
  return dump(json{{"error", message}});
}

std::string server_metadata_body(std::string_view version) {
  return dump(json{{"name", "hogar"},
                   {"version", version},
                   {"extensions", json::array({"binary_tensor_data"})}});
}

std::string model_metadata_body(const model_metadata& metadata) {
  return dump(json{{"name", metadata.name},
                   {"versions", metadata.versions},
                   {"platform", metadata.platform},
                   {"inputs", tensor_metadata_json(metadata.inputs)},
                   {"outputs", tensor_metadata_json(metadata.outputs)}});
}

result<infer_request> parse_infer_request(std::string_view body,
                                          std::optional<std::size_t> json_length) {
  if (json_length && *json_length > body.size())
    return bad_request(fmt::format("request: {} is {} but the body has only {} bytes",
                                   inference_header_length_field, *json_length, body.size()));
  std::string_view text = json_length ? body.substr(0, *json_length) : body;
  std::span<const char> binary;
  if (json_length)
    binary = std::span<const char>{body.data() + *json_length, body.size() - *json_length};

  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return bad_request(fmt::format("request: malformed JSON: {}", parse_error_message(e)));
  }
  if (!j.is_object())
    return bad_request("request: the body must be a JSON object with \"inputs\"");

  infer_request request;
  if (auto id = j.find("id"); id != j.end()) {
    if (!id->is_string())
      return bad_request("request: \"id\" must be a string");
    request.id = id->get<std::string>();
  }
  if (auto params = j.find("parameters"); params != j.end()) {
    if (!params->is_object())
      return bad_request("request: \"parameters\" must be an object");
    if (auto timeout = params->find("timeout_ms"); timeout != params->end()) {
      if (!timeout->is_number_integer() || timeout->get<std::int64_t>() <= 0)
        return bad_request(fmt::format(
          "request: parameters.timeout_ms must be a positive integer (milliseconds), got {}",
          dump(*timeout)));
      request.timeout_ms = timeout->get<std::int64_t>();
    }
    if (auto binary_out = params->find("binary_data_output"); binary_out != params->end()) {
      if (!binary_out->is_boolean())
        return bad_request("request: parameters.binary_data_output must be true or false");
      request.binary_data_output = binary_out->get<bool>();
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
    for (auto& declared : metadata.outputs) {
      const auto& name = declared.name;
      if (wanted.name == name ||
          (wanted.name.size() > name.size() + 1 && wanted.name.starts_with(name) &&
           wanted.name[name.size()] == '.')) {
        known = true;
        break;
      }
    }
    if (!known) {
      std::string declared_names;
      for (auto& declared : metadata.outputs)
        declared_names += (declared_names.empty() ? "" : ", ") + declared.name;
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
    for (auto& wanted : request.outputs)
      for (auto& t : outputs)
        if (t.name == wanted.name)
          add(t, wanted.binary_data.value_or(request.binary_data_output));
  }

  infer_response_body response;
  json body{{"model_name", graph}, {"id", id}, {"outputs", std::move(list)}};
  if (!served.empty()) {
    json by = json::array();
    for (auto& s : served)
      by.push_back({{"operator", s.op}, {"model", s.model}, {"version", s.version}});
    body["parameters"] = {{"served_by", std::move(by)}};
    if (served.size() == 1 && served.front().version > 0)
      body["model_version"] = std::to_string(served.front().version);
  }
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
    auto parsed = json::parse(request_body, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
      return fail(errc::invalid_argument,
                  "repository index: the body must be a JSON object such as {\"ready\": true}");
    if (auto it = parsed.find("ready"); it != parsed.end()) {
      if (!it->is_boolean())
        return fail(errc::invalid_argument, "repository index: \"ready\" must be true or false");
      ready_only = it->get<bool>();
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

} // namespace hogar::http
