#include "actors/stateful_replica.hpp"

#include <chrono>
#include <limits>

#include <caf/event_based_actor.hpp>
#include <fmt/format.h>

#include "actors/clock.hpp"
#include "actors/errors.hpp"
#include "actors/operator_internal.hpp"

namespace hogar::detail {

namespace {

using namespace std::chrono_literals;

/// How long a primary waits for its backup's acknowledgement before it releases the output
/// unprotected (the backup is then lost, and the supervisor makes a new one).
constexpr auto replication_timeout = 5s;

using released_key = std::pair<caf::actor_addr, request_id>;

/// Forgets outputs whose request is past its deadline: the ingress answered it by then.
void forget_expired(stateful_ptr self) {
  auto& st = self->state;
  auto now = now_ns(self);
  while (!st.released_expiry.empty() && st.released_expiry.begin()->first < now) {
    st.released.erase(st.released_expiry.begin()->second);
    st.released_expiry.erase(st.released_expiry.begin());
  }
}

void remember(stateful_ptr self, released_output out) {
  auto& st = self->state;
  forget_expired(self);
  released_key key{out.ingress.address(), out.id};
  // 0: no deadline (ingresses always set one; only hand-made requests lack it).
  auto deadline = out.deadline_ns != 0 ? out.deadline_ns : std::numeric_limits<std::int64_t>::max();
  if (st.released.emplace(key, std::move(out)).second)
    st.released_expiry.emplace(deadline, key);
}

/// A replica wired as no backup (any more) takes no state: the sender is a primary that was
/// replaced while it hung, and its state must not overwrite the promoted one's. A replica not
/// wired yet takes it: a new backup can hear from its primary before its own node wires it.
caf::error refuse_stale(stateful_ptr self) {
  return make_error(errc::unavailable,
                    fmt::format("replica {} of '{}' is not a backup; state refused",
                                self->state.init.replica, self->state.node->spec->name));
}

} // namespace

bool answer_again(stateful_ptr self, const context_ptr& ctx, const caf::strong_actor_ptr& assigner,
                  const served_trace& trace) {
  auto& st = self->state;
  forget_expired(self);
  auto i = st.released.find(released_key{ctx->ingress.address(), ctx->id});
  if (i == st.released.end())
    return false;
  finish(self, ctx, assigner, edge_state::present, i->second.value.ptr, std::string{}, trace);
  return true;
}

void release_stateful(stateful_ptr self, const context_ptr& ctx,
                      const caf::strong_actor_ptr& assigner, const record_ptr& value,
                      const served_trace& trace) {
  auto& st = self->state;
  released_output out{ctx->ingress, ctx->id, ctx->deadline_ns, shared_record{value}};
  remember(self, out);
  if (!st.wiring.backup) {
    finish(self, ctx, assigner, edge_state::present, value, std::string{}, trace);
    return;
  }
  auto release = [self, ctx, assigner, value, trace] {
    finish(self, ctx, assigner, edge_state::present, value, std::string{}, trace);
  };
  self
    ->request(st.wiring.backup, replication_timeout, backup_atom::value,
              state_replication{st.init.impl->save_state(self->clock().now()), std::move(out)})
    .then([release](backup_atom) { release(); },
          [self, release](caf::error&) {
            // The backup is gone or stuck: the output goes out unprotected rather than never.
            self->state.backup_in_sync = false;
            release();
          });
}

void sync_new_backup(stateful_ptr self) {
  auto& st = self->state;
  if (st.wiring.backup_role || st.wiring.backup == st.synced_backup)
    return;
  st.synced_backup = st.wiring.backup;
  st.backup_in_sync = false;
  if (!st.wiring.backup)
    return;
  forget_expired(self);
  backup_sync sync;
  sync.state = st.init.impl->save_state(self->clock().now());
  for (auto& [key, out] : st.released)
    sync.released.push_back(out);
  auto backup = st.wiring.backup;
  self->request(backup, replication_timeout, sync_atom::value, std::move(sync))
    .then(
      [self, backup](sync_atom) {
        if (self->state.synced_backup == backup)
          self->state.backup_in_sync = true;
      },
      [](caf::error&) {});
}

caf::result<backup_atom> take_replication(stateful_ptr self, state_replication& r) {
  auto& st = self->state;
  if (st.wired && !st.wiring.backup_role)
    return refuse_stale(self);
  (void)st.init.impl->load_state(r.state, self->clock().now());
  if (r.output.ingress) // a cache's fill replicates state without an output
    remember(self, std::move(r.output));
  return backup_atom::value;
}

caf::result<sync_atom> take_sync(stateful_ptr self, backup_sync& s) {
  auto& st = self->state;
  if (st.wired && !st.wiring.backup_role)
    return refuse_stale(self);
  (void)st.init.impl->load_state(s.state, self->clock().now());
  st.released.clear();
  st.released_expiry.clear();
  for (auto& out : s.released)
    remember(self, std::move(out));
  return sync_atom::value;
}

} // namespace hogar::detail
