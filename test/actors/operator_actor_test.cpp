// Semantics of the dataflow: joins, conditions, skips, ensembles, caches, errors, replicas.
#include "test/actors/runtime_fixture.hpp"

#include "actors/load_driver.hpp"

#include <map>

using namespace hogar;
using namespace hogar::test;

namespace {

const std::string branch_graph = R"(
graph: branch
inputs:
  - {name: x, dtype: float32, shape: [1]}
operators:
  - {name: big, kind: threshold, inputs: [x], params: {threshold: 0.5}}
  - {name: when_big, kind: identity, inputs: [x], when: big}
  - {name: when_small, kind: identity, inputs: [x], when: "!big"}
  - {name: both, kind: merge, inputs: [when_big]}
outputs:
  - {name: big_branch, from: when_big}
  - {name: small_branch, from: when_small}
  - {name: joined, from: both}
)";

} // namespace

TEST_CASE("a chain of identity operators returns its input without copying it") {
  threaded_runtime rt;
  rt.deploy(R"(
graph: chain
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: a, kind: identity, inputs: [x]}
  - {name: b, kind: identity, inputs: [a]}
  - {name: c, kind: identity, inputs: [b]}
outputs: [{name: y, from: c}]
)");
  auto x = scalar_input(0.25f);
  auto out = rt.infer({{"x", x}});
  REQUIRE(out.ok);
  REQUIRE(out.output("y") != nullptr);
  CHECK(*out.output("y") == x);
  CHECK(out.output("y")->shares_storage_with(x));
}

TEST_CASE("a true condition runs its branch and a false one leaves the branch's output out") {
  threaded_runtime rt;
  rt.deploy(branch_graph);
  auto high = rt.infer({{"x", scalar_input(0.9f)}});
  REQUIRE(high.ok);
  CHECK(high.output("big_branch") != nullptr);
  CHECK(high.output("small_branch") == nullptr);
  CHECK(high.output("joined") != nullptr);

  auto low = rt.infer({{"x", scalar_input(0.1f)}});
  REQUIRE(low.ok);
  CHECK(low.output("big_branch") == nullptr);
  CHECK(low.output("small_branch") != nullptr);
  // The merge's only input was absent, so the merge was skipped too.
  CHECK(low.output("joined") == nullptr);
}

TEST_CASE("an answer's trace names the branches the request took, and only those") {
  threaded_runtime rt;
  rt.deploy(branch_graph);
  auto branches = [](const outcome& o) {
    std::vector<std::string> out;
    for (auto& s : o.reply.served)
      if (s.branch)
        out.push_back(s.op);
    return out;
  };
  auto high = rt.infer({{"x", scalar_input(0.9f)}});
  REQUIRE(high.ok);
  CHECK(branches(high) == std::vector<std::string>{"when_big"});
  auto low = rt.infer({{"x", scalar_input(0.1f)}});
  REQUIRE(low.ok);
  CHECK(branches(low) == std::vector<std::string>{"when_small"});
}

TEST_CASE("a join waits for every input that will arrive, also a slow one") {
  threaded_runtime rt;
  rt.deploy(R"(
graph: join
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: slow, kind: simulate, inputs: [x], params: {cost_ms: 30, output_name: s}}
  - {name: fast, kind: simulate, inputs: [x], params: {output_name: f}}
  - {name: big, kind: threshold, inputs: [x], params: {threshold: 0.5}}
  - {name: maybe, kind: simulate, inputs: [x], when: big, params: {output_name: m}}
  - {name: all, kind: merge, inputs: [slow, fast, maybe]}
outputs: [{name: all, from: all}]
)");
  auto small = rt.infer({{"x", scalar_input(0.1f)}});
  REQUIRE(small.ok);
  CHECK(small.output("all.s") != nullptr);
  CHECK(small.output("all.f") != nullptr);
  CHECK(small.output("all.m") == nullptr);
  auto large = rt.infer({{"x", scalar_input(0.7f)}});
  REQUIRE(large.ok);
  CHECK(large.output("all.s") != nullptr);
  CHECK(large.output("all.m") != nullptr);
}

TEST_CASE("an ensemble averages the models that ran") {
  threaded_runtime rt;
  rt.deploy(R"(
graph: mean
inputs: [{name: x, dtype: float32, shape: [2]}]
operators:
  - {name: m1, kind: identity, inputs: [x]}
  - {name: m2, kind: identity, inputs: [x]}
  - {name: avg, kind: ensemble, inputs: [m1, m2], params: {method: mean}}
outputs: [{name: y, from: avg}]
)");
  auto x = tensor::from_values<float>({2}, std::vector<float>{1.0f, 3.0f});
  auto out = rt.infer({{"x", x}});
  REQUIRE(out.ok);
  REQUIRE(out.output("y") != nullptr);
  auto y = out.output("y")->values<float>();
  CHECK(y[0] == doctest::Approx(1.0));
  CHECK(y[1] == doctest::Approx(3.0));
}

TEST_CASE("an ensemble that selects its members skips the ones its select operator leaves "
          "out, once their answers show they are too slow") {
  threaded_runtime rt;
  rt.deploy(R"(
graph: selecting
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: pick, kind: select, inputs: [x], params: {ensemble: avg}}
  - {name: fast, kind: simulate, inputs: [x], when: pick, params: {cost_ms: 1, output_name: p}}
  - {name: slow, kind: simulate, inputs: [x], when: pick, params: {cost_ms: 150, output_name: p}}
  - {name: avg, kind: ensemble, inputs: [fast, slow], slo_ms: 50,
     params: {method: mean, selection: greedy, accuracy: [0.7, 0.8]}}
outputs: [{name: y, from: avg}]
)");
  // Nothing is measured at first: the first request runs the more accurate member alone (a
  // vote of two is as good as its better one). Its answer reaches the select operator before
  // the answer reaches us, so every later request runs the fast member instead.
  for (int i = 0; i < 4; ++i) {
    auto out = rt.infer({{"x", scalar_input(0.5f)}});
    REQUIRE(out.ok);
    CHECK(out.output("y") != nullptr);
  }
  for (auto& s : rt.dep->collect_operator_stats(rt.sys)) {
    if (s.op == "slow") {
      CHECK(s.calls == 1);
      CHECK(s.skipped == 3);
    }
    if (s.op == "fast") {
      CHECK(s.calls == 3);
      CHECK(s.skipped == 1);
    }
  }
}

TEST_CASE("feedback labels reach the select operator, which counts each member's predictions against them") {
  threaded_runtime rt;
  rt.deploy(R"(
graph: judged
inputs: [{name: x, dtype: float32, shape: [2]}]
operators:
  - {name: pick, kind: select, inputs: [x], params: {ensemble: avg}}
  - {name: a, kind: identity, inputs: [x], when: pick}
  - {name: b, kind: identity, inputs: [x], when: pick}
  - {name: avg, kind: ensemble, inputs: [a, b], slo_ms: 1000,
     params: {method: mean, selection: greedy, accuracy: [0.7, 0.8]}}
outputs: [{name: y, from: avg}]
)");
  caf::scoped_actor self{rt.sys};
  for (int i = 0; i < 3; ++i) {
    // Both members echo x: they predict class 1; the truth told is 1, 1, then 0.
    auto out = rt.infer({{"x", tensor::from_values<float>({2}, std::vector<float>{0.1f, 0.9f})}});
    REQUIRE(out.ok);
    feedback f;
    f.id = std::to_string(out.reply.id);
    f.has_label = true;
    f.label = i < 2 ? 1 : 0;
    self->request(rt.dep->ingress(), std::chrono::seconds(10), feedback_atom::value, f)
      .receive([](feedback_receipt&) {}, [](caf::error& err) { FAIL(message_of(err)); });
  }
  // The ingress passed each label on before it answered: the select has them queued first.
  std::vector<member_outcome> members;
  std::map<std::string, std::uint64_t> calls;
  for (auto& s : rt.dep->collect_operator_stats(rt.sys)) {
    calls[s.op] += s.calls;
    if (s.op == "pick")
      members = s.members;
  }
  REQUIRE(members.size() == 2);
  CHECK(members[0].member == "a");
  CHECK(members[0].labelled + members[1].labelled >= 3);
  const double prior[] = {0.7, 0.8};
  for (std::size_t m = 0; m < 2; ++m) {
    INFO(members[m].member);
    // Every answer a member gave was labelled; it was right unless it ran the third request.
    CHECK(members[m].labelled == calls[members[m].member]);
    CHECK(members[m].correct <= members[m].labelled);
    CHECK(members[m].correct + 1 >= members[m].labelled);
    CHECK(members[m].accuracy ==
          doctest::Approx((static_cast<double>(members[m].correct) + 20 * prior[m]) /
                          (static_cast<double>(members[m].labelled) + 20)));
  }
}

TEST_CASE("a cache hit answers from the cache and skips the models behind it") {
  threaded_runtime rt;
  rt.deploy(R"(
graph: cached
inputs: [{name: symbol, dtype: int64, shape: [1]}]
operators:
  - {name: cache, kind: cache, inputs: [symbol], params: {fill_from: model}}
  - {name: model, kind: simulate, inputs: [symbol], when: "!cache",
     params: {output_name: prediction, output_shape: [1]}}
  - {name: answer, kind: merge, inputs: [cache, model]}
outputs: [{name: price, from: answer.prediction}]
)");
  auto symbol = tensor::from_values<std::int64_t>({1}, std::vector<std::int64_t>{42});
  auto first = rt.infer({{"symbol", symbol}});
  REQUIRE(first.ok);
  auto second = rt.infer({{"symbol", symbol}});
  REQUIRE(second.ok);
  REQUIRE(first.output("price") != nullptr);
  REQUIRE(second.output("price") != nullptr);
  CHECK(*first.output("price") == *second.output("price"));
  auto stats = rt.dep->collect_operator_stats(rt.sys);
  for (auto& s : stats)
    if (s.op == "model") {
      CHECK(s.calls == 1);
      CHECK(s.skipped == 1);
    }
}

TEST_CASE("an operator error fails only its own request, with the operator's name") {
  threaded_runtime rt;
  rt.deploy(R"(
graph: flaky
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: flaky_model, kind: simulate, inputs: [x], params: {fail_every: 2}}
  - {name: after, kind: identity, inputs: [flaky_model]}
outputs: [{name: y, from: after}]
)");
  std::vector<bool> ok;
  std::string error;
  for (int i = 0; i < 4; ++i) {
    auto out = rt.infer({{"x", scalar_input(1.0f)}});
    ok.push_back(out.ok);
    if (!out.ok) {
      error = out.error;
      CHECK(out.code == errc::operator_failed);
    }
  }
  CHECK(ok == std::vector<bool>{true, false, true, false});
  CHECK(error.find("operator 'flaky_model'") != std::string::npos);
  CHECK(error.find("simulated failure") != std::string::npos);
}

TEST_CASE("a request past its deadline fails with a timeout that names the missing output") {
  threaded_runtime rt;
  rt.deploy(R"(
graph: slow
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: slow_model, kind: simulate, inputs: [x], params: {cost_ms: 2000}}
outputs: [{name: y, from: slow_model}]
)");
  auto out = rt.infer({{"x", scalar_input(1.0f)}}, 50);
  CHECK_FALSE(out.ok);
  CHECK(out.code == errc::deadline_exceeded);
  CHECK(out.error.find("exceeded its deadline") != std::string::npos);
  CHECK(out.error.find("'y' from 'slow_model'") != std::string::npos);
}

TEST_CASE("requests are spread over every replica") {
  threaded_runtime rt;
  rt.deploy(R"(
graph: replicated
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: model, kind: simulate, inputs: [x], replicas: 3, params: {cost_ms: 5}}
outputs: [{name: y, from: model}]
)");
  load_plan plan;
  plan.inputs.push_back({{"x", scalar_input(1.0f)}});
  plan.requests = 30;
  plan.concurrency = 6;
  auto report = run_load(rt.sys, rt.dep->ingress(), plan);
  CHECK(report.failures() == 0);
  CHECK(report.outcomes.size() == 30);
  auto stats = rt.dep->collect_operator_stats(rt.sys);
  REQUIRE(stats.size() == 3);
  std::uint64_t total = 0;
  for (auto& s : stats) {
    CHECK(s.calls >= 5);
    total += s.calls;
  }
  CHECK(total == 30);
}

TEST_CASE("a replicated join receives every input of a request on one replica") {
  threaded_runtime rt;
  rt.deploy(R"(
graph: replicated_join
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: a, kind: simulate, inputs: [x], replicas: 2, params: {cost_ms: 1, output_name: a}}
  - {name: b, kind: simulate, inputs: [x], replicas: 3, params: {output_name: b}}
  - {name: join, kind: merge, inputs: [a, b], replicas: 3}
outputs: [{name: out, from: join}]
)");
  load_plan plan;
  plan.inputs.push_back({{"x", scalar_input(1.0f)}});
  plan.requests = 60;
  plan.concurrency = 8;
  auto report = run_load(rt.sys, rt.dep->ingress(), plan);
  CHECK(report.failures() == 0);
  std::uint64_t join_calls = 0;
  for (auto& s : rt.dep->collect_operator_stats(rt.sys))
    if (s.op == "join") {
      CHECK(s.calls > 0);
      CHECK(s.joining == 0);
      join_calls += s.calls;
    }
  CHECK(join_calls == 60);
}

TEST_CASE("inputs that do not match the declaration are refused with the input's name") {
  threaded_runtime rt;
  rt.deploy(branch_graph);
  auto wrong_type = rt.infer({{"x", tensor::from_values<std::int32_t>({1}, std::vector<std::int32_t>{1})}});
  CHECK(wrong_type.code == errc::invalid_argument);
  CHECK(wrong_type.error == "input 'x': dtype int32 does not match the declared float32 [1]");
  auto wrong_shape = rt.infer({{"x", tensor::from_values<float>({2}, std::vector<float>{1, 2})}});
  CHECK(wrong_shape.error == "input 'x': shape [2] does not match the declared float32 [1]");
  auto missing = rt.infer({});
  CHECK(missing.error == "missing input 'x' (float32 [1])");
  auto unknown = rt.infer({{"x", scalar_input(1)}, {"z", scalar_input(1)}});
  CHECK(unknown.error == "unknown input 'z'; graph 'branch' takes: x");
  // The runtime keeps serving after refusals.
  CHECK(rt.infer({{"x", scalar_input(0.9f)}}).ok);
}

TEST_CASE("beyond the in-flight limit new requests are shed as overloaded") {
  threaded_runtime rt;
  ingress_options options;
  options.max_in_flight = 1;
  rt.deploy(R"(
graph: one_at_a_time
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: model, kind: simulate, inputs: [x], params: {cost_ms: 200}}
outputs: [{name: y, from: model}]
)",
            options);
  load_plan plan;
  plan.inputs.push_back({{"x", scalar_input(1.0f)}});
  plan.requests = 2;
  plan.concurrency = 2;
  auto report = run_load(rt.sys, rt.dep->ingress(), plan);
  REQUIRE(report.outcomes.size() == 2);
  CHECK(report.failures() == 1);
  for (auto& o : report.outcomes)
    if (!o.ok)
      CHECK(o.error.find("overloaded") != std::string::npos);
}

TEST_CASE("stopping a deployment answers the requests still in flight") {
  threaded_runtime rt;
  rt.deploy(R"(
graph: stopped
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: model, kind: simulate, inputs: [x], params: {cost_ms: 5000}}
outputs: [{name: y, from: model}]
)");
  caf::scoped_actor self{rt.sys};
  self->send(rt.dep->ingress(), infer_atom::value,
             infer_request{{{"x", scalar_input(1.0f)}}, 0, {}});
  // Wait until the ingress has accepted it, then stop.
  for (int i = 0; i < 1000 && rt.dep->collect_ingress_stats(rt.sys).in_flight == 0; ++i)
    std::this_thread::yield();
  rt.dep->stop();
  bool answered = false;
  self->receive([&](infer_reply&) {},
                [&](caf::error& err) {
                  answered = true;
                  CHECK(code_of(err) == errc::unavailable);
                },
                caf::after(std::chrono::seconds(10)) >> [] {});
  CHECK(answered);
}
