// The subset accuracy model, the members' latency estimates, and the all and greedy
// selections, stepped with a fake clock (plain numbers): no threads, no actors.
#include <vector>

#include <doctest/doctest.h>

#include "scheduling/ensemble_policy.hpp"
#include "test/scheduling/ensemble_fixture.hpp"

using namespace hogar;
using namespace hogar::scheduling;
using namespace hogar::scheduling::test;

namespace {

std::unique_ptr<ensemble_policy> policy(std::string_view selection, ensemble_config c) {
  auto p = make_ensemble_policy(selection, c);
  INFO((p ? std::string{} : p.error().message));
  REQUIRE(p);
  return std::move(*p);
}

} // namespace

TEST_CASE("a subset's accuracy is its member's alone, and a weighted vote never loses to its "
          "best member") {
  ensemble_accuracy model{{0.6, 0.7, 0.7, 0.7}};
  CHECK(model.of(0b0001) == doctest::Approx(0.6));
  CHECK(model.of(0b0010) == doctest::Approx(0.7));
  // Two members: the heavier vote decides.
  CHECK(model.of(0b0011) == doctest::Approx(0.7));
  // Three equal members: a plain majority, 0.7^3 + 3 * 0.7^2 * 0.3.
  CHECK(model.of(0b1110) == doctest::Approx(0.784));
  for (member_set set = 1; set < 16; ++set)
    for (std::size_t m = 0; m < 4; ++m)
      if (set >> m & 1)
        CHECK(model.of(set) >= model.member(m) - 1e-12);
  CHECK(model.of(0b1111) >= model.of(0b1110));
}

TEST_CASE("feedback replaces a member's accuracy in every subset it belongs to") {
  ensemble_accuracy model{{0.6, 0.7}};
  CHECK(model.of(0b11) == doctest::Approx(0.7));
  model.set(0, 0.9);
  CHECK(model.of(0b01) == doctest::Approx(0.9));
  CHECK(model.of(0b11) == doctest::Approx(0.9));
  CHECK(model.of(0b10) == doctest::Approx(0.7));
}

TEST_CASE("a member's latency is predicted from the sizes measured") {
  member_latency m;
  CHECK_FALSE(m.predict_ns(4));
  m.observe(4, 20 * ms);
  // One size: as much for smaller batches, proportionally more for larger ones.
  CHECK(*m.predict_ns(1) == doctest::Approx(20.0 * ms));
  CHECK(*m.predict_ns(8) == doctest::Approx(40.0 * ms));
  // Two sizes: the line through them (fixed 10 ms + 2.5 ms per item).
  m.observe(8, 30 * ms);
  CHECK(*m.predict_ns(1) == doctest::Approx(12.5 * ms));
  CHECK(*m.predict_ns(16) == doctest::Approx(50.0 * ms));
  // A bound lowers an estimate and never raises it.
  m.at_most(8, 60 * ms);
  CHECK(*m.predict_ns(8) == doctest::Approx(30.0 * ms));
  m.at_most(8, 20 * ms);
  CHECK(*m.predict_ns(8) == doctest::Approx(20.0 * ms));
}

TEST_CASE("with only the batch's latency, the member predicted slowest is charged with it") {
  auto p = policy("all", four_members());
  teach(*p, {5, 5, 5, 40});
  ensemble_outcome o;
  o.members = 0b1111;
  o.requests = 1;
  o.latency_ns = 60 * ms;
  p->observe(o);
  CHECK(*p->latencies()[3].predict_ns(1) > 40.0 * ms);
  CHECK(*p->latencies()[0].predict_ns(1) == doctest::Approx(5.0 * ms));
}

TEST_CASE("selection all waits for a fuller batch while the SLO allows, then runs everyone") {
  auto p = policy("all", four_members());
  std::vector<std::int64_t> queue{0};
  auto wait = p->decide({1 * ms, queue});
  CHECK(wait.take == 0);
  REQUIRE(wait.wake_at_ns);
  auto go = p->decide({*wait.wake_at_ns, queue});
  CHECK(go.take == 1);
  CHECK(go.members == 0b1111);
  // A full batch goes at once.
  std::vector<std::int64_t> full(8, 0);
  CHECK(p->decide({1 * ms, full}).take == 8);
}

TEST_CASE("a caller that cannot hold requests gets a decision at once") {
  auto p = policy("greedy", four_members());
  std::vector<std::int64_t> queue{0};
  auto d = p->decide({0, queue, false});
  CHECK(d.take == 1);
  CHECK(d.members != 0);
  CHECK(d.decision == 1);
  CHECK(p->decide({0, queue, false}).decision == 2);
}

TEST_CASE("greedy runs every member while the oldest request has time, and drops the slow "
          "one when it has not") {
  auto p = policy("greedy", four_members());
  teach(*p, {5, 5, 5, 40});
  std::vector<std::int64_t> queue{0};
  // Fresh request: 40 ms fits within 90 ms.
  CHECK(p->decide({0, queue, false}).members == 0b1111);
  // Waited 60 ms: 60 + 40 > 90, 60 + 5 fits: the most accurate subset without member 3.
  CHECK(p->decide({60 * ms, queue, false}).members == 0b0111);
}

TEST_CASE("greedy falls back to the fastest member when nothing meets the SLO") {
  auto c = four_members();
  auto p = policy("greedy", c);
  teach(*p, {9, 5, 7, 40});
  std::vector<std::int64_t> queue{0};
  CHECK(p->decide({95 * ms, queue, false}).members == 0b0010);
}

TEST_CASE("greedy and rafiki refuse an ensemble of one member, and every bad setting is named") {
  ensemble_config one;
  one.accuracy = {0.7};
  one.slo_us = 1000;
  CHECK(make_ensemble_policy("all", one));
  for (auto s : {"greedy", "rafiki"}) {
    auto p = make_ensemble_policy(s, one);
    REQUIRE_FALSE(p);
    CHECK(p.error().message.find("only one") != std::string::npos);
  }
  auto c = four_members();
  CHECK(make_ensemble_policy("best", c).error().message.find("unknown selection 'best'") !=
        std::string::npos);
  auto bad = c;
  bad.accuracy[1] = 1.5;
  CHECK(make_ensemble_policy("rafiki", bad).error().message.find("member 1") !=
        std::string::npos);
  bad = c;
  bad.slo_us = 0;
  CHECK(make_ensemble_policy("rafiki", bad).error().message.find("slo_us") != std::string::npos);
  bad = c;
  bad.batch_sizes = {4, 2};
  CHECK(make_ensemble_policy("rafiki", bad).error().message.find("ascending") !=
        std::string::npos);
  bad = c;
  bad.accuracy.assign(ensemble_members_max + 1, 0.7);
  CHECK_FALSE(make_ensemble_policy("rafiki", bad));
}
