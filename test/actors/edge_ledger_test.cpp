// The bookkeeping of per-edge acknowledgement and replay (actors/edge_ledger.hpp), without
// actors running: what a sender keeps and forgets, and what a receiver remembers.
#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/edge_ledger.hpp"
#include "actors/system_config.hpp"

using namespace hogar;

namespace {

struct ledger_fixture {
  system_config cfg;
  caf::actor_system sys{cfg};
  caf::actor ingress = sys.spawn([] { return caf::behavior{[](int) {}}; });
  caf::actor replica = sys.spawn([] { return caf::behavior{[](int) {}}; });
  caf::actor replacement = sys.spawn([] { return caf::behavior{[](int) {}}; });
  std::shared_ptr<replay_budget> budget = std::make_shared<replay_budget>(1 << 20);

  ~ledger_fixture() {
    for (auto* a : {&ingress, &replica, &replacement})
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
  }

  edge_value message(request_id id, std::int64_t deadline_ns = 0) {
    auto ctx = std::make_shared<request_context>();
    ctx->id = id;
    ctx->ingress = ingress;
    ctx->deadline_ns = deadline_ns;
    return edge_value{ctx, 0, edge_state::present,
                      std::make_shared<const record>(record{{"x", tensor::from_values<float>({4}, {1, 2, 3, 4})}}),
                      {}, nullptr, errc::none};
  }

  run_ref run(request_id id) { return {ingress.address(), id}; }

  outbox::entry* kept(outbox& box, std::uint32_t edge, request_id id) {
    outbox::entry* found = nullptr;
    box.for_each([&](std::uint32_t e, outbox::entry& entry) {
      if (e == edge && entry.value.ctx->id == id)
        found = &entry;
    });
    return found;
  }
};

} // namespace

TEST_CASE_FIXTURE(ledger_fixture, "a sender keeps a message until its receiver acknowledges it") {
  outbox box;
  auto m = message(1);
  auto bytes = payload_bytes(m);
  CHECK(bytes >= 16);
  box.keep(0, replica, m, replay_hold{budget, bytes});
  box.keep(1, replica, message(1), replay_hold{budget, bytes});
  CHECK(box.size() == 2);
  CHECK(budget->used == 2 * bytes);
  CHECK_FALSE(box.acknowledged(0, run(1), replica.address())); // edge 1 still keeps request 1
  CHECK(box.size() == 1);
  CHECK(kept(box, 1, 1) != nullptr);
  CHECK(budget->used == bytes);
  CHECK(box.holds(run(1)));
  CHECK(box.acknowledged(1, run(1), replica.address())); // its last message here
  CHECK_FALSE(box.holds(run(1)));
  CHECK(budget->used == 0);
}

TEST_CASE_FIXTURE(ledger_fixture, "an ack from a replica the message is no longer kept for does "
                                  "not count") {
  outbox box;
  box.keep(0, replica, message(1), {});
  kept(box, 0, 1)->receiver = replacement; // sent again after a rewire
  box.acknowledged(0, run(1), replica.address()); // the replaced one resumed and acks
  CHECK(box.size() == 1);
  box.acknowledged(0, run(1), replacement.address());
  CHECK(box.size() == 0);
}

TEST_CASE_FIXTURE(ledger_fixture, "a message whose receivers crashed twice is dropped") {
  outbox box;
  box.keep(0, replica, message(1), {});
  CHECK_FALSE(box.crashed(0, run(1)));
  CHECK(box.size() == 1);
  CHECK(box.crashed(0, run(1)));
  CHECK(box.size() == 0);
  CHECK_FALSE(box.crashed(0, run(1))); // nothing left to drop
}

TEST_CASE_FIXTURE(ledger_fixture, "kept messages and remembered requests go at their deadline") {
  outbox box;
  box.keep(0, replica, message(1, 1'000), {});
  box.keep(0, replica, message(2, 5'000), {});
  box.keep(0, replica, message(3, 0), {}); // no deadline: kept until acknowledged
  box.expire(2'000);
  CHECK(box.size() == 2);
  CHECK(kept(box, 0, 1) == nullptr);

  inbox in;
  in.received(run(1), 1'000, replica, 0);
  in.received(run(2), 5'000, replica, 0);
  in.finished(run(2));
  CHECK(in.done(run(2)));
  auto senders = in.release(run(2), 0);
  CHECK(senders.size() == 1);
  CHECK(in.done(run(2)));
  CHECK(in.pending() == 1);
  in.expire(2'000);
  CHECK(in.pending() == 0); // request 1 never completed here and its deadline passed
  CHECK(in.done(run(2)));
  in.expire(6'000);
  CHECK_FALSE(in.done(run(2)));
}

TEST_CASE_FIXTURE(ledger_fixture, "a receiver runs the first message of a slot, drops the "
                                  "others, and acknowledges every sender") {
  using arrival = inbox::arrival;
  inbox in;
  CHECK(in.received(run(1), 0, replica, 0) == arrival::fresh);
  CHECK(in.received(run(1), 0, replacement, 1) == arrival::fresh); // a join's other input
  CHECK(in.received(run(1), 0, replica, 0) == arrival::again);     // sent again, still here
  CHECK(in.senders(run(1)).size() == 3);
  in.finished(run(1));
  CHECK(in.received(run(1), 0, replacement, 1) == arrival::again); // finished, not released
  auto senders = in.release(run(1), 0);
  CHECK(senders.size() == 4);
  CHECK(in.senders(run(1)).empty());
  CHECK(in.received(run(1), 0, replica, 0) == arrival::after_done);
  // A request without a deadline is remembered for remember_ns only.
  CHECK(in.done(run(1)));
  in.expire(inbox::remember_ns + 1);
  CHECK_FALSE(in.done(run(1)));
}

TEST_CASE_FIXTURE(ledger_fixture, "acks travel in one batch per sender") {
  ack_batches acks;
  CHECK(acks.add(replica, {ingress.address(), 1, 0}));
  CHECK_FALSE(acks.add(replica, {ingress.address(), 2, 0}));
  CHECK_FALSE(acks.add(replacement, {ingress.address(), 3, 1}));
  std::map<caf::actor, std::size_t> sent;
  acks.flush([&](const caf::actor& to, std::vector<edge_ack>&& batch) { sent[to] = batch.size(); });
  CHECK(sent.size() == 2);
  CHECK(sent[replica] == 2);
  CHECK(sent[replacement] == 1);
  CHECK(acks.empty());
}
