// The membership view stepped by hand: clock readings in, member states out.
#include "actors/membership.hpp"

#include <doctest/doctest.h>

using namespace hogar;

namespace {

constexpr std::int64_t ms = 1'000'000;

node_info named(const std::string& name, std::int64_t incarnation = 1) {
  node_info info;
  info.name = name;
  info.incarnation = incarnation;
  return info;
}

member_state state_of(const membership& m, const std::string& name) {
  auto* found = m.find(name);
  REQUIRE(found != nullptr);
  return found->state;
}

} // namespace

TEST_CASE("a silent member turns suspect after miss-count intervals and dead after twice as "
          "many") {
  membership m{named("a"), 100 * ms, 3};
  CHECK(m.heard(named("b"), 0));
  for (std::int64_t t = 100; t <= 300; t += 100)
    CHECK_FALSE(m.age(t * ms));
  CHECK(state_of(m, "b") == member_state::alive);
  CHECK(m.age(400 * ms));
  CHECK(state_of(m, "b") == member_state::suspect);
  m.age(500 * ms);
  m.age(600 * ms);
  CHECK(m.age(700 * ms));
  CHECK(state_of(m, "b") == member_state::dead);
  // Back from the dead: heard again, it is news to the caller.
  CHECK(m.heard(named("b"), 800 * ms));
  CHECK(state_of(m, "b") == member_state::alive);
}

TEST_CASE("a node that was hung itself does not call its peers dead on its first tick back") {
  membership m{named("a"), 100 * ms, 3};
  m.heard(named("b"), 0);
  m.age(100 * ms);
  // Two seconds without a tick: this node was stopped, not b.
  CHECK_FALSE(m.age(2100 * ms));
  CHECK(state_of(m, "b") == member_state::alive);
  // If b stays silent from here, it is aged as usual.
  for (std::int64_t t = 2200; t <= 2500; t += 100)
    m.age(t * ms);
  CHECK(state_of(m, "b") == member_state::suspect);
  for (std::int64_t t = 2600; t <= 2800; t += 100)
    m.age(t * ms);
  CHECK(state_of(m, "b") == member_state::dead);
}

TEST_CASE("gossip spreads a death of the same incarnation, and a newer incarnation revives") {
  membership m{named("a"), 100 * ms, 3};
  m.heard(named("b"), 0);
  m.merge({member{named("b"), member_state::dead}}, 10 * ms);
  CHECK(state_of(m, "b") == member_state::dead);
  auto fresh = m.merge({member{named("b", 2), member_state::alive}}, 20 * ms);
  REQUIRE(fresh.size() == 1);
  CHECK(state_of(m, "b") == member_state::alive);
  // An old incarnation's heartbeat does not count.
  CHECK_FALSE(m.heard(named("b", 1), 30 * ms));
}

TEST_CASE("a node that hears itself called dead answers with a newer incarnation") {
  membership m{named("a", 5), 100 * ms, 3};
  m.merge({member{named("a", 5), member_state::dead}}, 0);
  CHECK(m.self().incarnation == 6);
}
