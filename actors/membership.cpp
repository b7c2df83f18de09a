#include "actors/membership.hpp"

#include <algorithm>

namespace hogar {

const char* to_string(member_state state) noexcept {
  switch (state) {
    case member_state::alive: return "alive";
    case member_state::suspect: return "suspect";
    case member_state::dead: return "dead";
  }
  return "unknown";
}

membership::membership(node_info self, std::int64_t interval_ns, std::uint32_t miss_count)
  : self_(std::move(self)), interval_ns_(interval_ns), miss_count_(miss_count) {
}

bool membership::heard(const node_info& info, std::int64_t now_ns) {
  if (info.name == self_.name)
    return false;
  auto i = members_.find(info.name);
  if (i == members_.end()) {
    members_.emplace(info.name, entry{member{info, member_state::alive}, now_ns});
    return true;
  }
  auto& e = i->second;
  if (info.incarnation < e.m.info.incarnation)
    return false; // a message from a previous life of this member
  bool fresh = info.incarnation > e.m.info.incarnation || e.m.state == member_state::dead;
  e.m.info = info;
  e.m.state = member_state::alive;
  e.last_heard_ns = now_ns;
  return fresh;
}

std::vector<node_info> membership::merge(const std::vector<member>& view, std::int64_t now_ns) {
  std::vector<node_info> fresh;
  for (auto& m : view) {
    if (m.info.name == self_.name) {
      // Someone believes this node is gone: refute it with a newer incarnation.
      if (m.state != member_state::alive && m.info.incarnation >= self_.incarnation)
        self_.incarnation = m.info.incarnation + 1;
      continue;
    }
    auto i = members_.find(m.info.name);
    if (i == members_.end()) {
      members_.emplace(m.info.name, entry{m, now_ns});
      if (m.state != member_state::dead)
        fresh.push_back(m.info);
      continue;
    }
    auto& e = i->second;
    if (m.info.incarnation > e.m.info.incarnation) {
      bool was_dead = e.m.state == member_state::dead;
      e.m = m;
      e.last_heard_ns = now_ns;
      if (m.state != member_state::dead || !was_dead)
        fresh.push_back(m.info);
    } else if (m.info.incarnation == e.m.info.incarnation && m.state == member_state::dead) {
      e.m.state = member_state::dead;
    }
  }
  return fresh;
}

void membership::lost(const caf::actor_addr& node) {
  for (auto& [name, e] : members_)
    if (e.m.info.node && e.m.info.node.address() == node)
      e.m.state = member_state::dead;
}

bool membership::age(std::int64_t now_ns) {
  bool changed = false;
  auto suspect_after = interval_ns_ * miss_count_;
  auto previous = last_age_ns_;
  last_age_ns_ = now_ns;
  if (previous != 0 && now_ns - previous > suspect_after) {
    // This node itself did not run for a while (SIGSTOP, a stalled machine): the silence is
    // its own, not its peers'. Calling them dead now would spread a stale verdict and move
    // their replicas away; give them a fresh interval to be heard instead.
    for (auto& [name, e] : members_)
      if (e.m.state != member_state::dead)
        e.last_heard_ns = std::max(e.last_heard_ns, now_ns - interval_ns_);
    return false;
  }
  for (auto& [name, e] : members_) {
    if (e.m.state == member_state::dead)
      continue;
    auto silent = now_ns - e.last_heard_ns;
    auto next = silent > 2 * suspect_after ? member_state::dead
                : silent > suspect_after   ? member_state::suspect
                                           : member_state::alive;
    if (next != e.m.state && next != member_state::alive) {
      e.m.state = next;
      changed = true;
    }
  }
  return changed;
}

std::vector<member> membership::view() const {
  std::vector<member> out;
  bool self_listed = false;
  for (auto& [name, e] : members_) {
    if (!self_listed && self_.name < name) {
      out.push_back(member{self_, member_state::alive});
      self_listed = true;
    }
    out.push_back(e.m);
  }
  if (!self_listed)
    out.push_back(member{self_, member_state::alive});
  return out;
}

std::vector<node_info> membership::live_peers() const {
  std::vector<node_info> out;
  for (auto& [name, e] : members_)
    if (e.m.state != member_state::dead)
      out.push_back(e.m.info);
  return out;
}

std::vector<node_info> membership::dead_peers() const {
  std::vector<node_info> out;
  for (auto& [name, e] : members_)
    if (e.m.state == member_state::dead)
      out.push_back(e.m.info);
  return out;
}

const member* membership::find(const std::string& name) const {
  auto i = members_.find(name);
  return i == members_.end() ? nullptr : &i->second.m;
}

} // namespace hogar
