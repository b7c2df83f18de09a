// signature_test.cpp: each kind's signature function against what its operation's run() really
// emits for inputs of that signature, and the graph-level naming of answer tensors. Model
// operators are checked against real models in test/actors/signature_conformance_test.cpp.
#include "kernels/operation.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "fixture.hpp"
#include "graph/loader.hpp"
#include "graph/topology.hpp"

using namespace hogar;
using namespace hogar::test;

namespace {

record_signature sig(std::vector<tensor_signature> tensors, bool may_be_absent = false) {
  return record_signature{std::move(tensors), may_be_absent};
}

/// output_signature that must succeed.
record_signature infer(const graph::operator_spec& spec, std::vector<record_signature> inputs,
                       const record_signature* filled = nullptr) {
  operation_context context;
  auto out = output_signature(signature_call{spec, inputs, context, filled});
  REQUIRE_MESSAGE(out.has_value(), (out ? "" : out.error().message));
  return *out;
}

std::string error_of(const graph::operator_spec& spec, std::vector<record_signature> inputs) {
  operation_context context;
  auto out = output_signature(signature_call{spec, inputs, context});
  REQUIRE_FALSE(out.has_value());
  return out.error().message;
}

/// Checks that a record an operation produced is what `s` says: the same tensor names in the
/// same order (optional ones may be missing), dtypes, and every fixed extent.
void check_matches(const record& r, const record_signature& s) {
  std::size_t at = 0;
  for (auto& t : r) {
    CAPTURE(t.name);
    while (at < s.tensors.size() && s.tensors[at].name != t.name && s.tensors[at].optional)
      ++at;
    REQUIRE(at < s.tensors.size());
    const auto& want = s.tensors[at++];
    CHECK(want.name == t.name);
    CHECK(want.type == t.value.type());
    REQUIRE(want.shape.size() == t.value.shape().size());
    for (std::size_t d = 0; d < want.shape.size(); ++d)
      if (want.shape[d] >= 0)
        CHECK(want.shape[d] == t.value.shape()[d]);
  }
  for (; at < s.tensors.size(); ++at)
    CHECK_MESSAGE(s.tensors[at].optional, "missing: ", s.tensors[at].name);
}

const record& produced(const op_output& out) {
  return out.passed_through ? *out.passed_through : out.value;
}

} // namespace

TEST_CASE("image kinds give their first tensor its new extents and pass the others on") {
  auto image = tensor{dtype::uint8, {10, 12, 3}};
  record in{{"image", image}, {"tag", tensor::scalar<std::int32_t>(1)}};
  auto in_sig = sig({{"image", dtype::uint8, {-1, -1, 3}}, {"tag", dtype::int32, {}}});

  auto resize = make_spec("resize", {{"height", std::int64_t{4}}, {"width", std::int64_t{6}}});
  auto r = infer(resize, {in_sig});
  CHECK(r.tensors[0].shape == shape_t{4, 6, 3});
  CHECK(r.tensors[0].type == dtype::uint8);
  check_matches(produced(ok(call1(*make_op(resize), in))), r);

  auto normalize = make_spec("normalize", {{"mean", std::vector<double>{0.1, 0.2, 0.3}},
                                           {"output_layout", std::string{"chw"}}});
  auto n = infer(normalize, {in_sig});
  CHECK(n.tensors[0].shape == shape_t{3, -1, -1});
  CHECK(n.tensors[0].type == dtype::float32);
  check_matches(produced(ok(call1(*make_op(normalize), in))), n);
  CHECK(error_of(make_spec("normalize", {{"mean", std::vector<double>{0.1, 0.2}}}), {in_sig}) ==
        "operator 'op' (normalize): normalize: parameter 'mean' has 2 values but input 'image' "
        "shape [-1, -1, 3] has 3 channels (layout hwc)");

  auto crop = make_spec("crop", {{"height", std::int64_t{5}}, {"width", std::int64_t{5}}});
  auto c = infer(crop, {in_sig});
  CHECK(c.tensors[0].shape == shape_t{5, 5, 3});
  check_matches(produced(ok(call1(*make_op(crop), in))), c);
  auto fixed = sig({{"image", dtype::uint8, {4, 12, 3}}});
  CHECK(error_of(crop, {fixed}) ==
        "operator 'op' (crop): crop 5x5 does not fit input 'image' shape [4, 12, 3] (layout hwc)");
  auto batched = sig({{"image", dtype::float32, {-1, 3, 10, 12}}});
  auto chw = make_spec("resize", {{"height", std::int64_t{2}}, {"width", std::int64_t{2}},
                                  {"layout", std::string{"chw"}}});
  CHECK(infer(chw, {batched}).tensors[0].shape == shape_t{-1, 3, 2, 2});
  CHECK(error_of(resize, {sig({{"v", dtype::float32, {5}}})}).find("is not an image") !=
        std::string::npos);
}

TEST_CASE("classify and threshold emit scalars and refuse a tensor their input never holds") {
  auto spec = make_spec("classify", {{"labels", std::vector<std::string>{"a", "b", "c"}},
                                     {"tensor", std::string{"scores"}}});
  auto in_sig = sig({{"scores", dtype::float32, {3}}});
  auto s = infer(spec, {in_sig});
  record in{{"scores", make<float>({3}, {0.1f, 0.7f, 0.2f})}};
  check_matches(produced(ok(call1(*make_op(spec), in))), s);
  CHECK(s.tensors.size() == 3);
  CHECK(s.tensors[2].name == "condition");
  CHECK(s.tensors[2].type == dtype::boolean);
  CHECK(error_of(spec, {sig({{"logits", dtype::float32, {3}}})}) ==
        "operator 'op' (classify): classify: its input never holds tensor 'scores' (it holds: "
        "logits)");
  CHECK(error_of(spec, {sig({{"scores", dtype::float32, {4}}})}).find("holds 4 scores but "
                                                                      "parameter 'labels' lists "
                                                                      "3 labels") !=
        std::string::npos);
  auto threshold = make_spec("threshold", {{"threshold", 0.5}});
  auto t = infer(threshold, {in_sig});
  check_matches(produced(ok(call1(*make_op(threshold), in))), t);
}

TEST_CASE("a merge renames a taken name as run() does, and marks what may be missing") {
  auto spec = make_spec("merge", {}, {"a", "b", "c"});
  auto a = sig({{"scores", dtype::float32, {4}}, {"condition", dtype::boolean, {}}});
  auto b = sig({{"scores", dtype::float32, {4}}});
  auto c = sig({{"plate", dtype::int32, {7}}}, true);
  auto m = infer(spec, {a, b, c});
  REQUIRE(m.tensors.size() == 3);
  CHECK(m.tensors[0].name == "scores");
  CHECK(m.tensors[1].name == "b.scores");
  CHECK_FALSE(m.tensors[1].optional);
  CHECK(m.tensors[2].name == "plate");
  CHECK(m.tensors[2].optional);
  record ra{{"scores", tensor{dtype::float32, {4}}}, {"condition", tensor::scalar<bool>(true)}};
  record rb{{"scores", tensor{dtype::float32, {4}}}};
  record rc{{"plate", tensor{dtype::int32, {7}}}};
  auto op = make_op(spec);
  check_matches(produced(ok(call(*op, {&ra, &rb, &rc}))), m);
  check_matches(produced(ok(call(*op, {&ra, &rb, nullptr}))), m);

  // The first holder of a name may be absent: the second then takes the plain name.
  auto spec2 = make_spec("merge", {}, {"x", "y"});
  auto x = sig({{"v", dtype::float32, {2}}}, true);
  auto y = sig({{"v", dtype::float32, {3}}});
  auto m2 = infer(spec2, {x, y});
  REQUIRE(m2.tensors.size() == 2);
  CHECK(m2.tensors[0].name == "v");
  CHECK(m2.tensors[0].shape == shape_t{-1});
  CHECK_FALSE(m2.tensors[0].optional);
  CHECK(m2.tensors[1].name == "y.v");
  CHECK(m2.tensors[1].optional);
  auto clash = sig({{"v", dtype::int32, {2}}});
  CHECK(error_of(spec2, {x, clash}).find("tensor 'v' is float32 or int32") != std::string::npos);
}

TEST_CASE("ensembles, caches and simulated operators emit what their run() emits") {
  auto lstm = sig({{"scores", dtype::float32, {3}}});
  auto cnn = sig({{"scores", dtype::float32, {3}}, {"extra", dtype::int32, {}}});
  record rl{{"scores", make<float>({3}, {0.1f, 0.8f, 0.1f})}};
  record rc{{"scores", make<float>({3}, {0.6f, 0.3f, 0.1f})},
            {"extra", tensor::scalar<std::int32_t>(1)}};
  for (auto method : {"mean", "vote", "best"}) {
    CAPTURE(method);
    auto spec = make_spec("ensemble", {{"method", std::string{method}}}, {"lstm", "cnn"});
    auto s = infer(spec, {lstm, cnn});
    auto op = make_op(spec);
    check_matches(produced(ok(call(*op, {&rl, &rc}))), s);
    check_matches(produced(ok(call(*op, {&rc, &rl}))), s);
  }
  auto best = infer(make_spec("ensemble", {{"method", std::string{"best"}}}, {"lstm", "cnn"}),
                    {lstm, cnn});
  CHECK(best.find("extra")->optional);
  CHECK_FALSE(best.find("scores")->optional);
  CHECK(best.find("source")->type == dtype::int64);

  auto cache = make_spec("cache", {{"fill_from", std::string{"ensemble"}}});
  auto filled = sig({{"prediction", dtype::float32, {1}}});
  auto hit = infer(cache, {sig({{"symbol", dtype::int64, {1}}})}, &filled);
  REQUIRE(hit.tensors.size() == 2);
  CHECK(hit.tensors[0].name == "prediction");
  CHECK(hit.tensors[0].optional);
  CHECK(hit.tensors[1].name == "condition");
  auto op = make_op(cache);
  record key{{"symbol", tensor::scalar<std::int64_t>(3)}};
  check_matches(produced(ok(call1(*op, key, 1))), hit);
  op->fill(1, 0, record{{"prediction", tensor{dtype::float32, {1}}}}, {});
  check_matches(produced(ok(call1(*op, key, 2))), hit);

  auto generated = make_spec("simulate", {{"output_name", std::string{"tokens"}},
                                          {"output_dtype", std::string{"int32"}},
                                          {"output_shape", std::vector<std::int64_t>{32}}});
  auto g = infer(generated, {lstm});
  check_matches(produced(ok(call1(*make_op(generated), rl))), g);
  // Passing on the first present input: the second's when the first may be absent.
  auto pass = make_spec("simulate", {}, {"a", "b"});
  auto p = infer(pass, {sig({{"scores", dtype::float32, {3}}}, true), cnn});
  CHECK_FALSE(p.find("scores")->optional);
  CHECK(p.find("extra")->optional);
  CHECK(infer(pass, {lstm, cnn}).tensors.size() == 1);
}

TEST_CASE("alternatives unify: extents that differ become -1, a dtype or rank that differs fails") {
  auto a = sig({{"t", dtype::float32, {2, 3}}, {"only_a", dtype::int8, {}}});
  auto b = sig({{"t", dtype::float32, {2, 5}}, {"only_b", dtype::int8, {}}});
  auto u = unify_alternatives(a, b, "test");
  REQUIRE(u.has_value());
  CHECK(u->find("t")->shape == shape_t{2, -1});
  CHECK_FALSE(u->find("t")->optional);
  CHECK(u->find("only_a")->optional);
  CHECK(u->find("only_b")->optional);
  auto rank = unify_alternatives(a, sig({{"t", dtype::float32, {6}}}), "test");
  REQUIRE_FALSE(rank.has_value());
  CHECK(rank.error().message ==
        "tensor 't' has rank 2 ([2, 3]) or rank 1 ([6]) depending on the request (test)");
  auto type = unify_alternatives(a, sig({{"t", dtype::int32, {2, 3}}}), "test");
  REQUIRE_FALSE(type.has_value());
  CHECK(type.error().message == "tensor 't' is float32 or int32 depending on the request (test)");
}

TEST_CASE("a graph's answers are named as the ingress names them, both ways when it may vary") {
  auto loaded = graph::load_graph_text(R"(
graph: g
inputs:
  - {name: x, dtype: float32, shape: [-1, 4]}
operators:
  - {name: a, kind: simulate, inputs: [x], params: {output_name: s, output_shape: [3]}}
  - {name: c, kind: threshold, inputs: [a], params: {threshold: 0.5}}
  - {name: b, kind: simulate, inputs: [x], when: c,
     params: {output_name: t, output_dtype: int32, output_shape: [2]}}
  - {name: m, kind: merge, inputs: [a, b]}
  - {name: d, kind: classify, inputs: [a], params: {labels: [p, q, r]}}
  - {name: both, kind: merge, inputs: [a, d]}
  - {name: b2, kind: simulate, inputs: [x], when: c,
     params: {output_name: u, output_dtype: int32, output_shape: [5]}}
  - {name: n, kind: merge, inputs: [b, b2]}
outputs:
  - {name: out, from: m}
  - {name: one, from: a}
  - {name: pick, from: m.t}
  - {name: raw, from: x}
  - {name: pair, from: both}
  - {name: either, from: n}
)");
  INFO(graph::to_string(loaded.errors));
  REQUIRE(loaded.ok());
  auto topo = graph::build_topology(loaded.spec);
  auto s = infer_graph_signature(topo, {});
  CHECK(s.problems.empty());
  std::vector<std::string> names;
  for (auto& a : s.answers)
    names.push_back(a.tensor.name + (a.tensor.optional ? "?" : ""));
  // m holds s always and t only when c said yes: alone, s is named "out"; with t, "out.s".
  // n holds t, u, both or neither: one of them alone is named "either" (one entry for both).
  CHECK(names == std::vector<std::string>{"out?", "out.s?", "out.t?", "one", "pick?", "raw",
                                          "pair.s", "pair.label", "pair.score", "either?",
                                          "either.t?", "either.u?"});
  CHECK(s.answers[4].tensor.type == dtype::int32);
  CHECK(s.answers[5].tensor.shape == shape_t{-1, 4});
  CHECK(s.answers[6].output == 4);
  CHECK(s.answers[9].tensor.shape == shape_t{-1});
}

TEST_CASE("an output whose producer cannot be typed is a problem naming it, the others stay") {
  auto loaded = graph::load_graph_text(R"(
graph: g
inputs:
  - {name: x, dtype: float32, shape: [4]}
operators:
  - {name: a, kind: classify, inputs: [x], params: {labels: [p, q], tensor: nothere}}
  - {name: b, kind: identity, inputs: [a]}
outputs:
  - {name: broken, from: b}
  - {name: fine, from: x}
  - {name: missing, from: x.y}
)");
  INFO(graph::to_string(loaded.errors));
  REQUIRE(loaded.ok());
  auto s = infer_graph_signature(graph::build_topology(loaded.spec), {});
  REQUIRE(s.problems.size() == 2);
  CHECK(s.problems[0] == "output 'broken': operator 'a' (classify): classify: its input never "
                         "holds tensor 'nothere' (it holds: x)");
  CHECK(s.problems[1] == "output 'missing': 'x' emits no tensor 'y' (it emits: x)");
  CHECK(s.uninferred == std::vector<std::size_t>{0, 2});
  REQUIRE(s.answers.size() == 1);
  CHECK(s.answers[0].tensor.name == "fine");
}
