#include "actors/edge_ledger.hpp"

namespace hogar {

namespace {

bool past(std::int64_t deadline_ns, std::int64_t now_ns) {
  return deadline_ns != 0 && deadline_ns < now_ns;
}

} // namespace

std::int64_t payload_bytes(const edge_value& value) {
  std::int64_t bytes = static_cast<std::int64_t>(sizeof(edge_value) + value.error.size());
  if (value.value)
    for (auto& t : *value.value)
      bytes += static_cast<std::int64_t>(t.value.byte_size() + t.name.size());
  return bytes;
}

void outbox::keep(std::uint32_t edge, caf::actor receiver, edge_value value, replay_hold held) {
  auto run = run_of(*value.ctx);
  auto [i, added] = entries_.try_emplace(key{edge, run});
  if (added)
    ++runs_[run];
  auto& e = i->second;
  e.receiver = std::move(receiver);
  e.value = std::move(value);
  e.held = std::move(held);
}

bool outbox::erase(std::unordered_map<key, entry, key_hash>::iterator i) {
  auto run = i->first.run;
  entries_.erase(i);
  auto r = runs_.find(run);
  if (--r->second > 0)
    return false;
  runs_.erase(r);
  return true;
}

bool outbox::acknowledged(std::uint32_t edge, const run_ref& run, const caf::actor_addr& from) {
  auto i = entries_.find(key{edge, run});
  if (i == entries_.end() || i->second.receiver.address() != from)
    return false;
  return erase(i);
}

bool outbox::crashed(std::uint32_t edge, const run_ref& run) {
  auto i = entries_.find(key{edge, run});
  if (i == entries_.end() || ++i->second.crashes < 2)
    return false;
  return erase(i);
}

void outbox::expire(std::int64_t now_ns) {
  for (auto i = entries_.begin(); i != entries_.end();) {
    auto next = std::next(i);
    if (past(i->second.value.ctx->deadline_ns, now_ns))
      erase(i);
    i = next;
  }
}

inbox::arrival inbox::received(const run_ref& run, std::int64_t deadline_ns, caf::actor from,
                              std::uint32_t slot) {
  if (done_.contains(run))
    return arrival::after_done;
  auto& w = pending_[run];
  w.deadline_ns = deadline_ns;
  bool fresh = !w.finished;
  for (auto& s : w.senders)
    fresh = fresh && s.slot != slot;
  w.senders.push_back({std::move(from), slot});
  return fresh ? arrival::fresh : arrival::again;
}

void inbox::finished(const run_ref& run) {
  pending_[run].finished = true;
}

std::vector<inbox::sender> inbox::release(const run_ref& run, std::int64_t now_ns) {
  std::vector<sender> out;
  std::int64_t deadline_ns = 0;
  if (auto i = pending_.find(run); i != pending_.end()) {
    out = std::move(i->second.senders);
    deadline_ns = i->second.deadline_ns;
    pending_.erase(i);
  }
  auto horizon = now_ns + remember_ns;
  done_[run] = deadline_ns != 0 && deadline_ns < horizon ? deadline_ns : horizon;
  return out;
}

bool inbox::done(const run_ref& run) const {
  if (done_.contains(run))
    return true;
  auto i = pending_.find(run);
  return i != pending_.end() && i->second.finished;
}

const std::vector<inbox::sender>& inbox::senders(const run_ref& run) const {
  static const std::vector<sender> none;
  auto i = pending_.find(run);
  return i == pending_.end() ? none : i->second.senders;
}

void inbox::expire(std::int64_t now_ns) {
  std::erase_if(pending_, [now_ns](const auto& kv) { return past(kv.second.deadline_ns, now_ns); });
  std::erase_if(done_, [now_ns](const auto& kv) { return past(kv.second, now_ns); });
}

bool ack_batches::add(const caf::actor& to, edge_ack ack) {
  bool first = batches_.empty();
  batches_[to].push_back(std::move(ack));
  return first;
}

} // namespace hogar
