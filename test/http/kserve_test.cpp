#include "http/kserve.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace hogar;
using namespace hogar::http;
using nlohmann::json;

namespace {

std::string error_of(std::string_view body) {
  auto r = parse_infer_request(body, std::nullopt);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_argument);
  return r.error().message;
}

} // namespace

TEST_CASE("every error code has its HTTP status") {
  CHECK(status_for(errc::invalid_argument) == 400);
  CHECK(status_for(errc::not_found) == 404);
  CHECK(status_for(errc::overloaded) == 503);
  CHECK(status_for(errc::unavailable) == 503);
  CHECK(status_for(errc::deadline_exceeded) == 504);
  CHECK(status_for(errc::operator_failed) == 500);
  CHECK(status_for(errc::io_error) == 500);
  CHECK(status_for(errc::internal) == 500);
  CHECK(status_for(errc::unsupported) == 400);
  CHECK(error_body("graph 'g': \"x\"") == R"({"error":"graph 'g': \"x\""})");
}

TEST_CASE("an inference request's id, parameters and outputs are read") {
  auto r = parse_infer_request(
    R"({"id": "a1", "parameters": {"timeout_ms": 80, "binary_data_output": true},
        "inputs": [{"name": "x", "datatype": "INT32", "shape": [2], "data": [1, 2]}],
        "outputs": [{"name": "y", "parameters": {"binary_data": false}}, {"name": "z"}]})",
    std::nullopt);
  REQUIRE(r.has_value());
  CHECK(r->id == "a1");
  CHECK(r->timeout_ms == 80);
  CHECK(r->binary_data_output);
  REQUIRE(r->inputs.size() == 1);
  CHECK(r->inputs[0].value.element_count() == 2);
  REQUIRE(r->outputs.size() == 2);
  CHECK(r->outputs[0].binary_data == false);
  CHECK_FALSE(r->outputs[1].binary_data.has_value());
}

TEST_CASE("bad ids, parameters, outputs and header lengths are refused by field") {
  const std::string x = R"("inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}])";
  CHECK(error_of(R"({"id": 5, )" + x + "}") == "request: \"id\" must be a string");
  CHECK(error_of(R"({"parameters": {"timeout_ms": -1}, )" + x + "}") ==
        "request: parameters.timeout_ms must be a positive integer (milliseconds), got -1");
  CHECK(error_of(R"({"outputs": [{"name": "y"}, {"name": "y"}], )" + x + "}") ==
        "outputs[1]: output 'y' is asked for twice");
  CHECK(error_of(R"({"outputs": [{}], )" + x + "}") ==
        "outputs[0]: expected an object with a non-empty \"name\"");
  CHECK(error_of("[1, 2]") == "request: the body must be a JSON object with \"inputs\"");
  auto too_long = parse_infer_request("{}", std::size_t{10});
  REQUIRE_FALSE(too_long.has_value());
  CHECK(too_long.error().message ==
        "request: Inference-Header-Content-Length is 10 but the body has only 2 bytes");
}

TEST_CASE("requested outputs must be declared, whole records by their prefix") {
  model_metadata metadata{"g", {}, "hogar", {}, {{"scores", "FP32", {4}}, {"analysis", "", {}}}};
  auto request = [](std::string name) {
    infer_request r;
    r.outputs.push_back({std::move(name), std::nullopt});
    return r;
  };
  CHECK_FALSE(check_requested_outputs(request("scores"), metadata).has_value());
  CHECK_FALSE(check_requested_outputs(request("analysis.label"), metadata).has_value());
  auto unknown = check_requested_outputs(request("analysisx"), metadata);
  REQUIRE(unknown.has_value());
  CHECK(unknown->message ==
        "output 'analysisx' is not an output of graph 'g' (outputs: scores, analysis)");
}

TEST_CASE("a response puts binary outputs after the JSON in output order") {
  infer_request request;
  request.outputs = {{"b", true}, {"a", std::nullopt}, {"skipped", true}};
  record outputs{{"a", tensor::scalar<std::int32_t>(3)},
                 {"b", tensor::from_values<std::uint8_t>({2}, {7, 9})}};
  auto encoded = encode_infer_response("g", "id1", outputs, request);
  REQUIRE(encoded.json_length.has_value());
  auto j = json::parse(encoded.body.substr(0, *encoded.json_length));
  CHECK(j["model_name"] == "g");
  CHECK(j["id"] == "id1");
  REQUIRE(j["outputs"].size() == 2);
  CHECK(j["outputs"][0]["name"] == "b");
  CHECK(j["outputs"][0]["parameters"]["binary_data_size"] == 2);
  CHECK(j["outputs"][1]["data"] == json::array({3}));
  CHECK(encoded.body.substr(*encoded.json_length) == std::string{"\x07\x09", 2});
  auto plain = encode_infer_response("g", "id1", outputs, infer_request{});
  CHECK_FALSE(plain.json_length.has_value());
  CHECK(json::parse(plain.body)["outputs"].size() == 2);
}

TEST_CASE("an answer says which model versions served it") {
  record outputs{{"y", tensor::scalar<float>(1)}};
  auto one = json::parse(encode_infer_response("m", "7", outputs, infer_request{},
                                               {{"m", "m", 3}}).body);
  CHECK(one["model_version"] == "3");
  CHECK(one["parameters"]["served_by"][0] == json{{"operator", "m"}, {"model", "m"}, {"version", 3}});
  auto two = json::parse(encode_infer_response("g", "7", outputs, infer_request{},
                                               {{"a", "x", 1}, {"b", "y", 2}}).body);
  CHECK_FALSE(two.contains("model_version"));
  CHECK(two["parameters"]["served_by"].size() == 2);
  auto none = json::parse(encode_infer_response("g", "7", outputs, infer_request{}).body);
  CHECK_FALSE(none.contains("parameters"));
}
