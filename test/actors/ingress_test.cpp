// The ingress's timing, on CAF's deterministic test coordinator: time moves only when the
// test advances it, so deadlines are checked to the millisecond without sleeping.
#include "test/actors/runtime_fixture.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>

using namespace hogar;
using namespace hogar::test;

namespace {

struct deterministic_runtime : coordinated_system {
  std::unique_ptr<deployment> dep;

  struct answer {
    bool arrived = false;
    bool ok = false;
    errc code = errc::none;
    std::string error;
  };

  void deploy(const std::string& yaml, ingress_options options = {}) {
    auto started = deployment::start(sys, compile(yaml), options);
    REQUIRE(started.has_value());
    dep = std::move(*started);
    sched.run();
  }

  std::shared_ptr<answer> send(float x, std::int64_t timeout_ms) {
    auto result = std::make_shared<answer>();
    auto ingress = dep->ingress();
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(ingress, caf::infinite, infer_atom::value,
                    infer_request{{{"x", scalar_input(x)}}, timeout_ms, {}})
        .then(
          [=](infer_reply&) {
            result->arrived = true;
            result->ok = true;
          },
          [=](caf::error& err) {
            result->arrived = true;
            result->code = code_of(err);
            result->error = message_of(err);
          });
    });
    sched.run();
    return result;
  }

  /// Sends a request known to feedback as `client_id`; returns its reply's request id.
  std::shared_ptr<request_id> send_named(float x, std::string client_id) {
    auto id = std::make_shared<request_id>(0);
    auto ingress = dep->ingress();
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(ingress, caf::infinite, infer_atom::value,
                    infer_request{{{"x", scalar_input(x)}}, 0, client_id})
        .then([=](infer_reply& reply) { *id = reply.id; }, [](caf::error&) {});
    });
    sched.run();
    return id;
  }

  /// Tells the ingress the true label of answer `id`.
  result<feedback_receipt> tell(std::string id, std::int64_t label) {
    auto out = std::make_shared<result<feedback_receipt>>(error_info{errc::internal, "no answer"});
    feedback f;
    f.id = std::move(id);
    f.has_label = true;
    f.label = label;
    auto ingress = dep->ingress();
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(ingress, caf::infinite, feedback_atom::value, f)
        .then([=](feedback_receipt& r) { *out = r; },
              [=](caf::error& err) { *out = error_info{code_of(err), message_of(err)}; });
    });
    sched.run();
    return *out;
  }

  void advance_ms(int ms) {
    sched.advance_time(std::chrono::milliseconds(ms));
    sched.run();
  }


  ~deterministic_runtime() {
    if (dep)
      dep->stop();
    sched.run();
  }
};

const std::string slow_graph = R"(
graph: timed
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: model, kind: simulate, inputs: [x], params: {cost_ms: 100}}
outputs: [{name: y, from: model}]
)";

} // namespace

TEST_CASE("a request is answered when its simulated cost has passed, not before") {
  deterministic_runtime rt;
  rt.deploy(slow_graph);
  auto a = rt.send(1.0f, 1000);
  CHECK_FALSE(a->arrived);
  rt.advance_ms(99);
  CHECK_FALSE(a->arrived);
  rt.advance_ms(1);
  CHECK(a->arrived);
  CHECK(a->ok);
}

TEST_CASE("a deadline fails the request at the deadline, and the late output is ignored") {
  deterministic_runtime rt;
  rt.deploy(slow_graph);
  auto a = rt.send(1.0f, 40);
  rt.advance_ms(39);
  CHECK_FALSE(a->arrived);
  rt.advance_ms(1);
  REQUIRE(a->arrived);
  CHECK(a->code == errc::deadline_exceeded);
  // The model finishes later; its output finds no request and the ingress keeps serving.
  rt.advance_ms(100);
  auto b = rt.send(1.0f, 1000);
  rt.advance_ms(100);
  CHECK(b->arrived);
  CHECK(b->ok);
  // Time from acceptance to the answer, to the nanosecond on this clock.
  auto s = rt.stats_of<ingress_stats>(rt.dep->ingress());
  CHECK(s.timed_out == 1);
  CHECK(s.failed_ns == 40'000'000);
  CHECK(s.completed == 1);
  CHECK(s.completed_ns == 100'000'000);
  CHECK(s.last_completed_unix_ms > 1'600'000'000'000);
}

TEST_CASE("feedback names an answer by the client's id or else its request id, is counted, and finds nothing once the answer is older than the retention") {
  deterministic_runtime rt;
  ingress_options options;
  options.feedback.retention_ms = 5000;
  rt.deploy(R"(
graph: scored
inputs: [{name: x, dtype: float32, shape: [2]}]
operators:
  - {name: model, kind: identity, inputs: [x]}
outputs: [{name: y, from: model}]
)",
            options);
  auto ingress = rt.dep->ingress();
  auto two = [](float a, float b) {
    return tensor::from_values<float>({2}, std::vector<float>{a, b});
  };
  // Answers: class 1 (0.2 < 0.9), known by the client's id; class 0, by its request id.
  std::shared_ptr<request_id> first, second;
  for (auto [values, name, into] :
       {std::tuple{two(0.2f, 0.9f), std::string{"order-1"}, &first},
        std::tuple{two(0.8f, 0.1f), std::string{}, &second}}) {
    auto id = std::make_shared<request_id>(0);
    rt.sys.spawn([=](caf::event_based_actor* self) {
      self->request(ingress, caf::infinite, infer_atom::value,
                    infer_request{{{"x", values}}, 0, name})
        .then([=](infer_reply& reply) { *id = reply.id; }, [](caf::error&) {});
    });
    rt.sched.run();
    *into = id;
  }
  REQUIRE(*second > 0);
  auto right = rt.tell("order-1", 1);
  REQUIRE(right.has_value());
  CHECK(right->correct);
  auto wrong = rt.tell(std::to_string(*second), 1);
  REQUIRE(wrong.has_value());
  CHECK(wrong->predicted == 0);
  CHECK_FALSE(wrong->correct);
  auto by_number = rt.tell(std::to_string(*first), 1);
  REQUIRE_FALSE(by_number.has_value());  // it was answered as "order-1"
  CHECK(by_number.error().code == errc::not_found);
  auto s = rt.stats_of<ingress_stats>(ingress);
  REQUIRE(s.outcomes.size() == 1);
  CHECK(s.outcomes[0].labelled == 2);
  CHECK(s.outcomes[0].correct == 1);

  auto late = rt.send_named(0.5f, "late");
  rt.advance_ms(5001);
  auto expired = rt.tell("late", 0);
  REQUIRE_FALSE(expired.has_value());
  CHECK(expired.error().code == errc::not_found);
  CHECK(expired.error().message.find("'late'") != std::string::npos);
}

TEST_CASE("a busy replica queues the next request behind the running one") {
  deterministic_runtime rt;
  rt.deploy(slow_graph);
  auto a = rt.send(1.0f, 1000);
  auto b = rt.send(2.0f, 1000);
  rt.advance_ms(100);
  CHECK(a->arrived);
  CHECK_FALSE(b->arrived);
  rt.advance_ms(100);
  CHECK(b->arrived);
  // b waited 100 ms behind a: the replica's queue time; both ran 100 ms.
  auto op = rt.stats_of<operator_stats>(rt.dep->replicas(0).front());
  CHECK(op.queue_ns == 100'000'000);
  CHECK(op.busy_ns == 200'000'000);
  CHECK(rt.stats_of<ingress_stats>(rt.dep->ingress()).completed_ns == 300'000'000);
}

TEST_CASE("a request queued behind a busy replica past its deadline never runs") {
  deterministic_runtime rt;
  rt.deploy(slow_graph);
  auto a = rt.send(1.0f, 1000);
  auto b = rt.send(2.0f, 50);
  rt.advance_ms(50);
  CHECK(b->arrived);
  CHECK(b->code == errc::deadline_exceeded);
  rt.advance_ms(50);
  CHECK(a->ok);
}
