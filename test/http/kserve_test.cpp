#include "http/kserve.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
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
        "request: parameters.timeout_ms must be a positive integer of at most 86400000 "
        "(milliseconds, one day), got -1");
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

TEST_CASE("requested outputs are the tensors answers carry, or a whole output by its name") {
  model_metadata metadata{"g",
                          {},
                          "hogar",
                          {},
                          {{"scores", "FP32", {4}},
                           {"analysis.label", "INT64", {}},
                           {"analysis.score", "FP32", {}}},
                          true,
                          {"plate"}};
  auto request = [](std::string name) {
    infer_request r;
    r.outputs.push_back({std::move(name), std::nullopt});
    return r;
  };
  CHECK_FALSE(check_requested_outputs(request("scores"), metadata).has_value());
  CHECK_FALSE(check_requested_outputs(request("analysis.label"), metadata).has_value());
  // The output whose tensors are analysis.*: all of them.
  CHECK_FALSE(check_requested_outputs(request("analysis"), metadata).has_value());
  // An output whose tensors could not be inferred: its name and its tensors pass.
  CHECK_FALSE(check_requested_outputs(request("plate"), metadata).has_value());
  CHECK_FALSE(check_requested_outputs(request("plate.digits"), metadata).has_value());
  for (auto wrong : {"analysisx", "analysis.labels", "scores.x", "analys"}) {
    CAPTURE(wrong);
    auto unknown = check_requested_outputs(request(wrong), metadata);
    REQUIRE(unknown.has_value());
    CHECK(unknown->code == errc::invalid_argument);
    CHECK(unknown->message ==
          fmt::format("output '{}' is not an output of graph 'g' (outputs: scores, "
                      "analysis.label, analysis.score, plate)",
                      wrong));
  }
}

TEST_CASE("an output asked for by its name returns each of its tensors once, in answer order") {
  infer_request request;
  request.outputs = {{"analysis.score", std::nullopt}, {"analysis", std::nullopt}};
  record outputs{{"scores", tensor::scalar<float>(0.5f)},
                 {"analysis.label", tensor::scalar<std::int64_t>(2)},
                 {"analysis.score", tensor::scalar<float>(0.25f)}};
  auto j = json::parse(encode_infer_response("g", "1", outputs, request).body);
  REQUIRE(j["outputs"].size() == 2);
  CHECK(j["outputs"][0]["name"] == "analysis.score");
  CHECK(j["outputs"][1]["name"] == "analysis.label");
}

TEST_CASE("server metadata lists every extension hogar implements, by Triton's names") {
  auto j = json::parse(server_metadata_body("1.2.3"));
  CHECK(j["name"] == "hogar");
  CHECK(j["version"] == "1.2.3");
  CHECK(j["extensions"] == json::array({"binary_tensor_data", "model_repository",
                                        "model_configuration", "statistics", "parameters"}));
}

TEST_CASE("model metadata lists the tensors of the answers with their datatypes and shapes") {
  model_metadata m{"g",
                   {"1", "2"},
                   "hogar",
                   {{"image", "UINT8", {96, 128, 3}}},
                   {{"analysis.scores", "FP32", {4}}, {"analysis.label", "INT64", {}}},
                   true,
                   {}};
  auto j = json::parse(model_metadata_body(m));
  CHECK(j["name"] == "g");
  CHECK(j["versions"] == json::array({"1", "2"}));
  CHECK(j["platform"] == "hogar");
  CHECK(j["inputs"][0] == json{{"name", "image"}, {"datatype", "UINT8"}, {"shape", {96, 128, 3}}});
  CHECK(j["outputs"] ==
        json::array({json{{"name", "analysis.scores"}, {"datatype", "FP32"}, {"shape", {4}}},
                     json{{"name", "analysis.label"}, {"datatype", "INT64"},
                          {"shape", json::array()}}}));
}

TEST_CASE("a model configuration is Triton's JSON, field by field") {
  CHECK(triton_data_type("FP32") == "TYPE_FP32");
  CHECK(triton_data_type("UINT8") == "TYPE_UINT8");
  CHECK(triton_data_type("BOOL") == "TYPE_BOOL");
  CHECK(triton_data_type("BYTES") == "TYPE_STRING");
  CHECK(triton_data_type("nonsense").empty());
  model_config c;
  c.name = "classifier";
  c.max_batch_size = 32;
  c.inputs = {{"features", "FP32", {64}}};
  c.outputs = {{"probabilities", "FP32", {10}}};
  c.batching = model_config::dynamic_batching{200, {32}};
  c.instance_groups = {{"classifier", "KIND_CPU", 2}, {"gpu_op", "KIND_GPU", 1}};
  c.version_policy = "specific";
  c.specific_versions = {1, 3};
  c.parameters = {{"operator.classifier", R"({"model":"classifier"})"}};
  auto j = json::parse(model_config_body(c));
  CHECK(j["name"] == "classifier");
  CHECK(j["platform"] == "hogar");
  CHECK(j["max_batch_size"] == 32);
  CHECK(j["input"] == json::array({json{{"name", "features"}, {"data_type", "TYPE_FP32"},
                                        {"dims", {64}}}}));
  CHECK(j["output"][0]["data_type"] == "TYPE_FP32");
  CHECK(j["output"][0]["dims"] == json::array({10}));
  CHECK(j["dynamic_batching"] ==
        json{{"max_queue_delay_microseconds", 200}, {"preferred_batch_size", {32}}});
  CHECK(j["instance_group"][0] == json{{"name", "classifier"}, {"kind", "KIND_CPU"}, {"count", 2}});
  CHECK(j["instance_group"][1]["kind"] == "KIND_GPU");
  CHECK(j["version_policy"] == json{{"specific", {{"versions", {1, 3}}}}});
  CHECK(j["parameters"]["operator.classifier"]["string_value"] == R"({"model":"classifier"})");

  model_config graph;
  graph.name = "g";
  auto k = json::parse(model_config_body(graph));
  CHECK(k["max_batch_size"] == 0);
  CHECK_FALSE(k.contains("dynamic_batching"));
  CHECK(k["version_policy"] == json{{"latest", {{"num_versions", 1}}}});
  graph.version_policy = "all";
  CHECK(json::parse(model_config_body(graph))["version_policy"] == json{{"all", json::object()}});
}

TEST_CASE("statistics are Triton's statistics extension, per model and version") {
  model_statistics e;
  e.name = "detector";
  e.version = "1";
  e.last_inference_ms = 1700000000123;
  e.inference_count = 12;
  e.execution_count = 5;
  e.success = {10, 5000};
  e.fail = {2, 300};
  e.queue = {12, 700};
  e.compute_input = {10, 11};
  e.compute_infer = {10, 22};
  e.compute_output = {10, 33};
  e.batches = {{1, {3, 1}, {3, 2}, {3, 3}}, {4, {2, 4}, {2, 5}, {2, 6}}};
  auto j = json::parse(statistics_body({e}));
  REQUIRE(j["model_stats"].size() == 1);
  auto& s = j["model_stats"][0];
  CHECK(s["name"] == "detector");
  CHECK(s["version"] == "1");
  CHECK(s["last_inference"] == 1700000000123);
  CHECK(s["inference_count"] == 12);
  CHECK(s["execution_count"] == 5);
  CHECK(s["inference_stats"]["success"] == json{{"count", 10}, {"ns", 5000}});
  CHECK(s["inference_stats"]["fail"] == json{{"count", 2}, {"ns", 300}});
  CHECK(s["inference_stats"]["queue"] == json{{"count", 12}, {"ns", 700}});
  CHECK(s["inference_stats"]["compute_input"]["ns"] == 11);
  CHECK(s["inference_stats"]["compute_infer"]["ns"] == 22);
  CHECK(s["inference_stats"]["compute_output"]["ns"] == 33);
  REQUIRE(s["batch_stats"].size() == 2);
  CHECK(s["batch_stats"][1] == json{{"batch_size", 4},
                                    {"compute_input", {{"count", 2}, {"ns", 4}}},
                                    {"compute_infer", {{"count", 2}, {"ns", 5}}},
                                    {"compute_output", {{"count", 2}, {"ns", 6}}}});
  CHECK(json::parse(statistics_body({})) == json{{"model_stats", json::array()}});
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

TEST_CASE("an answer lists the branches it took apart from the models that served it") {
  record outputs{{"y", tensor::scalar<float>(1)}};
  auto j = json::parse(encode_infer_response("g", "7", outputs, infer_request{},
                                             {branch_taken("plate_crop"),
                                              {"plate_reader", "plate_reader", 2}}).body);
  CHECK(j["parameters"]["branches"] == json::array({"plate_crop"}));
  REQUIRE(j["parameters"]["served_by"].size() == 1);
  CHECK(j["parameters"]["served_by"][0]["operator"] == "plate_reader");
  CHECK(j["model_version"] == "2");  // the one model, not counting the branch
  auto only_branch = json::parse(encode_infer_response("g", "7", outputs, infer_request{},
                                                       {branch_taken("b")}).body);
  CHECK_FALSE(only_branch["parameters"].contains("served_by"));
  CHECK_FALSE(only_branch.contains("model_version"));
}

TEST_CASE("an error of several lines also comes as a list, hints kept with their error") {
  auto one = nlohmann::json::parse(error_body("graph 'g' is not deployed"));
  CHECK(one == nlohmann::json{{"error", "graph 'g' is not deployed"}});
  auto many = nlohmann::json::parse(error_body(
    "g.yaml:7:5: error: unknown kind 'nope'\n  hint: known kinds: model\ng.yaml:9:14: error: "
    "unknown input 'y'\n"));
  CHECK(many["errors"] == nlohmann::json::array({"g.yaml:7:5: error: unknown kind 'nope'\n  hint: known kinds: model",
                                                 "g.yaml:9:14: error: unknown input 'y'"}));
  CHECK(many["error"].get<std::string>().find("unknown input 'y'") != std::string::npos);
}
