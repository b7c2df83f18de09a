// edge_ledger.hpp: per-edge acknowledgement and replay, ARG's stateless recovery (design.md,
// ARG 3), as plain classes the operator actor (and, for graph outputs, the ingress) keeps.
//
// The protocol. A replica that sends a request's message downstream keeps it in its outbox
// until the receiving replica acknowledges it. A receiver acknowledges the messages of a
// request once its own outputs for that request are acknowledged in turn; the ingress
// acknowledges graph outputs as they arrive. So a message is kept until the request has gone
// past every replica after it: whatever is lost with a replica (what it held, what it had sent
// and not yet delivered), a sender upstream of it still has. Acks travel in batches, one message
// per sender every few milliseconds, so the normal case costs one small message per batch.
//
// When the supervisor rewires the graph (a replica was lost), every sender looks at what it
// still keeps: a message whose receiver is gone, or whose request's route now names another
// replica, is sent again to the replica the new wiring names. Only requests that passed the lost
// replica run again, and only from the edge where they were lost.
//
// Duplicates are expected (a message sent again to a replacement whose predecessor had sent the
// request on, a hung replica that resumed before its node stopped it, a routed join moved twice)
// and dropped by the receiver: it knows which inputs of a request it has (while the request is
// with it) and remembers each request it completed, by (ingress, request id), until the
// request's deadline; a duplicate is only acknowledged. An acknowledgement counts only from the
// replica the message is kept for, so an ack from a replaced replica that resumed cannot make
// its sender forget a message the replacement still needs.
//
// Everything kept is bounded: entries leave at their request's deadline at the latest, and the
// kept messages' bytes count against the node's replay budget (actors/replay_budget.hpp), so
// a full buffer sheds new requests at the ingress instead of growing. One case keeps messages
// until the deadline: a join whose replica was lost after some of its senders had its ack and
// others had not gets only the latter's messages again, and its replacement waits for the rest
// (the request itself was answered: the ack proves its output went on).
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>

#include "actors/messages.hpp"
#include "actors/replay_budget.hpp"

namespace hogar {

/// One request as every replica names it: the ingress that admitted it and its id there.
struct run_ref {
  caf::actor_addr ingress;
  request_id id = 0;
  bool operator==(const run_ref&) const = default;
};

struct run_ref_hash {
  std::size_t operator()(const run_ref& r) const noexcept {
    return std::hash<request_id>{}(r.id * 0x9e3779b97f4a7c15ULL ^ r.ingress.id());
  }
};

inline run_ref run_of(const request_context& ctx) {
  return {ctx.ingress.address(), ctx.id};
}

/// The `op` of an ack from an ingress: the slot is the graph output's index.
inline constexpr std::uint32_t graph_output_op = 0xffffffff;

/// Receiver -> sender: the message of request `id` (of `ingress`) on input `slot` was consumed.
struct edge_ack {
  caf::actor_addr ingress;
  request_id id = 0;
  std::uint32_t slot = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, edge_ack& x) {
  return f(caf::meta::type_name("edge_ack"), x.ingress, x.id, x.slot);
}

/// The bytes of a message's payload, held against the replay budget while it is kept.
std::int64_t payload_bytes(const edge_value& value);

/// Sender side: the messages sent downstream and not yet acknowledged.
class outbox {
public:
  struct entry {
    /// The replica it was sent to; null when no replica was alive (sent at the next rewire).
    caf::actor receiver;
    edge_value value;
    /// Receivers that crashed while running this request.
    std::uint32_t crashes = 0;
    replay_hold held;
  };

  /// Keeps `value`, sent on outgoing edge `edge` to `receiver`.
  void keep(std::uint32_t edge, caf::actor receiver, edge_value value, replay_hold held);

  /// `from` consumed the message of `run` on `edge`; ignored unless `from` is the replica it
  /// is kept for. Returns true when that was the request's last message kept here.
  bool acknowledged(std::uint32_t edge, const run_ref& run, const caf::actor_addr& from);

  /// The receiver of `run` on `edge` crashed while running it. The second time the message is
  /// dropped, not sent again (a poison request; its ingress answers it with the error). Returns
  /// true when that dropped the request's last message kept here.
  bool crashed(std::uint32_t edge, const run_ref& run);

  /// Whether a message of the request is kept here.
  bool holds(const run_ref& run) const { return runs_.contains(run); }

  /// Calls f(edge, entry&) for every kept message (at a rewire: send it again if its receiver
  /// changed).
  template <class F>
  void for_each(F&& f) {
    for (auto& [key, e] : entries_)
      f(key.edge, e);
  }

  /// Forgets messages of requests whose deadline passed: nobody waits for their answer.
  void expire(std::int64_t now_ns);

  std::size_t size() const noexcept { return entries_.size(); }

private:
  struct key {
    std::uint32_t edge = 0;
    run_ref run;
    bool operator==(const key&) const = default;
  };
  struct key_hash {
    std::size_t operator()(const key& k) const noexcept {
      return run_ref_hash{}(k.run) ^ (std::size_t{k.edge} << 48);
    }
  };
  /// Erases an entry; true when it was its request's last.
  bool erase(std::unordered_map<key, entry, key_hash>::iterator i);

  std::unordered_map<key, entry, key_hash> entries_;
  /// Messages kept per request.
  std::unordered_map<run_ref, std::uint32_t, run_ref_hash> runs_;
};

/// Receiver side: which inputs of each request arrived and from whom, and which requests are
/// done.
class inbox {
public:
  struct sender {
    /// Null for a sender that is not acknowledged (the ingress keeps inputs until it answers).
    caf::actor actor;
    std::uint32_t slot = 0;
  };

  enum class arrival {
    /// The first message of the request on its slot: run it.
    fresh,
    /// A duplicate of one still here: dropped, and acknowledged with the request.
    again,
    /// A duplicate of a request released already: dropped, acknowledge it at once.
    after_done,
  };

  /// A message of `run` on input `slot` came from `from`.
  arrival received(const run_ref& run, std::int64_t deadline_ns, caf::actor from,
                   std::uint32_t slot);

  /// The request's outputs have gone on from here: a message of it now is a duplicate.
  void finished(const run_ref& run);

  /// Its outputs were acknowledged: returns whom to acknowledge in turn, and remembers the
  /// request as done until its deadline, or for `remember_ns` at most (a request without a
  /// deadline would be remembered forever; a duplicate comes within a recovery's time).
  std::vector<sender> release(const run_ref& run, std::int64_t now_ns);

  static constexpr std::int64_t remember_ns = 60'000'000'000;

  /// Whether the request was completed here.
  bool done(const run_ref& run) const;

  /// The senders of a request still here (empty when none is recorded).
  const std::vector<sender>& senders(const run_ref& run) const;

  void expire(std::int64_t now_ns);

  std::size_t pending() const noexcept { return pending_.size(); }

private:
  struct waiting {
    std::int64_t deadline_ns = 0;
    bool finished = false;
    std::vector<sender> senders;
  };
  std::unordered_map<run_ref, waiting, run_ref_hash> pending_;
  std::unordered_map<run_ref, std::int64_t, run_ref_hash> done_;
};

/// Acknowledgements waiting to be sent, one batch per sender.
class ack_batches {
public:
  /// Returns true when this is the first ack since the last flush (arm the flush timer).
  bool add(const caf::actor& to, edge_ack ack);

  /// Hands every batch to send(actor, std::vector<edge_ack>&&) and empties them.
  template <class F>
  void flush(F&& send) {
    for (auto& [to, acks] : batches_)
      if (!acks.empty())
        send(to, std::move(acks));
    batches_.clear();
  }

  bool empty() const noexcept { return batches_.empty(); }

private:
  std::unordered_map<caf::actor, std::vector<edge_ack>> batches_;
};

} // namespace hogar
