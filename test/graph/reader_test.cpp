#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <doctest/doctest.h>

#include "graph/loader.hpp"
#include "test/graph/fixture.hpp"

namespace hogar::graph {

using test::errors_of;
using test::load_ok;

TEST_CASE("a complete graph is read with every field and its position") {
  auto spec = load_ok(R"(graph: full
description: every field once
inputs:
  - name: image
    dtype: uint8
    shape: [-1, 32, 32, 3]
operators:
  - name: check
    kind: threshold
    inputs: image
    params: {threshold: 0.5}
    stateful: true
  - name: model
    kind: simulate
    inputs: [image]
    when: "!check"
    replicas: 3
    placement: {labels: [gpu, fast], gpus: 1}
    batching: {policy: aimd, max_batch_size: 16, max_queue_delay_us: 2000}
    slo_ms: 12.5
    params:
      cost_ms: 2
      output_shape: [2, 2]
outputs:
  - name: scores
    from: model.scores
  - name: raw
    from: image
)");
  CHECK(spec.name == "full");
  CHECK(spec.description == "every field once");
  CHECK(spec.file == "g.yaml");
  REQUIRE(spec.inputs.size() == 1);
  CHECK(spec.inputs[0].type == dtype::uint8);
  CHECK(spec.inputs[0].shape == std::vector<std::int64_t>{-1, 32, 32, 3});
  CHECK(to_string(spec.inputs[0].where) == "g.yaml:4:5");
  REQUIRE(spec.operators.size() == 2);
  auto& check = spec.operators[0];
  REQUIRE(check.inputs.size() == 1);  // a single name is a list of one
  CHECK(check.inputs[0].name == "image");
  CHECK(to_string(check.inputs[0].where) == "g.yaml:10:13");
  auto& model = spec.operators[1];
  CHECK(to_string(model.where) == "g.yaml:13:5");
  REQUIRE(model.when);
  CHECK(model.when->name == "check");
  CHECK(model.when->negated);
  CHECK(to_string(model.when->where) == "g.yaml:16:11");
  CHECK(model.replicas == 3);
  CHECK(model.placement.labels == std::vector<std::string>{"gpu", "fast"});
  CHECK(model.placement.gpus == 1);
  REQUIRE(model.batching);
  CHECK(model.batching->policy == "aimd");
  CHECK(model.batching->max_batch_size == 16);
  CHECK(model.batching->max_queue_delay_us == 2000);
  CHECK(check.stateful);  // one replica: a stateful operator has no others
  CHECK_FALSE(model.stateful);
  CHECK(model.slo_ms == 12.5);
  param_reader p{model};
  CHECK(p.get_number("cost_ms") == 2.0);
  CHECK(p.get_ints("output_shape") == std::vector<std::int64_t>{2, 2});
  REQUIRE(spec.outputs.size() == 2);
  CHECK(spec.outputs[0].from.name == "model");
  CHECK(spec.outputs[0].tensor == "scores");
  CHECK(spec.outputs[1].from.name == "image");
  CHECK(spec.outputs[1].tensor.empty());
}

TEST_CASE("an unknown field is reported with its line and a did-you-mean hint") {
  CHECK(errors_of(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators:
  - name: x
    kind: identity
    inputs: [a]
    replica: 2
outputs: [{name: o, from: x}]
)") == "g.yaml:7:5: error: operator 'x': unknown field 'replica'\n"
       "  hint: did you mean 'replicas'?\n");
}

TEST_CASE("an unknown field that resembles nothing lists the known fields") {
  CHECK(errors_of(R"(graph: g
colour: blue
inputs: [{name: a, dtype: float32, shape: [1]}]
operators: [{name: x, kind: identity, inputs: [a]}]
outputs: [{name: o, from: x}]
)") == "g.yaml:2:1: error: unknown field 'colour'\n"
       "  hint: known fields: graph, description, inputs, operators, outputs\n");
}

TEST_CASE("a wrong type names the operator, the field and the value") {
  CHECK(errors_of(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators:
  - name: x
    kind: identity
    inputs: [a]
    replicas: "two"
outputs: [{name: o, from: x}]
)") == "g.yaml:7:15: error: operator 'x': field 'replicas' must be an integer, got string "
       "\"two\"\n");
}

TEST_CASE("wrong types of the other operator fields are reported in their own words") {
  CHECK(errors_of(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators:
  - name: x
    kind: identity
    inputs: {a: 1}
    stateful: yes
    slo_ms: fast
    when: [a]
    placement: {gpus: 1.5, labels: [3]}
    batching: {policy: 7, max_batch_size: big}
outputs: [{name: o, from: x}]
)") == "g.yaml:6:13: error: operator 'x': field 'inputs' must be a name or a list of names, "
       "got a map\n"
       "g.yaml:7:15: error: operator 'x': field 'stateful' must be true or false, got string "
       "\"yes\"\n"
       "g.yaml:8:13: error: operator 'x': field 'slo_ms' must be a number, got string "
       "\"fast\"\n"
       "g.yaml:9:11: error: operator 'x': field 'when' must be a string, got a list\n"
       "g.yaml:10:23: error: operator 'x': placement: field 'gpus' must be an integer, got "
       "number 1.5\n"
       "g.yaml:10:37: error: operator 'x': placement: every item of 'labels' must be a string, "
       "got integer 3\n"
       "  hint: quote it: \"3\"\n"
       "g.yaml:11:24: error: operator 'x': batching: field 'policy' must be a string, got "
       "integer 7\n"
       "  hint: quote it: policy: \"7\"\n"
       "g.yaml:11:43: error: operator 'x': batching: field 'max_batch_size' must be an "
       "integer, got string \"big\"\n");
}

TEST_CASE("an operator's image is read with its position, and a malformed one is reported") {
  auto spec = load_ok(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators:
  - name: x
    kind: identity
    inputs: [a]
    image: {name: "hams/yolov3:3.0", version: "3"}
  - {name: y, kind: identity, inputs: [x], image: {version: test}}
outputs: [{name: o, from: y}]
)");
  REQUIRE(spec.operators[0].image);
  CHECK(spec.operators[0].image->name == "hams/yolov3:3.0");
  CHECK(spec.operators[0].image->version == "3");
  CHECK(to_string(spec.operators[0].image->where) == "g.yaml:7:12");
  REQUIRE(spec.operators[1].image);
  CHECK(spec.operators[1].image->name.empty());
  CHECK(spec.operators[1].image->version == "test");
  CHECK(errors_of(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators:
  - {name: x, kind: identity, inputs: [a], image: hams/yolov3}
  - {name: y, kind: identity, inputs: [x], image: {name: i, version: 3, tag: v}}
outputs: [{name: o, from: y}]
)") == "g.yaml:4:51: error: operator 'x': field 'image' must be a map with name and version, "
       "got string \"hams/yolov3\"\n"
       "  hint: write `image: {name: hams/yolov3:3.0, version: \"3\"}`\n"
       "g.yaml:5:70: error: operator 'y': image: field 'version' must be a string, got integer "
       "3\n"
       "  hint: quote it: version: \"3\"\n"
       "g.yaml:5:73: error: operator 'y': image: unknown field 'tag'\n"
       "  hint: known image fields: name, version\n");
}

TEST_CASE("every error is reported, not only the first") {
  auto text = errors_of(R"(graph: g
inputs:
  - name: a
    dtype: flaot32
    shape: [1, x]
operators:
  - name: x
    kidn: identity
    inputs: [a]
  - name: y
    kind: identity
    inputs: [x]
    replicas: many
outputs:
  - name: o
    form: y
)");
  CHECK(text ==
        "g.yaml:4:12: error: input 'a': unknown dtype 'flaot32'\n"
        "  hint: did you mean 'float32'?\n"
        "g.yaml:5:16: error: input 'a': every extent of 'shape' must be an integer, got "
        "string \"x\"\n"
        "  hint: use -1 for a dimension of any size\n"
        "g.yaml:8:5: error: operator 'x': unknown field 'kidn'\n"
        "  hint: did you mean 'kind'?\n"
        "g.yaml:7:5: error: operator 'x': missing required field 'kind'\n"
        "  hint: known kinds: identity, simulate, resize, normalize, crop, classify, "
        "threshold, detected, merge, ensemble, select, model, cache, sequence\n"
        "g.yaml:13:15: error: operator 'y': field 'replicas' must be an integer, got string "
        "\"many\"\n"
        "g.yaml:16:5: error: output 'o': unknown field 'form'\n"
        "  hint: did you mean 'from'?\n"
        "g.yaml:15:5: error: output 'o': missing required field 'from'\n"
        "  hint: name the operator or input it comes from: `from: detector`\n");
}

TEST_CASE("a missing graph name and missing input fields are reported at their item") {
  CHECK(errors_of(R"(inputs:
  - {name: a}
operators: [{name: x, kind: identity, inputs: [a]}]
outputs: [{name: o, from: x}]
)") == "g.yaml:2:5: error: input 'a': missing required field 'dtype'\n"
       "  hint: known dtypes: float32, float64, int8, int32, int64, uint8, bool\n"
       "g.yaml:2:5: error: input 'a': missing required field 'shape'\n"
       "  hint: list the extents, -1 for any size: `shape: [-1, 224, 224, 3]`\n"
       "g.yaml:1:1: error: missing required field 'graph'\n"
       "  hint: name the graph on the first line: `graph: my-graph`\n");
}

TEST_CASE("malformed YAML is reported at its line and column") {
  CHECK(errors_of("graph: g\ninputs: [a, b\noperators: []\n") ==
        "g.yaml:3:10: error: malformed YAML: end of sequence flow not found\n"
        "  hint: YAML nests by indentation with spaces (no tabs); quote values that contain "
        "': ', '#' or start with a special character\n");
  CHECK(errors_of("graph: g\ninputs:\n\t- name: a\n").starts_with(
    "g.yaml:3:2: error: malformed YAML: illegal block entry\n"));
}

TEST_CASE("an empty file, a list and several documents are refused with a reason") {
  CHECK(errors_of("") ==
        "g.yaml:1:1: error: graph file is empty\n"
        "  hint: a graph file names the graph (`graph: NAME`) and lists its inputs, operators "
        "and outputs\n");
  CHECK(errors_of("- a\n- b\n") ==
        "g.yaml:1:1: error: a graph file must be a map of fields, got a list\n"
        "  hint: start with `graph: NAME`, then `inputs:`, `operators:` and `outputs:`\n");
  CHECK(errors_of(std::string{test::small_graph} + "---\n" + std::string{test::small_graph}) ==
        "g.yaml:1:1: error: graph file holds 2 YAML documents; a graph file holds one\n"
        "  hint: remove the `---` separators or split the file\n");
}

TEST_CASE("a stray comma, on which yaml-cpp would find documents forever, is malformed YAML") {
  // bench/fuzz/crashes/udgl/timeout-b908...: yaml-cpp 0.7 never consumes a ',' outside
  // brackets and hands out one empty document after another at the same place; counting them
  // hung the reader while its memory grew.
  CHECK(errors_of(",") ==
        "g.yaml:1:1: error: malformed YAML: unexpected ','\n"
        "  hint: YAML nests by indentation with spaces (no tabs); quote values that contain "
        "': ', '#' or start with a special character\n");
  CHECK(errors_of("[a]\n,\n").starts_with("g.yaml:2:1: error: malformed YAML: unexpected ','\n"));
}

TEST_CASE("a field or parameter written twice is reported") {
  CHECK(errors_of(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators:
  - name: x
    kind: simulate
    kind: identity
    inputs: [a]
    params: {cost_ms: 1, cost_ms: 2}
outputs: [{name: o, from: x}]
)") == "g.yaml:6:5: error: operator 'x': field 'kind' appears twice\n"
       "  hint: keep one of them\n"
       "g.yaml:8:26: error: operator 'x': parameter 'cost_ms' appears twice\n"
       "  hint: keep one of them\n");
}

TEST_CASE("plain scalars are typed like YAML 1.2 and quoted ones stay strings") {
  auto spec = load_ok(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators:
  - name: c
    kind: classify
    inputs: [a]
    params: {labels: [car, "1", 2.5], label: "7", threshold: 1}
outputs: [{name: o, from: c}]
)");
  param_reader p{spec.operators[0]};
  CHECK(p.get_strings("labels") == std::vector<std::string>{"car", "1", "2.5"});
  CHECK(p.get_string("label") == "7");
  CHECK(p.get_number("threshold") == 1.0);
  CHECK(std::holds_alternative<double>(*spec.operators[0].find_param("threshold")));
}

TEST_CASE("a parameter that is a map, a nested list or empty is reported") {
  CHECK(errors_of(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators:
  - name: n
    kind: normalize
    inputs: [a]
    params:
      mean: {r: 1}
      std: [[1, 2]]
      scale:
outputs: [{name: o, from: n}]
)") == "g.yaml:8:13: error: operator 'n': parameter 'mean' must be a value or a list of "
       "values, got a map\n"
       "  hint: parameters are values or flat lists of values\n"
       "g.yaml:9:13: error: operator 'n': every item of parameter 'std' must be a single "
       "value, got a list\n"
       "  hint: parameters are values or flat lists of values\n"
       "g.yaml:10:7: error: operator 'n': parameter 'scale' must be a value or a list of "
       "values, got nothing\n"
       "  hint: give it a value or leave it out: `scale: ...`\n");
}

TEST_CASE("when accepts !name and not name as negations") {
  auto spec = load_ok(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators:
  - {name: c, kind: threshold, inputs: [a], params: {threshold: 0}}
  - {name: yes_branch, kind: identity, inputs: [a], when: c}
  - {name: no_branch, kind: identity, inputs: [a], when: not c}
  - {name: no_too, kind: identity, inputs: [a], when: "!c"}
outputs:
  - {name: o1, from: yes_branch}
  - {name: o2, from: no_branch}
  - {name: o3, from: no_too}
)");
  CHECK_FALSE(spec.operators[1].when->negated);
  CHECK(spec.operators[2].when->negated);
  CHECK(spec.operators[2].when->name == "c");
  CHECK(spec.operators[3].when->negated);
  CHECK(spec.operators[3].when->name == "c");
}

TEST_CASE("from splits at the first dot and refuses an empty side") {
  auto spec = load_ok(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators: [{name: x, kind: identity, inputs: [a]}]
outputs: [{name: o, from: x.scores.v2}]
)");
  CHECK(spec.outputs[0].from.name == "x");
  CHECK(spec.outputs[0].tensor == "scores.v2");
  CHECK(errors_of(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators: [{name: x, kind: identity, inputs: [a]}]
outputs: [{name: o, from: x.}]
)") == "g.yaml:4:27: error: output 'o': field 'from' must be OPERATOR or OPERATOR.TENSOR, got "
       "\"x.\"\n"
       "  hint: write `from: detector` or `from: detector.boxes`\n");
}

TEST_CASE("parse_graph_text gives a spec only when there are no errors") {
  auto good = parse_graph_text(test::small_graph, "g.yaml");
  CHECK(good.ok());
  CHECK(good.errors.empty());
  auto bad = parse_graph_text("graph: [", "g.yaml");
  CHECK_FALSE(bad.ok());
  CHECK(bad.errors.size() == 1);
  // Parsing alone does no semantic checks: an unknown kind passes here.
  auto unchecked = parse_graph_text(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [1]}]
operators: [{name: x, kind: nonsense, inputs: [a]}]
outputs: [{name: o, from: x}]
)", "g.yaml");
  CHECK(unchecked.ok());
}

TEST_CASE("deeply nested YAML is refused before the parser recurses") {
  std::string deep = "graph: g\ninputs: " + std::string(100000, '[') + std::string(100000, ']');
  CHECK(errors_of(deep) ==
        "g.yaml:2:72: error: graph file nests deeper than 64 levels\n"
        "  hint: a graph needs a handful of levels; look for runaway brackets\n");
  std::string block = "graph: g\nx:\n";
  for (int i = 0; i < 1000; ++i)
    block += std::string(static_cast<std::size_t>(i + 1), ' ') + "- \n";
  CHECK(errors_of(block).find("nests deeper than 64 levels") != std::string::npos);
  // 64 levels is still read (and then refused for what it says, not for its depth).
  std::string ok_depth = "graph: g\ninputs: " + std::string(63, '[') + std::string(63, ']');
  CHECK(errors_of(ok_depth).find("nests deeper") == std::string::npos);
}

TEST_CASE("a file of 50 MB is refused before it is read") {
  auto path = std::filesystem::temp_directory_path() / "hogar_graph_test_50mb.yaml";
  {
    std::ofstream out{path, std::ios::binary};
    std::string line(1023, '#');
    line += '\n';
    for (int i = 0; i < 50 * 1024; ++i)
      out << line;
  }
  auto result = load_graph_file(path.string());
  std::filesystem::remove(path);
  CHECK_FALSE(result.ok());
  CHECK(to_string(result.errors) ==
        path.string() + ": error: graph file is 50.0 MiB; graph files are limited to 4 MiB\n"
                        "  hint: a graph file describes operators, not data: is this the right "
                        "file?\n");
}

TEST_CASE("text over the size limit is refused by the in-memory reader too") {
  std::string text(max_graph_file_bytes + 1, '#');
  CHECK(errors_of(text).starts_with("g.yaml: error: graph text is 4.0 MiB; graph files are "
                                    "limited to 4 MiB"));
}

TEST_CASE("a missing file or a directory is reported by its path") {
  auto missing = load_graph_file("/nonexistent/hogar/g.yaml");
  CHECK(to_string(missing.errors) ==
        "/nonexistent/hogar/g.yaml: error: cannot open graph file '/nonexistent/hogar/g.yaml': "
        "no such file\n"
        "  hint: check the path; relative paths start at the current directory\n");
  auto dir = std::filesystem::temp_directory_path().string();
  CHECK(to_string(load_graph_file(dir).errors) ==
        dir + ": error: cannot read graph file '" + dir + "': it is a directory\n");
}

TEST_CASE("a graph file on disk is read, and its positions name the file") {
  auto path = std::filesystem::temp_directory_path() / "hogar_graph_test_file.yaml";
  {
    std::ofstream out{path};
    out << test::small_graph << "  - name: extra\n    form: score\n";
  }
  auto result = load_graph_file(path.string());
  std::filesystem::remove(path);
  CHECK(to_string(result.errors) ==
        path.string() + ":15:5: error: output 'extra': unknown field 'form'\n"
                        "  hint: did you mean 'from'?\n" +
          path.string() + ":14:5: error: output 'extra': missing required field 'from'\n"
                          "  hint: name the operator or input it comes from: `from: detector`\n");
}

TEST_CASE("random bytes and truncated graphs never crash the reader") {
  std::mt19937 random{42};
  std::string base{test::small_graph};
  for (int round = 0; round < 300; ++round) {
    std::string text = base.substr(0, random() % base.size());
    for (int k = 0; k < 5; ++k)
      if (!text.empty())
        text[random() % text.size()] = static_cast<char>(random() % 256);
    auto result = load_graph_text(text, "fuzz.yaml");
    CHECK((result.ok() || !result.errors.empty()));
  }
  std::string junk;
  for (int i = 0; i < 4096; ++i)
    junk += static_cast<char>(random() % 256);
  CHECK_FALSE(load_graph_text(junk, "junk.yaml").ok());
}

} // namespace hogar::graph
