#include "graph/hams_export.hpp"

#include <algorithm>
#include <filesystem>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "graph/hams_import.hpp"
#include "graph/loader.hpp"
#include "graph/topology.hpp"
#include "test/graph/fixture.hpp"

namespace hogar::graph {

namespace {

using test::read_source_file;

/// The deployment of a graph that must load.
hams_deployment deployment_of(std::string_view yaml, const std::string& file = "g.yaml") {
  auto loaded = load_graph_text(yaml, file);
  INFO(to_string(loaded.errors));
  REQUIRE(loaded.ok());
  return to_hams(build_topology(loaded.spec));
}

/// The nodes of a graph HAMS can express.
std::vector<hams_node> nodes_of(std::string_view yaml, const std::string& file = "g.yaml") {
  auto deployment = deployment_of(yaml, file);
  INFO(to_string(deployment.errors));
  REQUIRE(deployment.ok());
  return deployment.nodes;
}

/// Every refusal of exporting `yaml`, as `hogar graph export` prints them.
std::string refusal(std::string_view yaml) {
  auto deployment = deployment_of(yaml);
  REQUIRE_FALSE(deployment.ok());
  return to_string(deployment.errors);
}

/// The UDGL text `hogar graph import` makes of the export of `nodes`.
std::string export_then_import(const std::vector<hams_node>& nodes) {
  auto hams = write_hams(nodes, "g.yaml");
  INFO(hams);
  auto yaml = import_hams(hams, "exported.hams", {});
  REQUIRE_MESSAGE(yaml.has_value(), yaml.error().message);
  return *yaml;
}

/// The node lines of a HAMS text: after the count and the format number, comments skipped.
std::vector<std::string> node_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t skipped = 0;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = std::string{text.substr(0, end)};
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty() || line.front() == '#')
      continue;
    if (skipped++ < 2)
      continue;
    if (line.starts_with("dist[") || line.starts_with("reduce["))
      break;
    lines.push_back(line);
  }
  return lines;
}

/// Every HAMS file the project has, as paths relative to the source tree: the examples, the
/// fuzzer's seeds and the inputs that once broke it.
std::vector<std::string> project_hams_files() {
  std::vector<std::string> files;
  for (auto folder : {"config/hams", "bench/fuzz/corpus/hams", "bench/fuzz/crashes/hams"})
    for (auto& entry :
         std::filesystem::directory_iterator{std::filesystem::path{HOGAR_SOURCE_DIR} / folder})
      if (entry.is_regular_file())
        files.push_back(fmt::format("{}/{}", folder, entry.path().filename().string()));
  std::sort(files.begin(), files.end());
  return files;
}

constexpr std::string_view every_feature = R"(graph: shop
inputs:
  - {name: image, dtype: uint8, shape: [-1, -1, 3]}
  - {name: text, dtype: uint8, shape: [-1]}
operators:
  - name: resize
    kind: resize
    inputs: [image]
    params: {height: 8, width: 8}
  - name: ocr
    kind: model
    inputs: [resize]
    params: {model: Plate_Reader, version: 3}
    batching: {policy: static, max_batch_size: 8, max_queue_delay_us: 500}
  - name: tagger
    kind: model
    inputs: [image, text]
    params: {path: models/tag ger.onnx}
  - name: counter
    kind: sequence
    inputs: [resize]
  - name: label
    kind: classify
    inputs: [ocr]
    params: {labels: [a, b]}
  - name: joined
    kind: merge
    inputs: [counter, ocr, tagger, label]
    image: {name: "registry.example/merge:2.1", version: test}
    stateful: true
outputs:
  - {name: out, from: joined}
  - {name: plate, from: ocr}
)";

constexpr std::string_view gated = R"(graph: g
inputs: [{name: x, dtype: float32, shape: [4]}]
operators:
  - {name: check, kind: classify, inputs: [x], params: {labels: [a, b, c, d]}}
  - name: plate
    kind: identity
    inputs: [x]
    when: check
outputs: [{name: o, from: plate}]
)";

} // namespace

TEST_CASE("each operator becomes a node line in file order, and its inputs a fan-out or a "
          "fan-in group") {
  auto nodes = nodes_of(every_feature, "shop.yaml");
  // The image and version derive from the kind (a model's from its name, or its file, and its
  // version) unless the operator names them; a kind that keeps state is stateful.
  CHECK(write_hams(nodes, "shop.yaml") == R"(# Exported by `hogar graph export` from shop.yaml.
# HAMS keeps the nodes and the edges between them; params, replicas, batching delays,
# inputs and outputs stay in the graph file.
6
1
# name,version,image,stateful,batch_size
resize,1,hogar/resize,false,1
ocr,3,hogar/plate_reader,false,8
tagger,latest,hogar/tag-ger,false,1
counter,1,hogar/sequence,true,1
label,1,hogar/classify,false,1
joined,test,registry.example/merge:2.1,true,1
dist[1->2,4;2->5]
reduce[4,2,3,5->6]
)");
}

TEST_CASE("import(export(g)) keeps every node, edge and input order of g") {
  auto nodes = nodes_of(every_feature);
  auto yaml = export_then_import(nodes);
  CHECK(nodes_of(yaml) == nodes);
  // The importer's graph: the producers in g's order, the sources on the one graph input.
  auto loaded = load_graph_text(yaml);
  REQUIRE(loaded.ok());
  auto& joined = loaded.spec->operators[5];
  std::vector<std::string> inputs;
  for (auto& in : joined.inputs)
    inputs.push_back(in.name);
  CHECK(inputs == std::vector<std::string>{"counter", "ocr", "tagger", "label"});
  CHECK(loaded.spec->operators[2].inputs[0].name == "input");
}

TEST_CASE("import(export(g)) gives back the nodes of every HAMS file the project has") {
  auto files = project_hams_files();
  CHECK(files.size() >= 5);
  for (auto& file : files) {
    INFO(file);
    auto text = read_source_file(file);
    auto yaml = import_hams(text, file, {});
    REQUIRE_MESSAGE(yaml.has_value(), yaml.error().message);
    auto nodes = nodes_of(*yaml, file);
    auto hams = write_hams(nodes, file);
    INFO(hams);
    CHECK(nodes_of(export_then_import(nodes)) == nodes);
    // Against the file itself, not only against the importer: the node lines come back as
    // written (for files whose names are valid UDGL names and whose batch sizes are not 0).
    if (file.starts_with("config/"))
      CHECK(node_lines(hams) == node_lines(text));
  }
}

TEST_CASE("the export of the imported stock-prediction deployment is that deployment") {
  auto file = std::string{"config/hams/stock-prediction.hams"};
  auto yaml = import_hams(read_source_file(file), file, {});
  REQUIRE(yaml.has_value());
  // The file writes `dist[1->2,3;2->5,6,7;3->4]` and `reduce[4->5]`: the same edges, with the
  // two producers of the LSTM written as one fan-in.
  CHECK(write_hams(nodes_of(*yaml), file) ==
        R"(# Exported by `hogar graph export` from config/hams/stock-prediction.hams.
# HAMS keeps the nodes and the edges between them; params, replicas, batching delays,
# inputs and outputs stay in the graph file.
8
1
# name,version,image,stateful,batch_size
frontend,1,hams/frontend:1.0,false,1
price_history,1,hams/price-retriever:1.0,false,1
twitter_mentions,1,hams/twitter-retriever:1.0,false,1
sentiment,2,hams/sentiment:2.0,false,16
lstm,4,hams/lstm-predictor:4.0,true,1
arima,1,hams/arima:1.0,false,1
gradient_boost,1,hams/xgboost:1.3,false,32
ensemble,1,hams/ensemble-mean:1.0,false,1
dist[1->2,3;2->6,7;3->4]
reduce[2,4->5;5,6,7->8]
)");
}

TEST_CASE("the graphs in config/ round-trip when HAMS can express them, and are refused naming "
          "the operator when they gate or cache") {
  auto folder = std::filesystem::path{HOGAR_SOURCE_DIR} / "config" / "graphs";
  int exported = 0;
  int refused = 0;
  for (auto& entry : std::filesystem::directory_iterator{folder}) {
    if (entry.path().extension() != ".yaml")
      continue;
    auto file = entry.path().string();
    INFO(file);
    auto text = read_source_file("config/graphs/" + entry.path().filename().string());
    auto loaded = load_graph_text(text, file);
    REQUIRE(loaded.ok());
    bool gates_or_caches = std::any_of(
      loaded.spec->operators.begin(), loaded.spec->operators.end(),
      [](auto& op) { return op.when.has_value() || op.kind == "cache"; });
    auto deployment = to_hams(build_topology(loaded.spec));
    INFO(to_string(deployment.errors));
    CHECK(deployment.ok() == !gates_or_caches);
    if (deployment.ok()) {
      ++exported;
      CHECK(nodes_of(export_then_import(deployment.nodes)) == deployment.nodes);
      continue;
    }
    ++refused;
    for (auto& error : deployment.errors) {
      CHECK(error.where.file == file);
      CHECK(error.where.line > 0);
      CHECK(error.message.starts_with("operator '"));
    }
  }
  CHECK(exported >= 5);
  CHECK(refused >= 3);
}

TEST_CASE("export of a graph with a condition is refused, naming the operator, the condition "
          "and the line") {
  CHECK(refusal(gated) == "g.yaml:8:11: error: operator 'plate': runs only when condition "
                          "'check' says yes (`when`), but HAMS has no conditional edges\n"
                          "  hint: remove the `when` to export the graph; the operator then "
                          "runs on every request\n");
  // Without the gate the condition is an operator like any other: its scores feed nothing.
  auto ungated = std::string{gated};
  ungated.replace(ungated.find("    when: check\n"), 16, "");
  auto nodes = nodes_of(ungated);
  REQUIRE(nodes.size() == 2);
  CHECK(nodes[0].image == "hogar/classify");
}

TEST_CASE("a cache and the operators it skips are refused, each with its line") {
  CHECK(refusal(R"(graph: g
inputs: [{name: x, dtype: float32, shape: [4]}]
operators:
  - {name: memo, kind: cache, inputs: [x], params: {fill_from: model}}
  - {name: model, kind: identity, inputs: [x], when: "!memo"}
  - {name: answer, kind: merge, inputs: [memo, model]}
outputs: [{name: o, from: answer}]
)") == "g.yaml:4:5: error: operator 'memo': a cache answers a hit itself and skips the "
       "operators behind its `when`, but HAMS runs every node on every request\n"
       "  hint: export the graph without its cache\n"
       "g.yaml:5:54: error: operator 'model': runs only when condition 'memo' says no (`when`), "
       "but HAMS has no conditional edges\n"
       "  hint: remove the `when` to export the graph; the operator then runs on every "
       "request\n");
}

TEST_CASE("an operator that reads a graph input and an operator, or one input twice, is "
          "refused") {
  CHECK(refusal(R"(graph: g
inputs: [{name: x, dtype: float32, shape: [4]}]
operators:
  - {name: a, kind: identity, inputs: [x]}
  - {name: b, kind: merge, inputs: [a, x]}
  - {name: c, kind: merge, inputs: [a, b, a]}
outputs: [{name: o, from: c}]
)") == "g.yaml:5:40: error: operator 'b': reads graph input 'x' and operator 'a', but HAMS "
       "gives the request only to the nodes no other node feeds\n"
       "  hint: read the input through an operator of its own, or from operators only\n"
       "g.yaml:6:43: error: operator 'c': reads 'a' twice, but HAMS has one edge from a node to "
       "another\n"
       "  hint: read it once\n");
}

TEST_CASE("an image or version that cannot be one field of a node line is refused at its line") {
  CHECK(refusal(R"(graph: g
inputs: [{name: x, dtype: float32, shape: [4]}]
operators:
  - {name: a, kind: identity, inputs: [x], image: {name: "a,b"}}
  - {name: b, kind: identity, inputs: [a], image: {version: "1\n2"}}
  - {name: c, kind: identity, inputs: [b], image: {name: " c"}}
outputs: [{name: o, from: c}]
)") == "g.yaml:4:51: error: operator 'a': image name cannot be written in HAMS: it holds a "
       "',', which separates the fields of a node line\n"
       "g.yaml:5:51: error: operator 'b': image version cannot be written in HAMS: it holds a "
       "control character, and a node is one line\n"
       "g.yaml:6:51: error: operator 'c': image name cannot be written in HAMS: it starts or "
       "ends with a space, which HAMS drops\n");
}

TEST_CASE("operators named like YAML words or like the importer's graph input keep their names") {
  auto nodes = nodes_of(R"(graph: g
inputs: [{name: x, dtype: float32, shape: [4]}]
operators:
  - {name: input, kind: identity, inputs: [x]}
  - {name: "null", kind: identity, inputs: [input]}
  - {name: "false", kind: merge, inputs: ["null", input]}
outputs: [{name: o, from: "false"}]
)");
  CHECK(nodes_of(export_then_import(nodes)) == nodes);
}

TEST_CASE("a chain as deep as a deployment may be exports and comes back, and one operator "
          "more is refused") {
  // Nothing recurses along the graph: a chain of the largest size HAMS takes is as easy as a
  // short one.
  auto chain = [](std::int64_t length) {
    std::string yaml = "graph: chain\ninputs: [{name: x, dtype: float32, shape: [1]}]\n"
                       "operators:\n  - {name: op0, kind: identity, inputs: [x]}\n";
    for (std::int64_t i = 1; i < length; ++i)
      yaml += fmt::format("  - {{name: op{}, kind: identity, inputs: [op{}]}}\n", i, i - 1);
    return yaml + fmt::format("outputs: [{{name: y, from: op{}}}]\n", length - 1);
  };
  auto nodes = nodes_of(chain(hams_max_nodes));
  REQUIRE(nodes.size() == static_cast<std::size_t>(hams_max_nodes));
  CHECK(nodes_of(export_then_import(nodes)) == nodes);
  CHECK(refusal(chain(hams_max_nodes + 1)) ==
        "g.yaml:1:1: error: graph 'chain' has 10001 operators, more than the 10000 a HAMS "
        "deployment may have\n");
}

} // namespace hogar::graph
