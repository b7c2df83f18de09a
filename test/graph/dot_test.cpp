#include "graph/dot.hpp"

#include <doctest/doctest.h>

#include "graph/loader.hpp"
#include "graph/topology.hpp"
#include "test/graph/fixture.hpp"

namespace hogar::graph {

namespace {

std::string dot_of(std::string_view yaml) {
  auto spec = std::make_shared<graph_spec>(test::load_ok(yaml));
  return to_dot(build_topology(spec));
}

} // namespace

TEST_CASE("dot draws inputs, operators by role, outputs, when edges and cache fills") {
  auto dot = dot_of(R"(graph: shapes
inputs: [{name: image, dtype: uint8, shape: [-1]}]
operators:
  - {name: cache, kind: cache, inputs: [image], params: {fill_from: model}}
  - {name: model, kind: simulate, inputs: [image], when: "!cache"}
  - {name: check, kind: threshold, inputs: [model], params: {threshold: 0.5}}
  - {name: extra, kind: identity, inputs: [image], when: check}
  - {name: out, kind: merge, inputs: [cache, model, extra]}
outputs:
  - {name: result, from: out}
  - {name: scores, from: model.scores}
  - {name: echo, from: image}
)");
  CHECK(dot == R"(digraph "shapes" {
  rankdir=TB;
  node [fontname="Helvetica"];
  edge [fontname="Helvetica"];
  "in:image" [shape=ellipse, label="image"];
  "op:cache" [shape=cylinder, label="cache\ncache"];
  "op:model" [shape=box, label="model\nsimulate"];
  "op:check" [shape=diamond, label="check\nthreshold"];
  "op:extra" [shape=box, label="extra\nidentity"];
  "op:out" [shape=box, label="out\nmerge"];
  "out:result" [shape=plaintext, label="result"];
  "out:scores" [shape=plaintext, label="scores"];
  "out:echo" [shape=plaintext, label="echo"];
  "in:image" -> "op:cache";
  "in:image" -> "op:model";
  "op:cache" -> "op:model" [style=dashed, label="no"];
  "op:model" -> "op:cache" [style=dotted, label="fill"];
  "op:model" -> "op:check";
  "in:image" -> "op:extra";
  "op:check" -> "op:extra" [style=dashed, label="yes"];
  "op:cache" -> "op:out";
  "op:model" -> "op:out";
  "op:extra" -> "op:out";
  "op:out" -> "out:result";
  "op:model" -> "out:scores" [label="scores"];
  "in:image" -> "out:echo";
}
)");
}

TEST_CASE("dot escapes quotes and backslashes in names and labels") {
  auto dot = dot_of(R"(graph: quotes
inputs: [{name: a, dtype: float32, shape: [-1]}]
operators: [{name: x, kind: identity, inputs: [a]}]
outputs: [{name: o, from: 'x.say "hi" \ bye'}]
)");
  CHECK(dot.find(R"("op:x" -> "out:o" [label="say \"hi\" \\ bye"];)") != std::string::npos);
}

} // namespace hogar::graph
