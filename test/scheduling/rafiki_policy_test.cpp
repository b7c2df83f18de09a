// Rafiki's actor-critic ensemble selection, stepped decision by decision with a fake clock and
// a fixed seed: no threads, no actors.
#include <vector>

#include <doctest/doctest.h>

#include "scheduling/rafiki_policy.hpp"
#include "test/scheduling/ensemble_fixture.hpp"

using namespace hogar::scheduling;
using namespace hogar::scheduling::test;

namespace {

double probability_of(const rafiki_policy& p, const ensemble_view& view, std::int64_t b,
                      member_set members) {
  for (auto& c : p.probabilities(view))
    if (c.batch_size == b && c.members == members)
      return c.probability;
  FAIL("no such action");
  return 0;
}

} // namespace

TEST_CASE("rafiki is made by its selection name, and its actions are every batch size and "
          "subset") {
  auto p = make_ensemble_policy("rafiki", four_members());
  REQUIRE(p);
  CHECK((*p)->name() == "rafiki");
  rafiki_policy r{four_members()};
  std::vector<std::int64_t> queue{0};
  auto all = r.probabilities({0, queue});
  CHECK(all.size() == 4 * 15);
  double sum = 0;
  for (auto& c : all)
    sum += c.probability;
  CHECK(sum == doctest::Approx(1.0));
}

TEST_CASE("with time to spare rafiki runs every member, and takes every waiting request") {
  rafiki_policy p{four_members()};
  teach(p, {5, 5, 5, 40});
  std::vector<std::int64_t> queue(3, 0);
  auto best = p.most_probable({1 * ms, queue});
  CHECK(best.members == 0b1111);
  CHECK(best.batch_size >= 4);
  // Batch sizes 4 and 8 both take the three: together they hold most of the probability.
  double everyone_all_requests = 0;
  for (auto& c : p.probabilities({1 * ms, queue}))
    if (c.members == 0b1111 && c.batch_size >= 4)
      everyone_all_requests += c.probability;
  CHECK(everyone_all_requests > 0.5);
  auto d = p.decide({1 * ms, queue});
  CHECK(d.take == std::min<std::size_t>(3, static_cast<std::size_t>(d.batch_size)));
  CHECK(d.members != 0);
}

TEST_CASE("rafiki leaves out the slow member when it would make the batch late") {
  rafiki_policy p{four_members()};
  teach(p, {5, 5, 5, 40});
  // Waited 70 ms: with member 3 (40 ms) every request is late, without it none.
  std::vector<std::int64_t> queue(4, 0);
  auto best = p.most_probable({70 * ms, queue});
  CHECK(best.members == 0b0111);
  CHECK(probability_of(p, {70 * ms, queue}, 4, 0b1111) < 0.01);
}

TEST_CASE("rafiki leaves out a member that cannot keep up with the arrival rate before any "
          "request is late") {
  auto run = [](std::int64_t gap_ns) {
    rafiki_policy p{four_members()};
    teach(p, {5, 5, 5, 40});
    // Requests arrive every gap_ns; each decision sees the latest 4 (fresh, none late).
    std::int64_t now = 0;
    for (int step = 0; step < 200; ++step) {
      now += 4 * gap_ns;
      std::vector<std::int64_t> queue{now - 3 * gap_ns, now - 2 * gap_ns, now - gap_ns, now};
      p.decide({now, queue});
    }
    std::vector<std::int64_t> queue{now - 3 * gap_ns, now - 2 * gap_ns, now - gap_ns, now};
    return p.most_probable({now, queue}).members;
  };
  // Member 3 serves at most 8 requests per 40 ms: 200 a second.
  CHECK(run(20 * ms) == 0b1111);  // 50 a second
  CHECK(run(1 * ms) == 0b0111);   // 1000 a second
}

TEST_CASE("feedback that a member is more accurate makes rafiki accept some lateness to run "
          "it") {
  ensemble_config c;
  c.accuracy = {0.6, 0.7};
  c.slo_us = 100'000;
  c.batch_sizes = {1, 2, 4, 8};
  rafiki_policy p{c};
  teach(p, {5, 40});
  // Half the queue waited 70 ms: member 1 makes those four late.
  std::vector<std::int64_t> queue{0, 0, 0, 0, 70 * ms, 70 * ms, 70 * ms, 70 * ms};
  ensemble_view view{70 * ms, queue};
  // 0.6 * 8 on time beats 0.7 * (8 - 0.5 * 4).
  CHECK(p.most_probable(view).members == 0b01);
  p.set_member_accuracy(1, 0.9);
  // 0.9 * (8 - 0.5 * 4) beats 0.6 * 8.
  CHECK((p.most_probable(view).members & 0b10) != 0);
}

TEST_CASE("an action whose reward beats what rafiki has been earning becomes more likely, and "
          "one that falls short less likely") {
  rafiki_policy p{four_members()};
  teach(p, {5, 5, 5, 40});
  std::vector<std::int64_t> queue(4, 0);
  ensemble_view view{10 * ms, queue};

  auto first = p.decide(view);
  double before = probability_of(p, view, first.batch_size, first.members);
  ensemble_outcome good{first.decision, first.members, first.take, 0, 40 * ms, {}};
  p.observe(good);
  auto second = p.decide(view);  // learns from the first
  CHECK(probability_of(p, view, first.batch_size, first.members) > before);

  // Now the same kind of batch comes back all late: below the reward per request so far.
  double again = probability_of(p, view, second.batch_size, second.members);
  ensemble_outcome bad{second.decision, second.members, second.take, second.take, 40 * ms, {}};
  p.observe(bad);
  p.decide(view);
  CHECK(probability_of(p, view, second.batch_size, second.members) < again);
}

TEST_CASE("rafiki's decisions are the same for the same seed") {
  auto sequence = [](std::uint64_t seed) {
    rafiki_policy p{four_members(seed)};
    teach(p, {5, 5, 5, 40});
    std::vector<member_set> chosen;
    for (int i = 0; i < 40; ++i) {
      std::vector<std::int64_t> queue(3, i * 10 * ms);
      auto d = p.decide({i * 10 * ms + 60 * ms, queue});
      chosen.push_back(d.members);
      p.observe({d.decision, d.members, d.take, 0, 40 * ms, {}});
    }
    return chosen;
  };
  CHECK(sequence(7) == sequence(7));
  CHECK(sequence(7) != sequence(8));
}
