// stateful_replica.hpp: primary-backup for stateful operators (`stateful: true`, and the
// stateful kinds `sequence` and `cache`), inside the operator actor.
//
// The promise (design.md, ARG 4): outputs already seen downstream stay consistent with the
// state after a failover, even when the computation is not deterministic.
//
// The protocol: the primary runs each call, then sends its backup the operation's whole state
// after the call together with the call's output (state_replication), and releases the output
// downstream only once the backup has acknowledged it. The backup loads the state and keeps
// the output. So whatever any consumer has seen, the backup's state already includes. Messages
// between two actors arrive in order, so the primary does not wait between calls: it keeps
// running and releases outputs as their acknowledgements come back, in order. The whole state
// travels each time rather than a delta: the kinds that keep state keep little of it (a count;
// a cache's entries), and a delta would need a log to replay on a new backup anyway.
//
// Both keep every released output by request (its ingress and id) until the request's
// deadline. When a request reaches it again after a failure (its senders send what was not
// acknowledged, actors/edge_ledger.hpp), the replica that has an output for it answers with
// that output and does not run the operation: the state changes once per request, and the
// answer is the one that may have been seen.
//
// Fencing: a replica takes state only while its wiring says it is a backup, so a primary that
// hung, was replaced, and resumed cannot overwrite the promoted replica's state.
//
// Failover: when the primary is lost, the supervisor puts the backup in its place (a rewire
// under a new epoch) and the senders upstream send it what they had sent the primary and
// not had acknowledged: requests whose output was replicated get it from the table; the others
// run on the promoted replica's state, which holds every released output's effect. The
// supervisor then makes a new backup; the primary sends it the whole state and table
// (backup_sync) as soon as its wiring names it. A primary
// without a backup (one node, or between failover and the new backup) releases outputs at
// once and says so in its statistics ("unprotected" in `hogar status`).
//
// Not covered: model operators marked stateful (their runs are batched on executor threads;
// they keep no state beside their weights) release without replication.
#pragma once

#include <caf/stateful_actor.hpp>

#include "actors/operator_actor.hpp"

namespace hogar::detail {

using stateful_ptr = caf::stateful_actor<operator_state>*;

/// A request this replica has released an output for is answered with it again (true);
/// false when it has none.
bool answer_again(stateful_ptr self, const context_ptr& ctx, const caf::strong_actor_ptr& assigner,
                  const served_trace& trace);

/// Releases the output of a call of a stateful operator: kept, replicated to the backup, and
/// sent downstream once the backup has it.
void release_stateful(stateful_ptr self, const context_ptr& ctx,
                      const caf::strong_actor_ptr& assigner, const record_ptr& value,
                      const served_trace& trace);

/// After new wiring: a primary whose backup is new sends it the whole state.
void sync_new_backup(stateful_ptr self);

/// Backup side: one call's state and output, and the whole state of a new primary. Refused
/// by a replica that is not a backup (any more): a primary replaced while it hung must not
/// overwrite the state of the backup promoted in its place.
caf::result<backup_atom> take_replication(stateful_ptr self, state_replication& r);
caf::result<sync_atom> take_sync(stateful_ptr self, backup_sync& s);

} // namespace hogar::detail
