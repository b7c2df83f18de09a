#include "kernels/ops/select.hpp"

#include <chrono>
#include <memory>

#include <doctest/doctest.h>

#include "../fixture.hpp"
#include "graph/topology.hpp"

using namespace hogar;
using namespace hogar::test;
using namespace std::chrono_literals;

namespace {

/// A graph of `pick` (select) gating members m1, m2, m3 of ensemble `vote` (objective 50 ms).
struct selecting_graph {
  std::shared_ptr<graph::graph_spec> spec = std::make_shared<graph::graph_spec>();

  explicit selecting_graph(std::string selection) {
    spec->operators.push_back(make_spec("select", {{"ensemble", std::string{"vote"}}}, {}, "pick"));
    for (auto name : {"m1", "m2", "m3"})
      spec->operators.push_back(make_spec("simulate", {}, {"in"}, name));
    auto vote = make_spec("ensemble",
                          {{"method", std::string{"mean"}},
                           {"selection", selection},
                           {"accuracy", std::vector<double>{0.65, 0.7, 0.8}}},
                          {"m1", "m2", "m3"}, "vote");
    vote.slo_ms = 50;
    spec->operators.push_back(vote);
  }

  result<std::unique_ptr<operation>> make() const {
    operation_context context;
    context.graph = spec;
    return make_operation(spec->operators[0], context);
  }
};

bool selected(const op_output& out, std::string_view member) {
  return get(out, member).values<bool>()[0];
}

const time_point t0{};
const record request{{"x", tensor::scalar<float>(1)}};

} // namespace

TEST_CASE("a select operator emits one verdict per member, named after it, and a true "
          "condition") {
  selecting_graph g{"greedy"};
  auto op = g.make();
  REQUIRE(op);
  auto out = ok(call1(**op, request, 1, t0));
  REQUIRE(out.value.size() == 4);
  // Nothing measured yet: every member can make it.
  CHECK(selected(out, "m1"));
  CHECK(selected(out, "m2"));
  CHECK(selected(out, "m3"));
  CHECK(get(out, condition_tensor_name).values<bool>()[0]);
}

TEST_CASE("members' answers come back to the select operator, and a member that answers too "
          "late is left out of the next requests") {
  selecting_graph g{"greedy"};
  auto op = g.make().value();
  const record answer{{"p", tensor::scalar<float>(0.5f)}};
  ok(call1(*op, request, 1, t0));
  op->fill(1, 0, answer, t0 + 5ms);
  op->fill(1, 1, answer, t0 + 6ms);
  op->fill(1, 2, answer, t0 + 80ms);
  auto next = ok(call1(*op, request, 2, t0 + 100ms));
  // Without m3 the most accurate choice is m2 (a vote of two is as good as its better one).
  CHECK_FALSE(selected(next, "m1"));
  CHECK(selected(next, "m2"));
  CHECK_FALSE(selected(next, "m3"));
}

TEST_CASE("a request sent again after a failure keeps the members it was given") {
  selecting_graph g{"greedy"};
  auto op = g.make().value();
  const record answer{{"p", tensor::scalar<float>(0.5f)}};
  ok(call1(*op, request, 1, t0));
  op->fill(1, 0, answer, t0 + 5ms);
  op->fill(1, 1, answer, t0 + 6ms);
  op->fill(1, 2, answer, t0 + 80ms);
  CHECK(selected(ok(call1(*op, request, 2, t0 + 100ms)), "m2"));
  // Request 2 has waited 100 ms unanswered: nothing meets the objective any more, and a new
  // request gets the fastest member alone.
  auto late = ok(call1(*op, request, 3, t0 + 200ms));
  CHECK(selected(late, "m1"));
  CHECK_FALSE(selected(late, "m2"));
  // Request 2 run again (its replica was replaced) is not decided anew.
  auto again = ok(call1(*op, request, 2, t0 + 200ms));
  CHECK_FALSE(selected(again, "m1"));
  CHECK(selected(again, "m2"));
}

TEST_CASE("rafiki runs behind a select operator too") {
  selecting_graph g{"rafiki"};
  auto op = g.make();
  REQUIRE(op);
  int runs = 0;
  for (std::uint64_t id = 1; id <= 20; ++id) {
    auto out = ok(call1(**op, request, id, t0 + id * 10ms));
    runs += selected(out, "m1") + selected(out, "m2") + selected(out, "m3");
    for (std::size_t m = 0; m < 3; ++m)
      if (selected(out, std::string{"m"} + std::to_string(m + 1)))
        (*op)->fill(id, m, request, t0 + id * 10ms + 2ms);
  }
  CHECK(runs >= 20);
}

TEST_CASE("a select operator is refused, naming the ensemble, when there is nothing to select") {
  selecting_graph everyone{"all"};
  auto op = everyone.make();
  REQUIRE_FALSE(op);
  CHECK(op.error().message ==
        "operator 'pick' (select): parameter 'ensemble': ensemble 'vote': selection all runs "
        "every member: there is nothing to select");
  selecting_graph elsewhere{"rafiki"};
  elsewhere.spec->operators[0].params[0].value = std::string{"votes"};
  CHECK(elsewhere.make().error().message.find("no ensemble operator 'votes'") !=
        std::string::npos);
  CHECK_FALSE(make_operation(elsewhere.spec->operators[0]));
}

TEST_CASE("a select operator's record holds a bool scalar per member and the condition") {
  selecting_graph g{"rafiki"};
  operation_context context;
  context.graph = g.spec;
  std::vector<record_signature> in{record_signature{{{"x", dtype::float32, {1}, false}}, false}};
  auto sig = output_signature({g.spec->operators[0], in, context});
  REQUIRE(sig);
  REQUIRE(sig->tensors.size() == 4);
  CHECK(sig->tensors[2].name == "m3");
  CHECK(sig->tensors[2].type == dtype::boolean);
  CHECK(sig->tensors[3].name == condition_tensor_name);
}

TEST_CASE("feedback labels move each member's accuracy from its prior, and the selection follows") {
  selecting_graph g{"greedy"};
  auto op = g.make().value();
  CHECK(op->member_outcomes().size() == 3);
  CHECK(op->member_outcomes()[1].accuracy == doctest::Approx(0.7));
  // m1 predicts class 1 (its largest score), m2 class 0, and m3 answers too late to be chosen
  // again; the truth is always 1.
  const record says_one{{"p", tensor::from_values<float>({2}, std::vector<float>{0.2f, 0.8f})}};
  const record says_zero{{"p", tensor::from_values<float>({2}, std::vector<float>{0.9f, 0.1f})}};
  auto run = [&](std::uint64_t id, time_point at) {
    // Only the members selected run, and answer.
    auto out = ok(call1(*op, request, id, at));
    if (selected(out, "m1"))
      op->fill(id, 0, says_one, at + 5ms);
    if (selected(out, "m2"))
      op->fill(id, 1, says_zero, at + 6ms);
    if (selected(out, "m3"))
      op->fill(id, 2, says_one, at + 80ms);
    return out;
  };
  run(1, t0);
  // By the priors (0.65, 0.7) m2 alone is the better choice without m3.
  auto before = run(2, t0 + 100ms);
  CHECK_FALSE(selected(before, "m1"));
  CHECK(selected(before, "m2"));
  for (std::uint64_t id = 1; id <= 2; ++id)
    op->learn_label(id, 1);
  op->learn_label(999, 1);  // a request it never saw: nothing to learn
  auto outcomes = op->member_outcomes();
  REQUIRE(outcomes.size() == 3);
  CHECK(outcomes[0].member == "m1");
  // Request 2 did not run m1 (not selected), request 1 ran all three.
  CHECK(outcomes[0].labelled == 1);
  CHECK(outcomes[0].correct == 1);
  CHECK(outcomes[1].labelled == 2);
  CHECK(outcomes[1].correct == 0);
  // (correct + 20 x prior) / (labelled + 20).
  CHECK(outcomes[0].accuracy == doctest::Approx((1 + 20 * 0.65) / 21));
  CHECK(outcomes[1].accuracy == doctest::Approx((0 + 20 * 0.7) / 22));
  // Now m1 is the more accurate of the two that make it in time.
  auto after = run(3, t0 + 200ms);
  CHECK(selected(after, "m1"));
  CHECK_FALSE(selected(after, "m2"));
}
