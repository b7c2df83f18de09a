#include "http/server.hpp"

#include <cstring>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "fixture.hpp"

using namespace hogar;
using namespace hogar::test;
using nlohmann::json;

namespace {

json body_of(const response& r) {
  return json::parse(r.body());
}

std::string error_of(const response& r) {
  auto j = body_of(r);
  REQUIRE(j.contains("error"));
  return j["error"].get<std::string>();
}

std::string infer_body(const std::vector<float>& x, json extra = json::object()) {
  json body{{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {x.size()}},
                         {"data", x}}}}};
  body.update(extra);
  return body.dump();
}

} // namespace

TEST_CASE("health answers live and ready and follows the backend's readiness") {
  served s;
  client c{s.port};
  auto live = c.get("/v2/health/live");
  REQUIRE(live);
  CHECK(live->result_int() == 200);
  auto ready = c.get("/v2/health/ready");
  REQUIRE(ready);
  CHECK(ready->result_int() == 200);
  s.backend.ready_ = false;
  auto not_ready = c.get("/v2/health/ready");
  REQUIRE(not_ready);
  CHECK(not_ready->result_int() == 503);
  CHECK(error_of(*not_ready) == "the node is not ready to serve");
}

TEST_CASE("server metadata names hogar and every extension it implements") {
  served s;
  client c{s.port};
  auto r = c.get("/v2");
  REQUIRE(r);
  CHECK(r->result_int() == 200);
  CHECK((*r)[bhttp::field::content_type] == "application/json");
  auto j = body_of(*r);
  CHECK(j["name"] == "hogar");
  CHECK(j["version"].is_string());
  CHECK(j["extensions"] == json::array({"binary_tensor_data", "model_repository",
                                        "model_configuration", "statistics", "parameters"}));
}

TEST_CASE("a graph's model configuration is served, per version too, and an unknown one is 404") {
  served s;
  client c{s.port};
  for (auto target : {"/v2/models/double/config", "/v2/models/double/versions/1/config"}) {
    CAPTURE(target);
    auto r = c.get(target);
    REQUIRE(r);
    CHECK(r->result_int() == 200);
    CHECK((*r)[bhttp::field::content_type] == "application/json");
    auto j = body_of(*r);
    CHECK(j["name"] == "double");
    CHECK(j["platform"] == "hogar");
    CHECK(j["max_batch_size"] == 4);
    CHECK(j["input"][0] == json{{"name", "x"}, {"data_type", "TYPE_FP32"}, {"dims", {-1}}});
    CHECK(j["output"][1] == json{{"name", "count"}, {"data_type", "TYPE_INT64"},
                                 {"dims", json::array()}});
    CHECK(j["dynamic_batching"]["max_queue_delay_microseconds"] == 500);
    CHECK(j["instance_group"][0]["count"] == 2);
    CHECK(j["version_policy"] == json{{"specific", {{"versions", {1}}}}});
  }
  auto slow = c.get("/v2/models/slow/config");
  REQUIRE(slow);
  CHECK_FALSE(body_of(*slow).contains("dynamic_batching"));
  auto unknown = c.get("/v2/models/nothing/config");
  REQUIRE(unknown);
  CHECK(unknown->result_int() == 404);
  CHECK(error_of(*unknown) == "graph 'nothing' is not deployed");
  auto post = c.post("/v2/models/double/config", "{}");
  REQUIRE(post);
  CHECK(post->result_int() == 405);
}

TEST_CASE("statistics count what a graph answered, per graph, per version and for all") {
  served s;
  client c{s.port};
  for (float x : {1.f, 2.f, -3.f})
    REQUIRE(c.post("/v2/models/double/infer", infer_body({x})));
  auto r = c.get("/v2/models/double/stats");
  REQUIRE(r);
  CHECK(r->result_int() == 200);
  CHECK((*r)[bhttp::field::cache_control] == "no-store");
  auto stats = body_of(*r)["model_stats"];
  REQUIRE(stats.size() == 2);
  CHECK(stats[0]["name"] == "double");
  CHECK(stats[0]["version"] == "1");
  CHECK(stats[0]["inference_count"] == 2);
  CHECK(stats[0]["inference_stats"]["success"] == json{{"count", 2}, {"ns", 2000}});
  CHECK(stats[0]["inference_stats"]["fail"] == json{{"count", 1}, {"ns", 10}});
  CHECK(stats[0]["batch_stats"][0]["batch_size"] == 1);
  CHECK(stats[1]["version"] == "2");
  auto v2 = c.get("/v2/models/double/versions/2/stats");
  REQUIRE(v2);
  auto only = body_of(*v2)["model_stats"];
  REQUIRE(only.size() == 1);
  CHECK(only[0]["version"] == "2");
  auto all = c.get("/v2/models/stats");
  REQUIRE(all);
  CHECK(all->result_int() == 200);
  auto every = body_of(*all)["model_stats"];
  REQUIRE(every.size() == 3);
  CHECK(every[2]["name"] == "slow");
  auto unknown = c.get("/v2/models/nothing/stats");
  REQUIRE(unknown);
  CHECK(unknown->result_int() == 404);
  CHECK(error_of(*unknown) == "graph 'nothing' is not deployed");
}

TEST_CASE("model metadata lists inputs and outputs and an unknown graph is 404") {
  served s;
  client c{s.port};
  auto r = c.get("/v2/models/double");
  REQUIRE(r);
  CHECK(r->result_int() == 200);
  auto j = body_of(*r);
  CHECK(j["name"] == "double");
  CHECK(j["platform"] == "hogar");
  CHECK(j["inputs"][0] == json{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1}}});
  CHECK(j["outputs"].size() == 2);
  auto versioned = c.get("/v2/models/double/versions/7");
  REQUIRE(versioned);
  CHECK(versioned->result_int() == 200);
  auto unknown = c.get("/v2/models/nothing");
  REQUIRE(unknown);
  CHECK(unknown->result_int() == 404);
  CHECK(error_of(*unknown) == "graph 'nothing' is not served here (graphs: double, slow)");
  auto ready = c.get("/v2/models/double/ready");
  REQUIRE(ready);
  CHECK(ready->result_int() == 200);
  auto slow_ready = c.get("/v2/models/slow/versions/1/ready");
  REQUIRE(slow_ready);
  CHECK(slow_ready->result_int() == 503);
  auto unknown_ready = c.get("/v2/models/nothing/ready");
  REQUIRE(unknown_ready);
  CHECK(unknown_ready->result_int() == 404);
}

TEST_CASE("a JSON inference comes back with exact values and the backend's request id") {
  served s;
  client c{s.port};
  auto r = c.post("/v2/models/double/infer", infer_body({1.5f, -2, 0.1f}));
  REQUIRE(r);
  CHECK(r->result_int() == 200);
  CHECK((*r)[bhttp::field::content_type] == "application/json");
  auto j = body_of(*r);
  CHECK(j["model_name"] == "double");
  CHECK(j["id"] == "1");
  REQUIRE(j["outputs"].size() == 2);
  CHECK(j["outputs"][0]["name"] == "doubled");
  CHECK(j["outputs"][0]["datatype"] == "FP32");
  CHECK(j["outputs"][0]["shape"] == json::array({3}));
  CHECK(j["outputs"][0]["data"].get<std::vector<float>>() == std::vector<float>{3, -4, 0.2f});
  CHECK(j["outputs"][1] ==
        json{{"name", "count"}, {"datatype", "INT64"}, {"shape", json::array()}, {"data", {3}}});
  CHECK(s.backend.last_timeout_ms_ == 30000);
}

TEST_CASE("the request's id is echoed and its timeout reaches the backend") {
  served s;
  client c{s.port};
  auto r = c.post("/v2/models/double/infer",
                  infer_body({1}, {{"id", "req-42"}, {"parameters", {{"timeout_ms", 250}}}}));
  REQUIRE(r);
  CHECK(r->result_int() == 200);
  CHECK(body_of(*r)["id"] == "req-42");
  CHECK(s.backend.last_timeout_ms_ == 250);
}

TEST_CASE("the request's id reaches the backend, for feedback to name the answer by, and an id too long is 400") {
  served s;
  client c{s.port};
  auto r = c.post("/v2/models/double/infer", infer_body({1}, {{"id", "order-17"}}));
  REQUIRE(r);
  CHECK(r->result_int() == 200);
  CHECK(s.backend.last_client_id() == "order-17");
  auto long_id = c.post("/v2/models/double/infer",
                        infer_body({1}, {{"id", std::string(257, 'x')}}));
  REQUIRE(long_id);
  CHECK(long_id->result_int() == 400);
  CHECK(error_of(*long_id).find("at most 256") != std::string::npos);
}

TEST_CASE("POST feedback joins a label or expected values with an answer, and bad feedback is a 4xx naming the field") {
  served s;
  client c{s.port};
  auto right = c.post("/v2/models/double/feedback", R"({"id": "known", "label": 1})");
  REQUIRE(right);
  CHECK(right->result_int() == 200);
  auto body = body_of(*right);
  CHECK(body["id"] == "known");
  CHECK(body["predicted"] == 1);
  CHECK(body["correct"] == true);
  CHECK(body["served_by"][0]["model"] == "double");
  CHECK(body["served_by"][0]["version"] == 2);
  auto values = c.post("/v2/models/double/feedback",
                       R"({"id": "known", "expected": [{"name": "y", "datatype": "FP32",
                           "shape": [2], "data": [1.5, 2]}]})");
  REQUIRE(values);
  CHECK(values->result_int() == 200);
  CHECK(body_of(*values)["mean_absolute_error"] == 0.25);
  auto told = s.backend.last_feedback();
  REQUIRE(told.expected.size() == 1);
  CHECK(told.expected[0].name == "y");
  CHECK(told.expected[0].value.shape() == shape_t{2});
  auto unknown = c.post("/v2/models/double/feedback", R"({"id": "gone", "label": 1})");
  REQUIRE(unknown);
  CHECK(unknown->result_int() == 404);
  CHECK(error_of(*unknown).find("'gone'") != std::string::npos);
  auto graph = c.post("/v2/models/nope/feedback", R"({"id": "known", "label": 1})");
  REQUIRE(graph);
  CHECK(graph->result_int() == 404);
  // Malformed feedback never reaches the backend: each names its field.
  const std::pair<const char*, const char*> bad[] = {
    {R"({"label": 1})", "\"id\""},
    {R"({"id": "known"})", "either \"label\" or \"expected\""},
    {R"({"id": "known", "label": 1, "expected": []})", "either"},
    {R"({"id": "known", "label": -1})", "field label"},
    {R"({"id": "known", "label": 1.5})", "field label"},
    {R"({"id": "known", "label": 1e999})", "feedback"},
    {R"({"id": "known", "label": "cat"})", "field label"},
    {R"({"id": "known", "lable": 1})", "unknown field \"lable\""},
    {R"({"id": "known", "expected": [{"name": "y", "datatype": "FP32", "shape": [2], "data": [1]}]})",
     "field expected[0]"},
    {R"({"id": "known", "expected": {"name": "y"}})", "field expected"},
    {R"({"id": "known", "expected": [{"name": "y", "datatype": "FP32", "shape": [1], "data": [1]},
                                     {"name": "y", "datatype": "FP32", "shape": [1], "data": [1]}]})",
     "given twice"},
    {"[1, 2]", "JSON object"},
    {"{\"id\": \"known\", \"label\": 1", "feedback"},
  };
  for (auto [text, needle] : bad) {
    CAPTURE(text);
    auto r = c.post("/v2/models/double/feedback", text);
    REQUIRE(r);
    CHECK(r->result_int() == 400);
    CHECK(error_of(*r).find(needle) != std::string::npos);
  }
  auto deep = c.post("/v2/models/double/feedback",
                     std::string(100'000, '[') + std::string(100'000, ']'));
  REQUIRE(deep);
  CHECK(deep->result_int() == 400);
}

TEST_CASE("outputs named in the request are the only ones returned and an unknown one is 400") {
  served s;
  client c{s.port};
  auto r = c.post("/v2/models/double/infer",
                  infer_body({2, 3}, {{"outputs", {{{"name", "count"}}}}}));
  REQUIRE(r);
  CHECK(r->result_int() == 200);
  auto outputs = body_of(*r)["outputs"];
  REQUIRE(outputs.size() == 1);
  CHECK(outputs[0]["name"] == "count");
  CHECK(outputs[0]["data"] == json::array({2}));

  auto bad = c.post("/v2/models/double/infer",
                    infer_body({2}, {{"outputs", {{{"name", "tripled"}}}}}));
  REQUIRE(bad);
  CHECK(bad->result_int() == 400);
  CHECK(error_of(*bad) ==
        "output 'tripled' is not an output of graph 'double' (outputs: doubled, count)");
}

TEST_CASE("binary inputs and binary outputs round trip byte for byte") {
  served s;
  client c{s.port};
  std::vector<float> x{1.25f, -3.5f, 1e-3f, 65504};
  json header{{"id", "bin"},
              {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {2, 2}},
                           {"parameters", {{"binary_data_size", 16}}}}}},
              {"outputs", {{{"name", "doubled"}, {"parameters", {{"binary_data", true}}}},
                           {{"name", "count"}}}}};
  auto text = header.dump();
  std::string body = text;
  body.append(reinterpret_cast<const char*>(x.data()), x.size() * sizeof(float));
  auto r = c.post("/v2/models/double/infer", body,
                  {{"Inference-Header-Content-Length", std::to_string(text.size())}});
  REQUIRE(r);
  REQUIRE(r->result_int() == 200);
  CHECK((*r)[bhttp::field::content_type] == "application/octet-stream");
  auto length_field = (*r)["Inference-Header-Content-Length"];
  REQUIRE_FALSE(length_field.empty());
  auto json_length = std::stoul(std::string{length_field});
  REQUIRE(json_length <= r->body().size());
  auto j = json::parse(r->body().substr(0, json_length));
  REQUIRE(j["outputs"].size() == 2);
  CHECK(j["outputs"][0]["name"] == "doubled");
  CHECK(j["outputs"][0]["shape"] == json::array({2, 2}));
  CHECK(j["outputs"][0]["parameters"]["binary_data_size"] == 16);
  CHECK_FALSE(j["outputs"][0].contains("data"));
  CHECK(j["outputs"][1]["data"] == json::array({4}));
  std::vector<float> expected{2.5f, -7, 2e-3f, 131008};
  REQUIRE(r->body().size() == json_length + 16);
  CHECK(std::memcmp(r->body().data() + json_length, expected.data(), 16) == 0);
}

TEST_CASE("binary_data_output returns every output as raw bytes") {
  served s;
  client c{s.port};
  auto r = c.post("/v2/models/double/infer",
                  infer_body({1, 2}, {{"parameters", {{"binary_data_output", true}}}}));
  REQUIRE(r);
  REQUIRE(r->result_int() == 200);
  auto json_length = std::stoul(std::string{(*r)["Inference-Header-Content-Length"]});
  auto j = json::parse(r->body().substr(0, json_length));
  CHECK(j["outputs"][0]["parameters"]["binary_data_size"] == 8);
  CHECK(j["outputs"][1]["parameters"]["binary_data_size"] == 8);
  REQUIRE(r->body().size() == json_length + 16);
  std::int64_t count = 0;
  std::memcpy(&count, r->body().data() + json_length + 8, 8);
  CHECK(count == 2);
}

TEST_CASE("malformed JSON is 400 with the parser's position") {
  served s;
  client c{s.port};
  auto r = c.post("/v2/models/double/infer", R"({"inputs": [)");
  REQUIRE(r);
  CHECK(r->result_int() == 400);
  auto message = error_of(*r);
  CHECK(message.rfind("graph 'double': request: malformed JSON: parse error at line 1, column ",
                      0) == 0);
}

TEST_CASE("a wrong datatype is 400 naming the input") {
  served s;
  client c{s.port};
  auto unsupported = c.post(
    "/v2/models/double/infer",
    R"({"inputs": [{"name": "x", "datatype": "FP16", "shape": [1], "data": [1]}]})");
  REQUIRE(unsupported);
  CHECK(unsupported->result_int() == 400);
  CHECK(error_of(*unsupported).find("input 'x': datatype 'FP16' is not supported") !=
        std::string::npos);
  auto refused = c.post(
    "/v2/models/double/infer",
    R"({"inputs": [{"name": "x", "datatype": "INT32", "shape": [1], "data": [1]}]})");
  REQUIRE(refused);
  CHECK(refused->result_int() == 400);
  CHECK(error_of(*refused) == "graph 'double': input 'x' must be FP32, got INT32");
}

TEST_CASE("an unknown graph is 404 and unknown paths and wrong methods are refused") {
  served s;
  client c{s.port};
  auto r = c.post("/v2/models/nothing/infer", infer_body({1}));
  REQUIRE(r);
  CHECK(r->result_int() == 404);
  CHECK(error_of(*r) == "graph 'nothing' is not served here");
  auto path = c.get("/v3/anything");
  REQUIRE(path);
  CHECK(path->result_int() == 404);
  CHECK(error_of(*path) == "no route for GET /v3/anything");
  auto method = c.get("/v2/models/double/infer");
  REQUIRE(method);
  CHECK(method->result_int() == 405);
  CHECK((*method)[bhttp::field::allow] == "POST");
  CHECK(error_of(*method).find("use POST") != std::string::npos);
}

TEST_CASE("backend errors map onto statuses and overload asks the client to retry") {
  served s;
  client c{s.port};
  auto status_of = [&](float x) {
    auto r = c.post("/v2/models/double/infer", infer_body({x}));
    REQUIRE(r);
    return *r;
  };
  auto overloaded = status_of(-1);
  CHECK(overloaded.result_int() == 503);
  CHECK(overloaded[bhttp::field::retry_after] == "1");
  CHECK(error_of(overloaded) == "graph 'double': too many requests");
  auto late = status_of(-2);
  CHECK(late.result_int() == 504);
  auto failed = status_of(-3);
  CHECK(failed.result_int() == 500);
  CHECK(error_of(failed) == "graph 'double': operator 'twice' failed");
  auto thrown = status_of(-4);
  CHECK(thrown.result_int() == 500);
  CHECK(error_of(thrown).find("injected failure in infer") != std::string::npos);
  auto unavailable = status_of(-5);
  CHECK(unavailable.result_int() == 503);
  CHECK(unavailable[bhttp::field::retry_after] == "1");
  CHECK(status_of(-6).result_int() == 500);
  // The server is still serving after all of these.
  CHECK(status_of(4).result_int() == 200);
}

TEST_CASE("a request past its deadline is 504") {
  served s;
  client c{s.port};
  auto r = c.post("/v2/models/slow/infer",
                  infer_body({1}, {{"parameters", {{"timeout_ms", 20}}}}));
  REQUIRE(r);
  CHECK(r->result_int() == 504);
  CHECK(error_of(*r) == "graph 'slow': deadline of 20 ms passed");
}

TEST_CASE("a body over the limit is 413") {
  http::server_options options;
  options.max_body_bytes = 1024;
  served s{options};
  client c{s.port};
  auto r = c.post("/v2/models/double/infer", std::string(4096, ' '));
  REQUIRE(r);
  CHECK(r->result_int() == 413);
  CHECK(error_of(*r) == "request body larger than the limit of 1024 bytes");
  CHECK_FALSE(r->keep_alive());
  // Within the limit on a new connection: answered.
  client again{s.port};
  auto ok = again.post("/v2/models/double/infer", infer_body({1}));
  REQUIRE(ok);
  CHECK(ok->result_int() == 200);
}

TEST_CASE("a client that sends half a request and disconnects costs the server nothing") {
  served s;
  {
    client half{s.port};
    half.send_raw("POST /v2/models/double/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                  "\r\n{\"inputs\": [");
    half.close();
  }
  {
    client header_only{s.port};
    header_only.send_raw("GET /v2/health/li");
    header_only.close();
  }
  client c{s.port};
  auto r = c.post("/v2/models/double/infer", infer_body({5}));
  REQUIRE(r);
  CHECK(r->result_int() == 200);
  CHECK(body_of(*r)["outputs"][0]["data"] == json::array({10.0}));
}

TEST_CASE("a client that stalls mid-request is disconnected after the client timeout") {
  http::server_options options;
  options.client_timeout_ms = 100;
  served s{options};
  client stalled{s.port};
  stalled.send_raw("POST /v2/models/double/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n"
                   "\r\n{");
  CHECK(stalled.closed_by_server());
  client c{s.port};
  auto r = c.get("/v2/health/live");
  REQUIRE(r);
  CHECK(r->result_int() == 200);
}

TEST_CASE("something that is not HTTP is answered 400 and the connection closed") {
  served s;
  client c{s.port};
  c.send_raw("NOT HTTP AT ALL\r\n\r\n");
  auto r = c.read();
  REQUIRE(r);
  CHECK(r->result_int() == 400);
  CHECK(error_of(*r).rfind("malformed HTTP request: ", 0) == 0);
  CHECK_FALSE(r->keep_alive());
  CHECK(c.closed_by_server());
}

TEST_CASE("100 concurrent keep-alive requests from several threads are all answered") {
  served s;
  constexpr int threads = 10;
  constexpr int per_thread = 10;
  std::atomic<int> correct{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t)
    clients.emplace_back([&, t] {
      // One connection per thread, kept alive across its requests.
      client c{s.port};
      for (int i = 0; i < per_thread; ++i) {
        float x = static_cast<float>(t * 100 + i);
        auto r = c.post("/v2/models/double/infer", infer_body({x}));
        if (r && r->result_int() == 200 && r->keep_alive() &&
            json::parse(r->body())["outputs"][0]["data"][0].get<float>() == 2 * x)
          ++correct;
      }
    });
  for (auto& t : clients)
    t.join();
  CHECK(correct == threads * per_thread);
  CHECK(s.backend.requests_ == threads * per_thread);
}

TEST_CASE("metrics are served as Prometheus text") {
  served s;
  client c{s.port};
  auto r = c.get("/metrics");
  REQUIRE(r);
  CHECK(r->result_int() == 200);
  CHECK((*r)[bhttp::field::content_type] == "text/plain; version=0.0.4");
  CHECK(r->body() == "# TYPE hogar_requests_total counter\nhogar_requests_total 0\n");
}

TEST_CASE("the web page, its script and style, and the snapshot are served") {
  served s;
  client c{s.port};
  for (auto target : {"/", "/dashboard"}) {
    auto r = c.get(target);
    REQUIRE(r);
    CHECK(r->result_int() == 200);
    CHECK((*r)[bhttp::field::content_type] == "text/html; charset=utf-8");
    CHECK(r->body().find("ui/app.js") != std::string::npos);
    CHECK(r->body().find("ui/style.css") != std::string::npos);
    // Nothing from another host: the page works where there is no internet.
    CHECK(r->body().find("http://") == std::string::npos);
    CHECK(r->body().find("https://") == std::string::npos);
  }
  auto script = c.get("/ui/app.js");
  REQUIRE(script);
  CHECK(script->result_int() == 200);
  CHECK((*script)[bhttp::field::content_type] == "text/javascript; charset=utf-8");
  CHECK(script->body().find("/v2/dashboard.json") != std::string::npos);
  CHECK(script->body().find("layout.svg") != std::string::npos);
  auto style = c.get("/ui/style.css");
  REQUIRE(style);
  CHECK((*style)[bhttp::field::content_type] == "text/css; charset=utf-8");
  for (auto target : {"/ui/nothing.js", "/ui/index.html", "/ui/..%2fserver.cpp"}) {
    auto missing = c.get(target);
    REQUIRE(missing);
    CHECK_MESSAGE(missing->result_int() == 404, target);
  }
  auto snapshot = c.get("/v2/dashboard.json");
  REQUIRE(snapshot);
  CHECK(snapshot->result_int() == 200);
  CHECK(body_of(*snapshot)["operators"][0]["name"] == "twice");
}

TEST_CASE("a graph's layout is Graphviz's SVG, its names escaped, and an unknown graph is 404") {
  served s;
  client c{s.port};
  auto svg = c.get("/v2/ui/graphs/double/layout.svg");
  REQUIRE(svg);
  REQUIRE(svg->result_int() == 200);
  CHECK((*svg)[bhttp::field::content_type] == "image/svg+xml");
  CHECK(svg->body().find("<svg") != std::string::npos);
  CHECK(svg->body().find("class=\"node\"") != std::string::npos);
  // The operator named "<b>twice</b> \"q\"" is text in the SVG, never markup.
  CHECK(svg->body().find("<b>") == std::string::npos);
  CHECK(svg->body().find("&lt;b&gt;twice&lt;/b&gt;") != std::string::npos);
  auto again = c.get("/v2/ui/graphs/double/layout.svg");
  REQUIRE(again);
  CHECK(again->body() == svg->body());
  auto ghost = c.get("/v2/ui/graphs/ghost/layout.svg");
  REQUIRE(ghost);
  CHECK(ghost->result_int() == 404);
  CHECK(error_of(*ghost) == "graph 'ghost' is not deployed");
}

TEST_CASE("a graph is submitted and removed over HTTP, and a broken one lists every error") {
  served s;
  client c{s.port};
  auto ok = c.post("/v2/ui/graphs?file=..%2F..%2Fetc%2Fmine.yaml", "graph: submitted\n");
  REQUIRE(ok);
  CHECK(ok->result_int() == 200);
  CHECK(body_of(*ok) == nlohmann::json{{"graph", "submitted"}, {"operators", 2}, {"replicas", 3}});
  auto broken = c.post("/v2/ui/graphs?file=bad.yaml", "graph: broken\n");
  REQUIRE(broken);
  CHECK(broken->result_int() == 400);
  auto errors = body_of(*broken)["errors"];
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == "bad.yaml:2:3: unknown field 'opertors'");
  CHECK(errors[1] == "bad.yaml:7:5: operator 'b': input 'nope' is not an input or operator");
  auto unnamed = c.post("/v2/ui/graphs", "graph: submitted\n");
  REQUIRE(unnamed);
  // Only the file's own name reaches the node: no folder to look for `path:` models in.
  CHECK(s.backend.submitted_files() == std::vector<std::string>{"mine.yaml", "bad.yaml", "graph.yaml"});
  auto removed = c.request(bhttp::verb::delete_, "/v2/ui/graphs/double");
  REQUIRE(removed);
  CHECK(removed->result_int() == 200);
  CHECK(body_of(*removed)["graph"] == "double");
  auto ghost = c.request(bhttp::verb::delete_, "/v2/ui/graphs/ghost");
  REQUIRE(ghost);
  CHECK(ghost->result_int() == 404);
  auto wrong = c.get("/v2/ui/graphs");
  REQUIRE(wrong);
  CHECK(wrong->result_int() == 405);
}

TEST_CASE("a model reloads over HTTP, and an unknown one is 404") {
  served s;
  client c{s.port};
  auto ok = c.post("/v2/repository/models/double/reload", "{}");
  REQUIRE(ok);
  CHECK(ok->result_int() == 200);
  CHECK(body_of(*ok)["message"] == "model 'double' reloaded: version 1 on 1 replica");
  auto ghost = c.post("/v2/repository/models/ghost/reload", "{}");
  REQUIRE(ghost);
  CHECK(ghost->result_int() == 404);
}

TEST_CASE("stop answers the inference in flight and then refuses connections") {
  served s;
  std::optional<response> answer;
  std::thread requester{[&] {
    client c{s.port};
    answer = c.post("/v2/models/slow/infer", infer_body({7}));
  }};
  REQUIRE(wait_until([&] { return s.backend.slow_waiting_ == 1; }));
  // An idle kept-alive connection does not hold stop up.
  client idle{s.port};
  REQUIRE(idle.get("/v2/health/live"));
  std::atomic<bool> stopped{false};
  std::thread stopper{[&] {
    s.server.stop();
    stopped = true;
  }};
  CHECK(idle.closed_by_server());
  CHECK_FALSE(stopped);
  s.backend.release_slow();
  requester.join();
  stopper.join();
  REQUIRE(answer);
  CHECK(answer->result_int() == 200);
  CHECK_FALSE(answer->keep_alive());
  asio::io_context ioc;
  tcp::socket socket{ioc};
  beast::error_code ec;
  socket.connect(tcp::endpoint{asio::ip::address_v4::loopback(), s.port}, ec);
  CHECK(ec);
}

TEST_CASE("a port in use is refused with host, port and reason") {
  served s;
  fake_backend other;
  http::server_options options;
  options.port = s.port;
  http::server second{other, options};
  auto bound = second.start();
  REQUIRE_FALSE(bound.has_value());
  CHECK(bound.error().code == errc::io_error);
  CHECK(bound.error().message ==
        fmt::format("http: cannot listen on 127.0.0.1:{}: Address already in use (binding)",
                    s.port));
}

TEST_CASE("a port another process shares with SO_REUSEPORT is refused, not silently shared") {
  // The server's own listeners share their port with SO_REUSEPORT; a second daemon started on
  // the same port must still fail instead of taking half of the first one's connections.
  asio::io_context ioc;
  tcp::acceptor foreign{ioc};
  foreign.open(tcp::v4());
  foreign.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>{true});
  foreign.bind(tcp::endpoint{asio::ip::address_v4::loopback(), 0});
  foreign.listen();
  auto port = foreign.local_endpoint().port();
  fake_backend other;
  http::server_options options;
  options.port = port;
  http::server second{other, options};
  auto bound = second.start();
  REQUIRE_FALSE(bound.has_value());
  CHECK(bound.error().message ==
        fmt::format("http: cannot listen on 127.0.0.1:{}: Address already in use (binding)",
                    port));
}

TEST_CASE("every listener of a server answers: 64 connections, four listeners, one thread") {
  // Four listeners on the same port; the kernel spreads connections over them by a hash of the
  // client's address and port. A listener that never accepts would leave about a quarter of
  // these 64 connections unanswered (the chance that none lands on it: 1e-8).
  http::server_options options;
  options.threads = 1;
  options.listeners = 4;
  served s{options};
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < 64; ++i)
    clients.push_back(std::make_unique<client>(s.port));
  for (auto& c : clients) {
    auto live = c->get("/v2/health/live");
    REQUIRE(live);
    CHECK(live->result_int() == 200);
  }
}

TEST_CASE("the repository index lists models and their state, and ready filters it") {
  served s;
  client c{s.port};
  auto all = c.post("/v2/repository/index", "");
  REQUIRE(all);
  CHECK(all->result_int() == 200);
  auto list = nlohmann::json::parse(all->body());
  REQUIRE(list.size() == 2);
  CHECK(list[0]["name"] == "double");
  CHECK(list[0]["state"] == "READY");
  CHECK(list[1]["name"] == "spare");
  CHECK(list[1]["state"] == "UNAVAILABLE");
  CHECK(list[1]["reason"] == "not loaded");
  auto ready = c.post("/v2/repository/index", R"({"ready": true})");
  REQUIRE(ready);
  CHECK(nlohmann::json::parse(ready->body()).size() == 1);
  auto bad = c.post("/v2/repository/index", "[1");
  REQUIRE(bad);
  CHECK(bad->result_int() == 400);
}

TEST_CASE("a repository model loads and unloads, and an unknown one is 404") {
  served s;
  client c{s.port};
  auto load = c.post("/v2/repository/models/spare/load", "");
  REQUIRE(load);
  CHECK(load->result_int() == 200);
  CHECK(s.backend.spare_loaded_);
  auto unload = c.post("/v2/repository/models/spare/unload", "");
  REQUIRE(unload);
  CHECK(unload->result_int() == 200);
  CHECK_FALSE(s.backend.spare_loaded_);
  auto ghost = c.post("/v2/repository/models/ghost/load", "");
  REQUIRE(ghost);
  CHECK(ghost->result_int() == 404);
  CHECK(error_of(*ghost) == "model 'ghost' is not in the repository");
  auto method = c.get("/v2/repository/models/spare/load");
  REQUIRE(method);
  CHECK(method->result_int() == 405);
}

TEST_CASE("POST tuning sets knobs, and a malformed body or a bad knob is a 4xx naming the field") {
  served s;
  client c{s.port};
  auto ok = c.post("/v2/models/pipeline/tuning",
                   R"({"operator": "model", "knobs": {"batch_size": 16}})");
  REQUIRE(ok);
  CHECK(ok->result_int() == 200);
  auto replicas = nlohmann::json::parse(ok->body())["replicas"];
  REQUIRE(replicas.size() == 1);
  CHECK(replicas[0] == "model replica 0: batch_size=16");
  auto outside = c.post("/v2/models/pipeline/tuning",
                        R"({"operator": "model", "knobs": {"batch_size": 100}})");
  REQUIRE(outside);
  CHECK(outside->result_int() == 400);
  CHECK(error_of(*outside).find("batch_size=100") != std::string::npos);
  auto text = c.post("/v2/models/pipeline/tuning",
                     R"({"operator": "model", "knobs": {"batch_size": "16"}})");
  REQUIRE(text);
  CHECK(text->result_int() == 400);
  CHECK(error_of(*text).find("knob \"batch_size\" must be an integer") != std::string::npos);
  auto huge = c.post("/v2/models/pipeline/tuning",
                     R"({"operator": "model", "knobs": {"batch_size": 1e999}})");
  REQUIRE(huge);
  CHECK(huge->result_int() == 400);
  auto no_op = c.post("/v2/models/pipeline/tuning", R"({"knobs": {"batch_size": 4}})");
  REQUIRE(no_op);
  CHECK(no_op->result_int() == 400);
  CHECK(error_of(*no_op).find("\"operator\"") != std::string::npos);
  auto deep = c.post("/v2/models/pipeline/tuning", std::string(100, '[') + std::string(100, ']'));
  REQUIRE(deep);
  CHECK(deep->result_int() == 400);
  auto ghost = c.post("/v2/models/ghost/tuning", R"({"operator": "model", "knobs": {}})");
  REQUIRE(ghost);
  CHECK(ghost->result_int() == 404);
  auto method = c.get("/v2/models/pipeline/tuning");
  REQUIRE(method);
  CHECK(method->result_int() == 405);
}
