// membership.hpp: one node's view of the cluster: who is a member and whether it is alive,
// suspect or dead. A plain class fed with clock readings: the node actor calls it on joins,
// heartbeats, lost connections and its periodic tick; tests step it without threads.
//
// Rules: direct evidence wins (a heartbeat from X makes X alive; a lost connection to X makes
// it dead). Silence ages a member: suspect after `miss_count` intervals, dead after twice as
// many. Gossip (the views piggybacked on heartbeats) spreads what others know: a newer
// incarnation of a member replaces the old one, and "dead" spreads for the same incarnation.
// A node that hears itself called dead answers with a new incarnation (a restarted or resumed
// daemon rejoins under its name). A node whose own ticks stopped for longer than the suspect
// time (it was hung itself) ages no one on its first tick back: the silence was its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actors/cluster_messages.hpp"

namespace hogar {

class membership {
public:
  membership(node_info self, std::int64_t interval_ns, std::uint32_t miss_count);

  const node_info& self() const noexcept { return self_; }

  /// A join or heartbeat from `info`. Returns true when `info` is new to this node (a new
  /// member, a new incarnation, or back from the dead): the caller monitors it and tells it
  /// what it should know.
  bool heard(const node_info& info, std::int64_t now_ns);

  /// Merges a peer's view; returns the members that became newly known (as heard() does).
  std::vector<node_info> merge(const std::vector<member>& view, std::int64_t now_ns);

  /// The connection to the member whose node actor is `node` was lost.
  void lost(const caf::actor_addr& node);

  /// Ages silent members at `now_ns`; returns true if a state changed.
  bool age(std::int64_t now_ns);

  /// Every member, this node included, sorted by name.
  std::vector<member> view() const;

  /// Members other than this node that are not dead.
  std::vector<node_info> live_peers() const;

  /// Members this node believes dead (candidates for reconnecting).
  std::vector<node_info> dead_peers() const;

  /// The state of the member called `name`, if known.
  const member* find(const std::string& name) const;

private:
  struct entry {
    member m;
    std::int64_t last_heard_ns = 0;
  };

  node_info self_;
  std::int64_t interval_ns_;
  std::uint32_t miss_count_;
  std::map<std::string, entry> members_;
  /// The clock at the last age() call; 0: none yet.
  std::int64_t last_age_ns_ = 0;
};

} // namespace hogar
