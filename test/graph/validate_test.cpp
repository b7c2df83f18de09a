#include <filesystem>

#include <doctest/doctest.h>

#include "graph/kinds.hpp"
#include "graph/loader.hpp"
#include "test/graph/fixture.hpp"

namespace hogar::graph {

using test::errors_of;
using test::load_ok;

namespace {

/// A graph with input `a` and the operators given (YAML list items, indented by two).
std::string with_operators(std::string_view operators, std::string_view outputs = "x") {
  return "graph: g\n"
         "inputs: [{name: a, dtype: float32, shape: [-1]}]\n"
         "operators:\n" +
         std::string{operators} + "outputs: [{name: o, from: " + std::string{outputs} + "}]\n";
}

} // namespace

TEST_CASE("an unknown kind gets the closest kind as a hint, or the list of kinds") {
  CHECK(errors_of(with_operators("  - {name: x, kind: simulat, inputs: [a]}\n")) ==
        "g.yaml:4:5: error: operator 'x': unknown kind 'simulat'\n"
        "  hint: did you mean 'simulate'?\n");
  CHECK(errors_of(with_operators("  - {name: x, kind: yolo, inputs: [a]}\n")) ==
        "g.yaml:4:5: error: operator 'x': unknown kind 'yolo'\n"
        "  hint: known kinds: identity, simulate, resize, normalize, crop, classify, threshold, "
        "detected, merge, ensemble, select, model, cache, sequence\n");
}

TEST_CASE("an unknown parameter gets the closest parameter of its kind as a hint") {
  CHECK(errors_of(with_operators(
          "  - {name: x, kind: resize, inputs: [a], params: {height: 4, widht: 4}}\n")) ==
        "g.yaml:4:62: error: operator 'x': kind 'resize' has no parameter 'widht'\n"
        "  hint: did you mean 'width'?\n"
        "g.yaml:4:5: error: operator 'x': missing required parameter 'width' (integer) of kind "
        "'resize'\n"
        "  hint: add `width: ...` under `params:` (output width, pixels)\n");
  CHECK(errors_of(with_operators(
          "  - {name: x, kind: identity, inputs: [a], params: {speed: 4}}\n")) ==
        "g.yaml:4:53: error: operator 'x': kind 'identity' has no parameter 'speed'\n"
        "  hint: kind 'identity' takes no parameters\n");
}

TEST_CASE("a parameter of the wrong type is reported with what was written") {
  CHECK(errors_of(with_operators(R"(  - name: x
    kind: simulate
    inputs: [a]
    params:
      cost_ms: fast
      fail_every: 1.5
      output_shape: 4
      output_name: 12
)")) == "g.yaml:8:7: error: operator 'x': parameter 'cost_ms' must be a number, got string "
        "\"fast\"\n"
        "  hint: fixed cost per call, milliseconds\n"
        "g.yaml:9:7: error: operator 'x': parameter 'fail_every' must be an integer, got number "
        "1.5\n"
        "  hint: write a whole number, without a decimal point\n"
        "g.yaml:10:7: error: operator 'x': parameter 'output_shape' must be a list of integers, "
        "got integer 4\n"
        "  hint: write a list, even of one value: `output_shape: [4]`\n"
        "g.yaml:11:7: error: operator 'x': parameter 'output_name' must be a string, got "
        "integer 12\n"
        "  hint: quote it: `output_name: \"12\"`\n");
}

TEST_CASE("integers are accepted where numbers are expected, and converted") {
  auto spec = load_ok(with_operators(
    "  - {name: x, kind: normalize, inputs: [a], params: {scale: 2, mean: [1, 2, 3]}}\n"));
  auto& op = spec.operators[0];
  CHECK(std::get<double>(*op.find_param("scale")) == 2.0);
  CHECK(std::get<std::vector<double>>(*op.find_param("mean")) == std::vector<double>{1, 2, 3});
}

TEST_CASE("a choice outside its choices and a value outside its bounds are reported") {
  CHECK(errors_of(with_operators(
          "  - {name: x, kind: simulate, inputs: [a], params: {mode: slep, cost_ms: -1, "
          "output_shape: [2, -3]}}\n")) ==
        "g.yaml:4:53: error: operator 'x': parameter 'mode' must be one of sleep, spin; got "
        "\"slep\"\n"
        "  hint: did you mean 'sleep'?\n"
        "g.yaml:4:65: error: operator 'x': parameter 'cost_ms' is -1, outside the allowed "
        "minimum 0\n"
        "  hint: fixed cost per call, milliseconds\n"
        "g.yaml:4:78: error: operator 'x': parameter 'output_shape' is -3, outside the allowed "
        "minimum 0\n"
        "  hint: shape of the generated tensor (values are a deterministic function of the "
        "inputs, in [0, 1) for floats)\n");
}

TEST_CASE("a missing required parameter is reported with its type and help") {
  CHECK(errors_of(with_operators("  - {name: x, kind: threshold, inputs: [a]}\n")) ==
        "g.yaml:4:5: error: operator 'x': missing required parameter 'threshold' (number) of "
        "kind 'threshold'\n"
        "  hint: add `threshold: ...` under `params:` (the value compared against)\n");
}

TEST_CASE("validation fills in every default, typed exactly as the schema says") {
  auto spec = load_ok(with_operators("  - {name: x, kind: simulate, inputs: [a]}\n"));
  auto& op = spec.operators[0];
  auto* kind = find_kind("simulate");
  REQUIRE(kind != nullptr);
  CHECK(op.params.size() == kind->params.size());
  param_reader p{op};
  CHECK(p.get_number("cost_ms") == 0.0);
  CHECK(p.get_string("mode") == "sleep");
  CHECK(p.get_string("output_dtype") == "float32");
  CHECK(p.get_ints("output_shape") == std::vector<std::int64_t>{1});
  CHECK(p.get_int("fail_every") == 0);
  CHECK(std::holds_alternative<double>(*op.find_param("cost_ms")));
  auto classify = load_ok(with_operators(
    "  - {name: x, kind: classify, inputs: [a], params: {labels: [], threshold: 1}}\n"));
  CHECK(param_reader{classify.operators[0]}.get_strings("labels").empty());
  CHECK(std::holds_alternative<double>(*classify.operators[0].find_param("threshold")));
}

TEST_CASE("inputs and operators share one namespace, and outputs have their own") {
  CHECK(errors_of(with_operators("  - {name: a, kind: identity, inputs: [a]}\n", "a")) ==
        "g.yaml:4:5: error: operator 'a': the name 'a' is already taken by input 'a' at "
        "g.yaml:2:10\n"
        "  hint: names of inputs and operators must be unique; so must the names of outputs\n");
  // An output may share its operator's name.
  load_ok(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [-1]}]
operators: [{name: x, kind: identity, inputs: [a]}]
outputs: [{name: x, from: x}, {name: a, from: a}]
)");
  CHECK(errors_of(R"(graph: g
inputs: [{name: a, dtype: float32, shape: [-1]}]
operators: [{name: x, kind: identity, inputs: [a]}]
outputs: [{name: o, from: x}, {name: o, from: a}]
)") == "g.yaml:4:31: error: output 'o': the name 'o' is already taken by output 'o' at "
       "g.yaml:4:11\n"
       "  hint: names of inputs and operators must be unique; so must the names of outputs\n");
}

TEST_CASE("a name with a dot or a leading digit is refused") {
  CHECK(errors_of(with_operators("  - {name: det.v2, kind: identity, inputs: [a]}\n",
                                 "a")) ==
        "g.yaml:4:5: error: operator 'det.v2': 'det.v2' is not a valid name\n"
        "  hint: names start with a letter or '_' and go on with letters, digits, '_' or '-' "
        "(no '.', which selects a tensor in `from:`)\n");
  CHECK(errors_of(R"(graph: 2fast
inputs: [{name: a, dtype: float32, shape: [-1]}]
operators: [{name: x, kind: identity, inputs: [a]}]
outputs: [{name: o, from: x}]
)") == "g.yaml:1:1: error: graph name '2fast' is not a valid name\n"
       "  hint: names start with a letter or '_' and go on with letters, digits, '_' or '-' "
       "(no '.', which selects a tensor in `from:`)\n");
  CHECK(errors_of(R"(graph: "my graph"
inputs: [{name: a, dtype: float32, shape: [-1]}]
operators: [{name: x, kind: identity, inputs: [a]}]
outputs: [{name: o, from: x}]
)").starts_with("g.yaml:1:1: error: graph name 'my graph' is not a valid name"));
}

TEST_CASE("an unknown input reference gets the closest name as a hint") {
  CHECK(errors_of(with_operators(R"(  - {name: detector, kind: identity, inputs: [a]}
  - {name: x, kind: identity, inputs: [detectr]}
)")) == "g.yaml:5:40: error: operator 'x': unknown input 'detectr'\n"
        "  hint: did you mean 'detector'?\n");
}

TEST_CASE("an input count outside the kind's range is reported") {
  CHECK(errors_of(with_operators(R"(  - {name: b, kind: identity, inputs: [a]}
  - {name: x, kind: identity, inputs: [a, b]}
  - {name: e, kind: ensemble, inputs: [a]}
  - {name: m, kind: merge, inputs: []}
)", "x")) == "g.yaml:5:5: error: operator 'x': kind 'identity' takes exactly 1 input, got 2\n"
             "  hint: the `when` condition is not an input; list only data inputs\n"
             "g.yaml:6:5: error: operator 'e': missing required parameter 'method' (string) of "
             "kind 'ensemble'\n"
             "  hint: add `method: ...` under `params:` (how predictions combine)\n"
             "g.yaml:6:5: error: operator 'e': kind 'ensemble' takes at least 2 inputs, got 1\n"
             "  hint: the `when` condition is not an input; list only data inputs\n"
             "g.yaml:7:5: error: operator 'm': kind 'merge' takes at least 1 input, got 0\n"
             "  hint: list what feeds it: `inputs: [image]`\n");
}

TEST_CASE("when must name a condition operator") {
  CHECK(errors_of(with_operators(R"(  - {name: c, kind: threshold, inputs: [a], params: {threshold: 1}}
  - {name: plain, kind: identity, inputs: [a]}
  - {name: x, kind: identity, inputs: [a], when: plain}
  - {name: y, kind: identity, inputs: [a], when: cc}
  - {name: z, kind: identity, inputs: [a], when: "!a"}
)")) == "g.yaml:6:50: error: operator 'x': `when` names 'plain', whose kind 'identity' is not "
        "a condition\n"
        "  hint: `when` names an operator of a condition kind (classify, threshold, detected, "
        "select, cache)\n"
        "g.yaml:7:50: error: operator 'y': `when` names unknown operator 'cc'\n"
        "  hint: did you mean 'c'?\n"
        "g.yaml:8:50: error: operator 'z': `when` names 'a', which is a graph input, not a "
        "condition operator\n"
        "  hint: `when` names an operator of a condition kind (classify, threshold, detected, "
        "select, cache)\n");
}

TEST_CASE("a cycle is reported with its path at the edge that closes it") {
  CHECK(errors_of(with_operators(R"(  - {name: x, kind: merge, inputs: [a, z]}
  - {name: y, kind: identity, inputs: [x]}
  - {name: z, kind: identity, inputs: [y]}
)")) == "g.yaml:4:40: error: operator 'x': cycle x -> y -> z -> x\n"
        "  hint: an operator cannot depend on its own output; remove one of these edges\n");
  CHECK(errors_of(with_operators("  - {name: x, kind: merge, inputs: [a, x]}\n")) ==
        "g.yaml:4:40: error: operator 'x': cycle x -> x\n"
        "  hint: an operator cannot depend on its own output; remove one of these edges\n");
}

TEST_CASE("a when edge counts for cycles and a cache fill does not") {
  CHECK(errors_of(with_operators(R"(  - {name: c, kind: threshold, inputs: [x], params: {threshold: 1}}
  - {name: x, kind: identity, inputs: [a], when: c}
)")) == "g.yaml:4:41: error: operator 'c': cycle c -> x -> c\n"
        "  hint: an operator cannot depend on its own output; remove one of these edges\n");
  // The usual cache: model runs only on a miss, and fills the cache with what it computed.
  load_ok(with_operators(R"(  - {name: cache, kind: cache, inputs: [a], params: {fill_from: model}}
  - {name: model, kind: simulate, inputs: [a], when: "!cache"}
  - {name: out, kind: merge, inputs: [cache, model]}
)", "out"));
}

TEST_CASE("a cache's fill_from must name another existing operator") {
  CHECK(errors_of(with_operators(R"(  - {name: cache, kind: cache, inputs: [a], params: {fill_from: modle}}
  - {name: model, kind: simulate, inputs: [a]}
  - {name: self, kind: cache, inputs: [a], params: {fill_from: self}}
)", "model")) == "g.yaml:4:54: error: operator 'cache': fill_from names unknown operator 'modle'\n"
        "  hint: did you mean 'model'?\n"
        "g.yaml:6:53: error: operator 'self': a cache cannot fill itself (fill_from: self)\n"
        "  hint: name the operator whose results the cache keeps\n");
}

TEST_CASE("an output from an unknown operator is reported with a hint") {
  CHECK(errors_of(with_operators("  - {name: detector, kind: identity, inputs: [a]}\n",
                                 "detectr.scores")) ==
        "g.yaml:5:27: error: output 'o': `from` names unknown operator 'detectr'\n"
        "  hint: did you mean 'detector'?\n");
}

TEST_CASE("a graph without inputs, operators or outputs is refused") {
  CHECK(errors_of("graph: g\ninputs: []\noperators:\noutputs: []\n") ==
        "g.yaml:1:1: error: graph 'g' has no inputs\n"
        "  hint: declare what a request carries: `inputs: [{name: image, dtype: uint8, shape: "
        "[-1, -1, 3]}]`\n"
        "g.yaml:1:1: error: graph 'g' has no operators\n"
        "  hint: add at least one operator: `operators: [{name: echo, kind: identity, inputs: "
        "[image]}]`\n"
        "g.yaml:1:1: error: graph 'g' has no outputs\n"
        "  hint: say what a request gets back: `outputs: [{name: result, from: echo}]`\n");
}

TEST_CASE("a shape extent must be at least 1 or -1") {
  CHECK(errors_of(R"(graph: g
inputs: [{name: a, dtype: FP32, shape: [-1, 0, -2]}]
operators: [{name: x, kind: identity, inputs: [a]}]
outputs: [{name: o, from: x}]
)") == "g.yaml:2:10: error: input 'a': shape extent 0 (dimension 1) must be at least 1, or -1 "
       "for any size\n"
       "  hint: use -1 for a dimension of any size, e.g. the batch or an image's height\n"
       "g.yaml:2:10: error: input 'a': shape extent -2 (dimension 2) must be at least 1, or -1 "
       "for any size\n"
       "  hint: use -1 for a dimension of any size, e.g. the batch or an image's height\n");
}

TEST_CASE("replicas, slo_ms and batching values out of range are reported") {
  CHECK(errors_of(with_operators(R"(  - name: x
    kind: identity
    inputs: [a]
    replicas: 0
    slo_ms: -5
    placement: {gpus: -1}
    batching: {policy: greedy, max_batch_size: 0, max_queue_delay_us: -1}
)")) == "g.yaml:4:5: error: operator 'x': field 'replicas' must be at least 1, got 0\n"
        "  hint: leave it out for one replica\n"
        "g.yaml:4:5: error: operator 'x': field 'slo_ms' must be at least 0, got -5\n"
        "  hint: 0 (or leaving it out) means no latency objective\n"
        "g.yaml:4:5: error: operator 'x': placement: field 'gpus' must be at least 0, got -1\n"
        "g.yaml:10:15: error: operator 'x': batching: unknown policy 'greedy'\n"
        "  hint: policies: static, slo_greedy, aimd\n"
        "g.yaml:10:15: error: operator 'x': batching: field 'max_batch_size' must be at least "
        "1, got 0\n"
        "g.yaml:10:15: error: operator 'x': batching: field 'max_queue_delay_us' must be at "
        "least 0, got -1\n");
}

TEST_CASE("a stateful operator with more than one replica is refused") {
  CHECK(errors_of(with_operators(R"(  - name: x
    kind: identity
    inputs: [a]
    stateful: true
    replicas: 3
)")) == "g.yaml:4:5: error: operator 'x': a stateful operator runs as one replica, got "
        "replicas: 3\n"
        "  hint: leave 'replicas' out: recovery keeps a backup of its state on another node\n");
  CHECK(errors_of(with_operators(R"(  - name: x
    kind: identity
    inputs: [a]
    stateful: true
)")).empty());
}

TEST_CASE("a field the reader could not read is not reported again by the validator") {
  // `inputs` is unreadable: no "takes exactly 1 input, got 0" on top of the type error.
  CHECK(errors_of(with_operators("  - {name: x, kind: identity, inputs: {a: 1}}\n")) ==
        "g.yaml:4:39: error: operator 'x': field 'inputs' must be a name or a list of names, "
        "got a map\n");
}

TEST_CASE("validate checks a spec built in code as it checks a parsed one") {
  graph_spec spec;
  spec.name = "built";
  spec.file = "<code>";
  spec.where = {"<code>", 0, 0};
  spec.inputs.push_back({"a", dtype::float32, {-1}, {}});
  operator_spec op;
  op.name = "x";
  op.kind = "crop";
  op.inputs.push_back({"a", {}});
  op.params.push_back({"height", std::int64_t{4}, {}});
  spec.operators.push_back(op);
  spec.outputs.push_back({"o", {"x", {}}, "", {}});
  auto errors = validate(spec);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message ==
        "operator 'x': missing required parameter 'width' (integer) of kind 'crop'");
  spec.operators[0].params.push_back({"width", std::int64_t{4}, {}});
  CHECK(validate(spec).empty());
  CHECK(spec.operators[0].params.size() == find_kind("crop")->params.size());
  CHECK(validate(spec).empty());  // validating twice changes nothing
}

TEST_CASE("every graph in config/graphs loads cleanly") {
  auto folder = std::filesystem::path{HOGAR_SOURCE_DIR} / "config" / "graphs";
  REQUIRE(std::filesystem::is_directory(folder));
  int loaded = 0;
  for (auto& entry : std::filesystem::directory_iterator{folder}) {
    auto ext = entry.path().extension();
    if (ext != ".yaml" && ext != ".yml")
      continue;
    auto result = load_graph_file(entry.path().string());
    INFO(entry.path().string(), "\n", to_string(result.errors));
    CHECK(result.ok());
    ++loaded;
  }
  CHECK(loaded > 0);
}

TEST_CASE("a model operator names a repository model or a file, exactly one of them") {
  CHECK(errors_of(with_operators("  - {name: m, kind: model, inputs: [a]}\n", "m")) ==
        "g.yaml:4:5: error: operator 'm': a model operator needs `model` (a repository model) "
        "or `path` (an ONNX file)\n"
        "  hint: add `model: NAME` under `params:`, or `path: file.onnx` (relative to this "
        "file)\n");
  auto both = errors_of(with_operators(
    "  - {name: m, kind: model, inputs: [a], params: {model: d, path: d.onnx}}\n", "m"));
  CHECK(both.find("operator 'm': give `model` or `path`, not both") != std::string::npos);
  CHECK(errors_of(with_operators(
          "  - {name: m, kind: model, inputs: [a], params: {model: d, device: tpu}}\n", "m"))
          .find("parameter 'device' must be one of auto, gpu, cpu, reference; got \"tpu\"") !=
        std::string::npos);
  CHECK(errors_of(with_operators("  - {name: m, kind: model, inputs: [a], params: {model: d}}\n",
                                 "m"))
          .empty());
}

TEST_CASE("a tuning block is read in grid order with its settings") {
  auto spec = load_ok(with_operators(R"(  - name: m
    kind: model
    inputs: [a]
    params: {model: d, instances: 2}
    batching: {max_batch_size: 8, max_queue_delay_us: 1000}
    tuning: {policy: q_learning, intra_op_threads: [1, 2], batch_size: [1, 64],
             instances: [1, 4], window_requests: 50, window_ms: 0, slo_weight: 2,
             cpu_weight_ms: 0.5, points: 5, seed: 9}
)", "m"));
  auto& t = *spec.operators[0].tuning;
  CHECK(t.policy == "q_learning");
  REQUIRE(t.knobs.size() == 3);
  CHECK(t.knobs[0].name == "batch_size");
  CHECK(t.knobs[0].hi == 64);
  CHECK(t.knobs[1].name == "instances");
  CHECK(t.knobs[2].name == "intra_op_threads");
  CHECK(t.window_requests == 50);
  CHECK(t.window_ms == 0);
  CHECK(t.slo_weight == 2.0);
  CHECK(t.cpu_weight_ms == 0.5);
  CHECK(t.points == 5);
  CHECK(t.seed == 9);
}

TEST_CASE("bad tuning blocks are refused naming the field") {
  auto model = [](std::string tuning,
                  std::string batching = "    batching: {max_batch_size: 8}\n") {
    return with_operators("  - name: m\n    kind: model\n    inputs: [a]\n    params: {model: d}\n" +
                            batching + "    tuning: " + tuning + "\n",
                          "m");
  };
  auto reversed = errors_of(model("{batch_size: [64, 1]}"));
  CHECK(reversed.find("operator 'm': tuning: field 'batch_size': the bounds [64, 1] are reversed") !=
        std::string::npos);
  CHECK(reversed.find("hint: write `batch_size: [1, 64]`") != std::string::npos);
  auto outside = errors_of(model("{instances: [0, 4]}"));
  CHECK(outside.find("field 'instances': the bounds [0, 4] leave [1, 64]") != std::string::npos);
  auto start = errors_of(model("{batch_size: [16, 64]}"));
  CHECK(start.find("the operator starts at batching.max_batch_size = 8, outside its bounds "
                   "[16, 64]") != std::string::npos);
  auto none = errors_of(model("{policy: rrl}"));
  CHECK(none.find("tuning: names no knob to tune") != std::string::npos);
  auto policy = errors_of(model("{policy: rl, batch_size: [1, 8]}"));
  CHECK(policy.find("tuning: unknown policy 'rl'") != std::string::npos);
  CHECK(policy.find("did you mean 'rrl'?") != std::string::npos);
  auto shape = errors_of(model("{batch_size: 8}"));
  CHECK(shape.find("field 'batch_size' must be a list of two integers [low, high], got") !=
        std::string::npos);
  auto unknown = errors_of(model("{batch_sizes: [1, 8]}"));
  CHECK(unknown.find("tuning: unknown field 'batch_sizes'") != std::string::npos);
  auto windows = errors_of(model("{batch_size: [1, 8], window_requests: 0, window_ms: 0}"));
  CHECK(windows.find("fields 'window_requests' (0) and 'window_ms' (0)") != std::string::npos);
  auto huge = errors_of(model("{batch_size: [1, 200], queue_delay_us: [0, 20000], "
                              "instances: [1, 64], intra_op_threads: [1, 2], points: 101}"));
  CHECK(huge.find("the knobs make 1305728 configurations at 101 points each; the tuner takes at "
                  "most 1,000,000") != std::string::npos);
  auto long_window = errors_of(model("{batch_size: [1, 8], window_ms: 99999999999999}"));
  CHECK(long_window.find("may be at most 1000000000 and 86400000 (a day)") != std::string::npos);
  auto unbatched = errors_of(model("{batch_size: [1, 8]}", ""));
  CHECK(unbatched.find("a tuning block needs an operator that batches, and this one has no "
                       "batching block") != std::string::npos);
  auto kind = errors_of(with_operators(
    "  - {name: x, kind: identity, inputs: [a], tuning: {batch_size: [1, 8]}}\n"));
  CHECK(kind.find("operator 'x': tuning: a tuning block needs an operator that batches, and "
                  "this one is of kind 'identity'") != std::string::npos);
}

namespace {

/// An ensemble of two simulated models whose members `pick` selects (issue 14); `ensemble`
/// and `member2` replace the ensemble's and the second member's lines.
std::string selecting(std::string_view ensemble =
                        "  - {name: vote, kind: ensemble, inputs: [m1, m2], slo_ms: 50,\n"
                        "     params: {method: mean, selection: rafiki, accuracy: [0.6, 0.7]}}\n",
                      std::string_view member2 =
                        "  - {name: m2, kind: simulate, inputs: [a], when: pick, params: "
                        "{output_name: p}}\n") {
  return with_operators(
    std::string{"  - {name: pick, kind: select, inputs: [a], params: {ensemble: vote}}\n"
                "  - {name: m1, kind: simulate, inputs: [a], when: pick, params: {output_name: "
                "p}}\n"} +
      std::string{member2} + std::string{ensemble},
    "vote");
}

bool says(const std::string& errors, std::string_view what) {
  INFO(errors);
  return errors.find(what) != std::string::npos;
}

} // namespace

TEST_CASE("an ensemble that selects its members takes a select operator gating each member, "
          "and defaults for its policy") {
  auto spec = load_ok(selecting());
  auto& vote = spec.operators[3];
  CHECK(std::get<double>(*vote.find_param("beta")) == 0.5);
  CHECK(std::get<std::vector<std::int64_t>>(*vote.find_param("batch_sizes")) ==
        std::vector<std::int64_t>{1, 2, 4, 8, 16});
  // Without a selection the ensemble combines whatever runs, as before.
  load_ok(with_operators("  - {name: m1, kind: identity, inputs: [a]}\n"
                         "  - {name: m2, kind: identity, inputs: [a]}\n"
                         "  - {name: x, kind: ensemble, inputs: [m1, m2], params: {method: "
                         "mean}}\n"));
}

TEST_CASE("selection rafiki with one member is refused, naming the ensemble") {
  auto errors = errors_of(with_operators(
    "  - {name: pick, kind: select, inputs: [a], params: {ensemble: vote}}\n"
    "  - {name: m1, kind: simulate, inputs: [a], when: pick}\n"
    "  - {name: vote, kind: ensemble, inputs: [m1], slo_ms: 50,\n"
    "     params: {method: mean, selection: rafiki, accuracy: [0.6]}}\n",
    "vote"));
  CHECK(says(errors, "g.yaml:6:5: error: operator 'vote': selection: rafiki chooses among the "
                     "ensemble's members, and it has 1\n"
                     "  hint: give the ensemble two or more inputs, or leave `selection` out\n"));
}

TEST_CASE("a selecting ensemble without its select operator, objective or accuracies is "
          "refused with what to add") {
  auto no_select = errors_of(with_operators(
    "  - {name: m1, kind: simulate, inputs: [a]}\n"
    "  - {name: m2, kind: simulate, inputs: [a]}\n"
    "  - {name: vote, kind: ensemble, inputs: [m1, m2], slo_ms: 50,\n"
    "     params: {method: mean, selection: greedy, accuracy: [0.6, 0.7]}}\n",
    "vote"));
  CHECK(says(no_select, "operator 'vote': selection: greedy needs a `select` operator that "
                        "names it"));
  CHECK(says(no_select, "hint: add `{name: pick, kind: select, inputs: [...], params: "
                        "{ensemble: vote}}` and `when: pick` to every member"));
  auto bare = errors_of(selecting("  - {name: vote, kind: ensemble, inputs: [m1, m2],\n"
                                  "     params: {method: mean, selection: rafiki, accuracy: "
                                  "[0.6]}}\n"));
  CHECK(says(bare, "operator 'vote': selection: rafiki needs the ensemble's slo_ms"));
  CHECK(says(bare, "operator 'vote': selection: rafiki needs one accuracy per member: 1 for 2 "
                   "inputs"));
  auto wrong = errors_of(selecting("  - {name: vote, kind: ensemble, inputs: [m1, m2], slo_ms: "
                                   "50,\n     params: {method: mean, selection: rafiki, "
                                   "accuracy: [0.6, 1.5]}}\n"));
  CHECK(says(wrong, "parameter 'accuracy'"));
}

TEST_CASE("every member of a selecting ensemble runs only when its select operator says") {
  auto errors = errors_of(
    selecting(std::string_view{"  - {name: vote, kind: ensemble, inputs: [m1, m2], slo_ms: 50,\n"
                               "     params: {method: mean, selection: rafiki, accuracy: [0.6, "
                               "0.7]}}\n"},
              "  - {name: m2, kind: simulate, inputs: [a], params: {output_name: p}}\n"));
  CHECK(says(errors, "operator 'vote': member 'm2' must run only when 'pick' selects it\n"
                     "  hint: give 'm2' `when: pick`\n"));
}

TEST_CASE("a select operator names an ensemble that selects, and gates only its members") {
  auto not_ensemble = errors_of(with_operators(
    "  - {name: pick, kind: select, inputs: [a], params: {ensemble: m1}}\n"
    "  - {name: m1, kind: simulate, inputs: [a]}\n",
    "m1"));
  CHECK(says(not_ensemble, "operator 'pick': `ensemble` names 'm1', whose kind 'simulate' is "
                           "not ensemble"));
  auto everyone = errors_of(selecting(
    "  - {name: vote, kind: ensemble, inputs: [m1, m2], params: {method: mean}}\n"));
  CHECK(says(everyone, "operator 'pick': ensemble 'vote' has selection all: its members always "
                       "run"));
  auto outsider = errors_of(with_operators(
    "  - {name: pick, kind: select, inputs: [a], params: {ensemble: vote}}\n"
    "  - {name: m1, kind: simulate, inputs: [a], when: pick}\n"
    "  - {name: m2, kind: simulate, inputs: [a], when: pick}\n"
    "  - {name: extra, kind: identity, inputs: [a], when: \"!pick\"}\n"
    "  - {name: vote, kind: ensemble, inputs: [m1, m2], slo_ms: 50,\n"
    "     params: {method: mean, selection: rafiki, accuracy: [0.6, 0.7]}}\n",
    "vote"));
  CHECK(says(outsider, "operator 'extra': `when` negates 'pick', a select operator"));
}

} // namespace hogar::graph
