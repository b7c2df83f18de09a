// The `hogar` command line, end to end: exit codes, messages and outputs a user relies on.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "graph/loader.hpp"
#include "test/tools/cli_fixture.hpp"

using hogar::test::run_cli;

namespace {

std::filesystem::path temp_file(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / name;
  std::ofstream{p} << text;
  return p;
}

} // namespace

TEST_CASE("graph check accepts every example graph") {
  auto r = run_cli("graph check config/graphs/image-analysis.yaml config/graphs/stock-prediction.yaml "
                   "config/graphs/sentiment.yaml");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("config/graphs/image-analysis.yaml: ok") != std::string::npos);
}

TEST_CASE("graph check reports every error with its position and exits 1") {
  auto bad = temp_file("hogar_bad_graph.yaml", R"(graph: bad
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: a, kind: identiti, inputs: [x]}
  - {name: b, kind: identity, inputs: [nowhere]}
outputs: [{name: y, from: b}]
)");
  auto r = run_cli("graph check " + bad.string());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(bad.string() + ":4:") != std::string::npos);
  CHECK(r.err.find("identiti") != std::string::npos);
  CHECK(r.err.find(bad.string() + ":5:") != std::string::npos);
  CHECK(r.err.find("nowhere") != std::string::npos);
  CHECK(r.err.find("2 errors") != std::string::npos);
}

TEST_CASE("graph check of a missing file names the file and exits 1") {
  auto r = run_cli("graph check /nonexistent/graph.yaml");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("/nonexistent/graph.yaml") != std::string::npos);
}

TEST_CASE("graph dot prints a Graphviz digraph") {
  auto r = run_cli("graph dot config/graphs/image-analysis.yaml");
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("digraph", 0) == 0);
  CHECK(r.out.find("car_check") != std::string::npos);
}

TEST_CASE("graph import turns a HAMS file into a graph that loads") {
  auto r = run_cli("graph import config/hams/image-analysis.hams --cost-ms 2");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto loaded = hogar::graph::load_graph_text(r.out, "imported.yaml");
  INFO(hogar::graph::to_string(loaded.errors));
  CHECK(loaded.ok());
}

TEST_CASE("graph import rejects a malformed HAMS file with its line number") {
  auto bad = temp_file("hogar_bad.hams", "3\n1\nfrontend,1,img,true,1\nmodel,1,img,maybe,4\n");
  auto r = run_cli("graph import " + bad.string());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(bad.string() + ":4") != std::string::npos);
}

TEST_CASE("graph export writes a HAMS deployment that graph import reads back") {
  auto hams = std::filesystem::temp_directory_path() / "hogar_cli_export.hams";
  auto r = run_cli("graph export --format hams config/graphs/sentiment.yaml -o " + hams.string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  auto text = hogar::test::read_file(hams);
  CHECK(text.find("\n6\n1\n") != std::string::npos);
  CHECK(text.find("\nbest,1,hogar/ensemble,false,1\n") != std::string::npos);
  CHECK(text.find("\nreduce[3,4->5]\n") != std::string::npos);
  auto back = run_cli("graph import " + hams.string());
  INFO(back.err);
  REQUIRE(back.exit_code == 0);
  auto loaded = hogar::graph::load_graph_text(back.out, "imported.yaml");
  INFO(hogar::graph::to_string(loaded.errors));
  REQUIRE(loaded.ok());
  CHECK(loaded.spec->operators.size() == 6);
  CHECK(loaded.spec->operators[4].name == "best");
  std::filesystem::remove(hams);
}

TEST_CASE("graph export refuses a graph with a condition, naming the file, line and operator") {
  auto r = run_cli("graph export config/graphs/image-analysis.yaml");
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find("config/graphs/image-analysis.yaml:") != std::string::npos);
  CHECK(r.err.find("error: operator 'plate_crop': runs only when condition 'car_check' says yes") !=
        std::string::npos);
  CHECK(r.err.find("config/graphs/image-analysis.yaml: 1 error; nothing exported") !=
        std::string::npos);
  auto other = run_cli("graph export --format onnx config/graphs/sentiment.yaml");
  CHECK(other.exit_code == 2);
  CHECK(other.err.find("unknown format 'onnx'; known formats: hams") != std::string::npos);
}

TEST_CASE("run serves a graph and prints results and a latency summary") {
  auto r = run_cli("run config/graphs/image-analysis.yaml --requests 20 --concurrency 4");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("request 1:") != std::string::npos);
  CHECK(r.out.find("20 requests, concurrency 4: 20 ok, 0 failed") != std::string::npos);
  CHECK(r.out.find("latency: p50") != std::string::npos);
}

TEST_CASE("run --json prints one document with every request") {
  auto r = run_cli("run config/graphs/stock-prediction.yaml --requests 30 --concurrency 8 --json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["requests"] == 30);
  CHECK(doc["failed"] == 0);
  CHECK(doc["results"].size() == 30);
  CHECK(doc["latency_us"]["p50"].get<double>() > 0);
  // The cache skipped the models for repeated symbols.
  bool skipped = false;
  for (auto& op : doc["operators"])
    if (op["operator"] == "arima" && op["skipped"].get<int>() > 0)
      skipped = true;
  CHECK(skipped);
}

TEST_CASE("run takes a request from --input as KServe v2 JSON") {
  auto r = run_cli(R"(run config/graphs/sentiment.yaml --requests 1 --json --input '{"inputs": [{"name": "text", "datatype": "UINT8", "shape": [3], "data": [104, 105, 33]}]}')");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  REQUIRE(doc["results"].size() == 1);
  auto& outputs = doc["results"][0]["outputs"];
  CHECK(outputs.size() == 2);
}

TEST_CASE("run refuses malformed input with a message and exit 1") {
  auto r = run_cli("run config/graphs/sentiment.yaml --input '{not json'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("--input: malformed JSON: parse error at line 1, column 3") != std::string::npos);
  auto wrong = run_cli(R"(run config/graphs/sentiment.yaml --requests 1 --input '{"inputs": [{"name": "text", "datatype": "FP32", "shape": [1], "data": [1.5]}]}')");
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.out.find("input 'text': dtype float32 does not match") != std::string::npos);
}

TEST_CASE("run of an invalid graph prints the errors and exits 1") {
  auto r = run_cli("run /nonexistent.yaml");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("/nonexistent.yaml") != std::string::npos);
}

TEST_CASE("an unknown command is a usage error") {
  auto r = run_cli("frobnicate");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown command 'frobnicate'") != std::string::npos);
}
